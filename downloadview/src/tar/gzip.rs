//! `.tar.gz`: the tar's bytes through gzip (RFC 1952) as they are made, so
//! a gzip-compressed tar streams in bounded memory like the tar itself.

use std::io::Write;

use bytes::Bytes;
use flate2::{write::GzEncoder, Compression, GzBuilder};

use super::{TarLayout, Tarrer};
use crate::{
    assemble::{Assemble, Piece, PieceBytes, Step},
    zip::ZipError,
};

/// A [`Tarrer`] whose whole output is gzip-compressed: the same steps, the
/// compressed bytes as [`PieceBytes::Made`] pieces.
pub(crate) struct Gzipped {
    tar: Tarrer,
    /// Writes into the `Vec` it holds, which is taken after every call.
    encoder: GzEncoder<Vec<u8>>,
    pieces: Vec<Piece>,
    finished: bool,
}

impl std::fmt::Debug for Gzipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gzipped")
            .field("tar", &self.tar)
            .field("finished", &self.finished)
            .finish()
    }
}

impl Gzipped {
    /// The whole archive, compressed. The gzip header holds no name and a
    /// zero time, so the same entries give the same bytes.
    pub(crate) fn new(layout: TarLayout) -> Gzipped {
        Gzipped {
            tar: Tarrer::new(layout),
            encoder: GzBuilder::new()
                .mtime(0)
                .write(Vec::new(), Compression::default()),
            pieces: Vec::new(),
            finished: false,
        }
    }

    pub(crate) fn wants_more(&self) -> bool {
        !self.finished
    }

    pub(crate) fn advance(&mut self, out: &mut Vec<Piece>) -> Result<Step, ZipError> {
        let step = self.tar.advance(&mut self.pieces)?;
        self.compress(&[], out)?;
        if step == Step::Done && !self.finished {
            self.encoder
                .try_finish()
                .map_err(|e| ZipError::Deflate(e.to_string()))?;
            self.finished = true;
            self.take_output(out);
        }
        Ok(step)
    }

    pub(crate) fn feed(&mut self, data: &[u8], out: &mut Vec<Piece>) -> Result<(), ZipError> {
        self.tar.feed(data, &mut self.pieces)?;
        self.compress(data, out)
    }

    /// Compresses the tar's pieces (`fed` is what it was just fed).
    fn compress(&mut self, fed: &[u8], out: &mut Vec<Piece>) -> Result<(), ZipError> {
        for piece in std::mem::take(&mut self.pieces) {
            let bytes = match &piece.bytes {
                PieceBytes::Made(bytes) => &bytes[..],
                PieceBytes::Fed(range) => fed.get(range.clone()).unwrap_or_default(),
            };
            self.encoder
                .write_all(bytes)
                .map_err(|e| ZipError::Deflate(e.to_string()))?;
        }
        self.take_output(out);
        Ok(())
    }

    /// Hands over what the compressor has written so far.
    fn take_output(&mut self, out: &mut Vec<Piece>) {
        let written = std::mem::take(self.encoder.get_mut());
        if !written.is_empty() {
            out.push(Piece {
                part: 0,
                bytes: PieceBytes::Made(Bytes::from(written)),
            });
        }
    }
}
