//! "did you mean …?": the valid key closest to a misspelt one.

/// The candidate closest to `unknown`, if one is close enough to be what was
/// meant: the same letters once `_` and case are ignored (`mime_type`,
/// `cachecontrol`), or at most two edits away, an edit being one letter
/// inserted, deleted, replaced, or two neighbours swapped (`attachement`,
/// `basname`). On a tie, the first candidate wins.
pub(crate) fn closest(unknown: &str, candidates: &[&'static str]) -> Option<&'static str> {
    const MAX_EDITS: usize = 2;
    let unknown = normalize(unknown);
    if unknown.is_empty() {
        return None;
    }
    candidates
        .iter()
        .map(|&candidate| (edit_distance(&unknown, &normalize(candidate)), candidate))
        .filter(|&(distance, _)| distance <= MAX_EDITS)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Lowercase, without `_`.
fn normalize(key: &str) -> Vec<char> {
    key.chars()
        .filter(|&c| c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The optimal-string-alignment distance (Damerau-Levenshtein where no
/// substring is edited twice): insertions, deletions, substitutions and
/// transpositions of two adjacent letters each cost one.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    // rows[i][j]: the distance between a[..i] and b[..j]; three rows suffice.
    let width = b.len() + 1;
    let mut before: Vec<usize> = vec![0; width];
    let mut previous: Vec<usize> = (0..width).collect();
    let mut current: Vec<usize> = vec![0; width];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..width {
            let substitution = previous[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitution.min(previous[j] + 1).min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::KEYS;

    #[test]
    fn common_misspellings_find_their_key() {
        for (typo, key) in [
            ("attachement", "attachment"),
            ("atachment", "attachment"),
            ("attachmnet", "attachment"),
            ("basname", "basename"),
            ("base_name", "basename"),
            ("BaseName", "basename"),
            ("mime_type", "mimetype"),
            ("mimetpye", "mimetype"),
            ("cachecontrol", "cache_control"),
            ("cache_contorl", "cache_control"),
            ("charest", "charset"),
            ("encodng", "encoding"),
            ("bufering", "buffering"),
            ("sendtimeout", "send_timeout"),
            ("send_timout", "send_timeout"),
            ("maxranges", "max_ranges"),
            ("max_range", "max_ranges"),
            ("singed", "signed"),
            ("limitrate", "limit_rate"),
            ("limit_rate_afer", "limit_rate_after"),
            ("sign", "signed"),
        ] {
            assert_eq!(closest(typo, KEYS), Some(key), "{typo}");
        }
    }

    #[test]
    fn keys_too_far_from_every_valid_one_get_no_suggestion() {
        for other in [
            "filename",
            "content_type",
            "inline",
            "timeout",
            "x",
            "",
            "_",
            "size",
        ] {
            assert_eq!(closest(other, KEYS), None, "{other}");
        }
    }

    #[test]
    fn the_distance_counts_each_kind_of_edit_once() {
        let d = |a: &str, b: &str| {
            edit_distance(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        };
        assert_eq!(d("", ""), 0);
        assert_eq!(d("abc", ""), 3);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("abc", "abc"), 0);
        assert_eq!(d("abc", "abd"), 1); // substitution
        assert_eq!(d("abc", "abcd"), 1); // insertion
        assert_eq!(d("abcd", "abc"), 1); // deletion
        assert_eq!(d("abcd", "abdc"), 1); // transposition
        assert_eq!(d("ca", "abc"), 3); // OSA: no edit of an edited pair
        assert_eq!(d("kitten", "sitting"), 3);
    }

    #[test]
    fn a_tie_goes_to_the_first_candidate() {
        assert_eq!(closest("ab", &["ax", "ay"]), Some("ax"));
        assert_eq!(closest("ab", &["ay", "ax"]), Some("ay"));
    }
}
