//! The source kinds the protocol tests serve, each yielding the same bytes,
//! and the readers and writers the failure and cancellation tests use.

use std::{
    io::{self, Read},
    pin::Pin,
    sync::{atomic::AtomicUsize, Arc},
    task::{Context, Poll},
};

use bytes::Bytes;
use downloadview::{AsyncSink, DownloadError, VirtualFile};
use tokio::io::{AsyncRead, ReadBuf};

use crate::watch::Live;

/// The size of every body of [`file()`]: several chunks, more than HTTP/2's
/// initial flow-control window of 65,535 bytes, and not a round number.
pub const N: usize = 200_003;

/// The kinds whose size is known up front (`Content-Length`); the first
/// three serve ranges.
pub const SIZED: &[&str] = &["bytes", "seekable", "generator", "sized-reader"];
/// The kinds of [`SIZED`] that serve ranges.
pub const RANGED: &[&str] = &["bytes", "seekable", "generator"];
/// The kinds whose size is unknown.
pub const UNSIZED: &[&str] = &["reader", "iter", "writer", "stream", "async-read"];

/// `n` bytes of a pattern that shows any shifted or lost byte.
pub fn pattern(n: usize) -> Vec<u8> {
    pattern_range(0, n as u64)
}

/// The bytes `from..to` of the same pattern (the demo's `/big/` and its
/// archives' `data.bin` are this pattern too).
pub fn pattern_range(from: u64, to: u64) -> Vec<u8> {
    (from..to).map(|i| (i % 251) as u8).collect()
}

/// [`pattern`]`(n)` in pieces of `chunk` bytes.
pub fn chunks(n: usize, chunk: usize) -> impl Iterator<Item = Vec<u8>> {
    let all = pattern(n);
    (0..n)
        .step_by(chunk)
        .map(move |start| all[start..n.min(start + chunk)].to_vec())
}

/// [`pattern`]`(N)` from the source kind `kind` (one of [`SIZED`] and
/// [`UNSIZED`]); any other kind is `NotFound`.
pub fn file(kind: &str) -> Result<VirtualFile, DownloadError> {
    Ok(match kind {
        "bytes" => VirtualFile::from(pattern(N)),
        "seekable" => VirtualFile::from_seekable_reader(io::Cursor::new(pattern(N)))?,
        "sized-reader" => VirtualFile::from_reader(io::Cursor::new(pattern(N))).with_size(N as u64),
        "generator" => VirtualFile::from_generator(N as u64, |offset| {
            let all = pattern(N);
            (offset as usize..N)
                .step_by(10_000)
                .map(move |start| all[start..N.min(start + 10_000)].to_vec())
        }),
        "reader" => VirtualFile::from_reader(io::Cursor::new(pattern(N))),
        "iter" => VirtualFile::from_iter(chunks(N, 7_000)),
        "writer" => VirtualFile::from_writer(|out| {
            for chunk in chunks(N, 3_000) {
                out.write_all(&chunk)?;
            }
            Ok(())
        }),
        "stream" => VirtualFile::from_stream(futures_util::stream::iter(
            chunks(N, 5_000).map(|c| Ok::<_, io::Error>(Bytes::from(c))),
        )),
        "async-read" => VirtualFile::from_async_read(io::Cursor::new(pattern(N))),
        _ => return Err(DownloadError::NotFound),
    })
}

/// A blocking reader of `left` bytes of `byte`, then the error `message`.
pub struct FailingReader {
    pub left: usize,
    pub byte: u8,
    pub message: &'static str,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other(self.message));
        }
        let n = self.left.min(buf.len());
        buf[..n].fill(self.byte);
        self.left -= n;
        Ok(n)
    }
}

/// An endless blocking reader of `x`s that owns `G` (a drop signal: the
/// reader is dropped when `G` is).
pub struct EndlessReader<G>(pub G);

impl<G> Read for EndlessReader<G> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        buf.fill(b'x');
        Ok(buf.len())
    }
}

/// An endless `AsyncRead` of `x`s that owns `G`.
pub struct EndlessAsyncReader<G>(pub G);

impl<G> AsyncRead for EndlessAsyncReader<G> {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = buf.remaining().min(64 * 1024);
        buf.put_slice(&vec![b'x'; n]);
        Poll::Ready(Ok(()))
    }
}

/// An async writer that never ends, counted in `live` while its future
/// exists.
pub fn endless_async_writer(live: &Arc<AtomicUsize>) -> VirtualFile {
    let guard = Live::new(live);
    VirtualFile::from_async_writer(move |mut sink: AsyncSink| async move {
        use tokio::io::AsyncWriteExt as _;
        let _guard = guard;
        loop {
            sink.write_all(&[b'a'; 4096]).await?;
        }
        #[allow(unreachable_code)]
        Ok::<_, io::Error>(())
    })
}
