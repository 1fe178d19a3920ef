//! An `AsyncRead + AsyncSeek` as an async offset-aware source: each opening
//! seeks to its offset and reads from there as an [`AsyncReadStream`] (chunks
//! of at most 64 KiB, read into a buffer that is reused until it runs low).
//!
//! The reader is one object and a body opens the source once at a time (a
//! part ends before the next opens): an opening leases the reader out of
//! its cell and its stream hands it back when dropped, so no lock is held
//! across an `await`.

use std::{
    cell::RefCell,
    io::{self, SeekFrom},
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
};

use tokio::io::{AsyncRead, AsyncSeek, AsyncSeekExt, ReadBuf};

use crate::{
    async_read::AsyncReadStream,
    chunk::BoxError,
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
    use futures_util::TryStreamExt as _;

    let reader = home.borrow_mut().take();
    let mut lease = Lease { reader, home };
    let sought = async move {
        let Some(reader) = lease.reader.as_mut() else {
            return Err(BoxError::from(
                "the reader is already being read (opened twice at once)",
            ));
        };
        reader.seek(SeekFrom::Start(offset)).await?;
        Ok(AsyncReadStream::new(lease).map_err(BoxError::from))
    };
    Box::pin(futures_util::stream::once(sought).try_flatten())
}

impl<R: AsyncRead> AsyncRead for Lease<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // `Lease` is `Unpin`: the reader is boxed. A lease is only read
        // once its reader was found.
        match self.get_mut().reader.as_mut() {
            Some(reader) => reader.as_mut().poll_read(cx, buf),
            None => Poll::Ready(Err(io::Error::other("the reader was not leased"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use bytes::Bytes;
    use futures_util::TryStreamExt;

    use super::*;
    use crate::chunk::CHUNK;

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
