//! An `AsyncRead + AsyncSeek` as an async offset-aware source: each opening
//! seeks to its offset and reads from there, in reads of at most 64 KiB.
//!
//! The reader is one object and a body opens the source once at a time (a
//! part ends before the next opens): an opening leases the reader out of
//! its cell and its stream hands it back when dropped, so no lock is held
//! across an `await`.

use std::{cell::RefCell, io::SeekFrom, pin::Pin, rc::Rc};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt};

use crate::{
    chunk::CHUNK,
    file::{AsyncGenerate, BoxStream},
};

type Home<R> = Rc<RefCell<Option<Pin<Box<R>>>>>;

/// The reader, out of its cell for one opening; back in it when dropped.
struct Lease<R> {
    reader: Option<Pin<Box<R>>>,
    home: Home<R>,
}

impl<R> Drop for Lease<R> {
    fn drop(&mut self) {
        if let Some(reader) = self.reader.take() {
            *self.home.borrow_mut() = Some(reader);
        }
    }
}

/// `reader` as an opener from any offset.
pub(crate) fn generator<R>(reader: R) -> AsyncGenerate
where
    R: AsyncRead + AsyncSeek + 'static,
{
    let home: Home<R> = Rc::new(RefCell::new(Some(Box::pin(reader))));
    Rc::new(move |offset| open(Rc::clone(&home), offset))
}

fn open<R>(home: Home<R>, offset: u64) -> BoxStream
where
    R: AsyncRead + AsyncSeek + 'static,
{
    let reader = home.borrow_mut().take();
    let lease = Lease { reader, home };
    let stream =
        futures_util::stream::try_unfold((lease, Some(offset)), |(mut lease, seek)| async move {
            let Some(reader) = lease.reader.as_mut() else {
                return Err("the reader is already being read (opened twice at once)".into());
            };
            if let Some(offset) = seek {
                reader.seek(SeekFrom::Start(offset)).await?;
            }
            let mut buf = BytesMut::zeroed(CHUNK);
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                return Ok(None);
            }
            buf.truncate(n);
            Ok(Some((Bytes::from(buf), (lease, None))))
        });
    Box::pin(stream)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use futures_util::TryStreamExt;

    use super::*;

    #[test]
    fn each_opening_reads_from_its_offset_and_gives_the_reader_back() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let open = generator(Cursor::new(data.clone()));
        actix_web::rt::System::new().block_on(async {
            for offset in [0u64, 70_000, 199_999, 200_000] {
                let chunks: Vec<Bytes> = open(offset).try_collect().await.unwrap();
                assert!(chunks.iter().all(|c| c.len() <= CHUNK));
                assert_eq!(chunks.concat(), &data[offset as usize..]);
            }
            // Dropped half way: the next opening still has the reader.
            let mut first = open(10);
            let _ = first.try_next().await.unwrap();
            drop(first);
            let rest: Vec<Bytes> = open(5).try_collect().await.unwrap();
            assert_eq!(rest.concat(), &data[5..]);
            // Two at once: the second fails instead of reading at the wrong place.
            let held = open(0);
            let err = open(0).try_collect::<Vec<Bytes>>().await.unwrap_err();
            assert!(err.to_string().contains("opened twice"));
            drop(held);
        });
    }
}
