//! `AsyncRead` sources: polled on the actix worker, like a
//! `Stream`, in reads of at most [`CHUNK`] bytes.
//!
//! Every chunk is a zero-copy slice of a zero-initialised buffer that the next
//! reads keep filling until it runs low, so a read costs no extra copy and no
//! re-zeroing, and no `unsafe` is needed to read into it.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use tokio::io::{AsyncRead, ReadBuf};

use crate::chunk::CHUNK;

/// Below this many bytes left, the buffer is replaced by a fresh one rather
/// than read into (small reads would make small chunks): the smallest chunk
/// the engine sends ([`MIN_CHUNK`](crate::chunk::MIN_CHUNK)), which keeps a
/// stalled client's share of actix's write buffer at the 41-75 KiB per
/// client measured in `bench/` (1,000 stalled clients).
const MIN_READ: usize = 16 * 1024;

/// An [`AsyncRead`] as a stream of chunks of at most [`CHUNK`] bytes.
pub(crate) struct AsyncReadStream<R> {
    /// `None` once the reader has ended or failed: it is dropped at once.
    reader: Option<Pin<Box<R>>>,
    /// Initialised bytes not yet handed out; reads go into its front.
    buf: BytesMut,
}

impl<R: AsyncRead> AsyncReadStream<R> {
    pub(crate) fn new(reader: R) -> Self {
        AsyncReadStream {
            reader: Some(Box::pin(reader)),
            buf: BytesMut::new(),
        }
    }
}

impl<R: AsyncRead> Stream for AsyncReadStream<R> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // `AsyncReadStream` is `Unpin`: the reader is boxed.
        let this = self.get_mut();
        let Some(reader) = this.reader.as_mut() else {
            return Poll::Ready(None);
        };
        if this.buf.len() < MIN_READ {
            this.buf = BytesMut::zeroed(CHUNK);
        }
        let mut read_buf = ReadBuf::new(&mut this.buf[..]);
        match reader.as_mut().poll_read(cx, &mut read_buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => {
                let n = read_buf.filled().len();
                if n == 0 {
                    this.reader = None;
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Ok(this.buf.split_to(n).freeze())))
                }
            }
            Poll::Ready(Err(err)) => {
                this.reader = None;
                Poll::Ready(Some(Err(err)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;

    fn collect(mut stream: AsyncReadStream<impl AsyncRead>) -> (Vec<Bytes>, Option<io::Error>) {
        let mut cx = Context::from_waker(Waker::noop());
        let mut chunks = Vec::new();
        loop {
            match Pin::new(&mut stream).poll_next(&mut cx) {
                Poll::Ready(Some(Ok(chunk))) => chunks.push(chunk),
                Poll::Ready(Some(Err(err))) => return (chunks, Some(err)),
                Poll::Ready(None) => return (chunks, None),
                Poll::Pending => panic!("an in-memory reader is never pending"),
            }
        }
    }

    #[test]
    fn reads_everything_in_chunks_of_at_most_64_kib() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let (chunks, err) = collect(AsyncReadStream::new(&data[..]));
        assert!(err.is_none());
        assert!(chunks.iter().all(|c| !c.is_empty() && c.len() <= CHUNK));
        assert_eq!(chunks.concat(), data);
    }

    #[test]
    fn an_empty_reader_is_an_empty_stream() {
        let (chunks, err) = collect(AsyncReadStream::new(&b""[..]));
        assert!(chunks.is_empty() && err.is_none());
    }

    struct FailAfter(usize);

    impl AsyncRead for FailAfter {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if self.0 == 0 {
                return Poll::Ready(Err(io::Error::other("disk on fire")));
            }
            let n = self.0.min(buf.remaining()).min(1000);
            buf.put_slice(&vec![b'x'; n]);
            self.0 -= n;
            Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn an_error_ends_the_stream_after_the_bytes_before_it() {
        let (chunks, err) = collect(AsyncReadStream::new(FailAfter(2500)));
        assert_eq!(chunks.iter().map(Bytes::len).sum::<usize>(), 2500);
        assert_eq!(err.expect("the error").to_string(), "disk on fire");
    }
}
