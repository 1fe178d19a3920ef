//! Sources read twice: an archive entry with
//! [`VirtualFile::with_crc32_first_pass`](crate::VirtualFile::with_crc32_first_pass)
//! is read once to hash it (the CRC its local header states), then again to
//! send it. Which sources can be, and a second reader of the same bytes
//! for each; the body runs both as its kind always runs.

use std::{
    io::{self, Read, SeekFrom},
    rc::Rc,
    sync::{Arc, Mutex},
};

use bytes::{Bytes, BytesMut};

use crate::{
    chunk::{BoxError, CHUNK},
    file::{Generate, ReadSeek, Source},
};

impl Source {
    /// `None` when the source can be read from its start twice; else what
    /// it is, for the error that refuses it.
    pub(crate) fn read_once(&self) -> Option<&'static str> {
        match self {
            Source::Bytes(_)
            | Source::Seek(_)
            | Source::Generator(_)
            | Source::AsyncGenerator(_) => None,
            Source::Read(_) => Some("reader without Seek"),
            Source::Iter(_) => Some("iterator"),
            Source::Writer(_) => Some("writer closure"),
            Source::Stream(_) => Some("stream"),
            Source::AsyncRead(_) => Some("async reader without seek"),
            Source::AsyncWriter(_) => Some("async writer closure"),
            Source::Archive(_) => Some("nested archive"),
        }
    }

    /// The source, ready to be read twice ([`reread`](Self::reread) gives
    /// the second reader): a seekable reader becomes an offset-aware
    /// generator over the reader, shared (each chunk is a seek and a read
    /// under its lock; the two passes never run at once). Others as they are.
    pub(crate) fn rereadable(self) -> Source {
        match self {
            Source::Seek(reader) => Source::Generator(shared_reader(reader)),
            other => other,
        }
    }

    /// Another reader of the same bytes from the start, for a first pass;
    /// `None` for a source that is read once (or not made
    /// [`rereadable`](Self::rereadable)).
    pub(crate) fn reread(&self) -> Option<Source> {
        match self {
            Source::Bytes(bytes) => Some(Source::Bytes(bytes.clone())),
            Source::Generator(generate) => Some(Source::Generator(Arc::clone(generate))),
            Source::AsyncGenerator(open) => Some(Source::AsyncGenerator(Rc::clone(open))),
            _ => None,
        }
    }
}

type Shared = Arc<Mutex<Box<dyn ReadSeek + Send + 'static>>>;

/// `reader` (offset 0 where it stood when given) as a generator from any
/// offset.
fn shared_reader(reader: Box<dyn ReadSeek + Send + 'static>) -> Generate {
    let shared: Shared = Arc::new(Mutex::new(reader));
    Arc::new(move |offset| {
        Box::new(SeekChunks {
            reader: Arc::clone(&shared),
            offset,
            done: false,
        })
    })
}

/// The chunks of a shared reader from `offset`: each a seek to where the
/// last ended and reads of up to [`CHUNK`] bytes (the engine's largest
/// chunk, handed over without a copy).
struct SeekChunks {
    reader: Shared,
    offset: u64,
    done: bool,
}

impl SeekChunks {
    fn read_chunk(&mut self) -> io::Result<Option<Bytes>> {
        let mut reader = self
            .reader
            .lock()
            .map_err(|_| io::Error::other("the reader panicked during an earlier read"))?;
        reader.seek(SeekFrom::Start(self.offset))?;
        let mut buf = BytesMut::zeroed(CHUNK);
        let mut filled = 0;
        while filled < buf.len() {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if filled == 0 {
            return Ok(None);
        }
        buf.truncate(filled);
        self.offset += filled as u64;
        Ok(Some(buf.freeze()))
    }
}

impl Iterator for SeekChunks {
    type Item = Result<Bytes, BoxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.read_chunk() {
            Ok(Some(chunk)) => Some(Ok(chunk)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(err) => {
                self.done = true;
                Some(Err(err.into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::VirtualFile;

    fn drain(source: &Source, offset: u64) -> Vec<u8> {
        let Source::Generator(generate) = source else {
            panic!("a generator")
        };
        generate(offset)
            .map(|chunk| chunk.unwrap())
            .flat_map(|chunk| chunk.to_vec())
            .collect()
    }

    #[test]
    fn a_seekable_reader_is_read_from_where_it_stood_as_often_as_asked() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut cursor = Cursor::new(data.clone());
        std::io::Seek::seek(&mut cursor, SeekFrom::Start(1000)).unwrap();
        let mut file = VirtualFile::from_seekable_reader(cursor).unwrap();
        let source = file.take_source().rereadable();
        let again = source.reread().expect("read twice");
        assert_eq!(drain(&source, 0), data[1000..]);
        assert_eq!(drain(&again, 0), data[1000..]);
        assert_eq!(drain(&again, 150_000), data[151_000..]);
    }

    #[test]
    fn only_sources_read_from_their_start_again_are_rereadable() {
        let once = [
            VirtualFile::from_reader(Cursor::new(vec![1u8])),
            VirtualFile::from_iter(["a"]),
            VirtualFile::from_writer(|_| Ok(())),
            VirtualFile::from_stream(futures_util::stream::empty::<Result<Bytes, io::Error>>()),
            VirtualFile::from_async_read(&b"a"[..]),
        ];
        for mut file in once {
            let source = file.take_source().rereadable();
            assert!(source.read_once().is_some());
            assert!(source.reread().is_none());
        }
        let twice = [
            VirtualFile::from_static(b"abc"),
            VirtualFile::from_generator(3, |_| ["abc"]),
            VirtualFile::from_seekable_reader(Cursor::new(b"abc".to_vec())).unwrap(),
            VirtualFile::from_async_seekable(Cursor::new(b"abc".to_vec()), 3),
        ];
        for mut file in twice {
            let source = file.take_source().rereadable();
            assert_eq!(source.read_once(), None);
            assert!(source.reread().is_some());
        }
    }
}
