//! Sources read twice: an archive entry with
//! [`VirtualFile::with_crc32_first_pass`](crate::VirtualFile::with_crc32_first_pass)
//! is read once to hash it (the CRC its local header states), then again to
//! send it. Which sources can be, and a second reader of the same bytes
//! for each; the body runs both as its kind always runs.

use std::{
    io::{self, Read, Seek, SeekFrom},
    rc::Rc,
    sync::{Arc, Mutex, MutexGuard},
};

use crate::file::{ReadSeek, Source};

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

    /// The source and a second reader of the same bytes from their start,
    /// for a first pass; the source itself when it is read once.
    ///
    /// A seekable reader becomes two handles on the reader, shared: each
    /// keeps its own position and seeks to it when the other moved the
    /// reader (the passes run one after the other, so their reads never
    /// interleave but for that seek). Both are still read as any seekable
    /// reader is, straight into the engine's buffers.
    pub(crate) fn twice(self) -> Result<(Source, Source), Source> {
        match self {
            Source::Bytes(bytes) => Ok((Source::Bytes(bytes.clone()), Source::Bytes(bytes))),
            Source::Generator(generate) => Ok((
                Source::Generator(Arc::clone(&generate)),
                Source::Generator(generate),
            )),
            Source::AsyncGenerator(open) => Ok((
                Source::AsyncGenerator(Rc::clone(&open)),
                Source::AsyncGenerator(open),
            )),
            Source::Seek(reader) => {
                let shared = Arc::new(Mutex::new(Shared { reader, at: 0 }));
                let handle = |shared| Source::Seek(Box::new(Handle { shared, pos: 0 }));
                Ok((handle(Arc::clone(&shared)), handle(shared)))
            }
            other => Err(other),
        }
    }
}

/// A seekable reader shared by the handles of [`Source::twice`].
struct Shared {
    reader: Box<dyn ReadSeek + Send + 'static>,
    /// Where the reader stands.
    at: u64,
}

/// One reader's view of a [`Shared`] one: its own position.
struct Handle {
    shared: Arc<Mutex<Shared>>,
    pos: u64,
}

impl Handle {
    fn lock(&self) -> io::Result<MutexGuard<'_, Shared>> {
        self.shared
            .lock()
            .map_err(|_| io::Error::other("the reader panicked during an earlier read"))
    }
}

impl Read for Handle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let pos = self.pos;
        let mut shared = self.lock()?;
        if shared.at != pos {
            shared.at = shared.reader.seek(SeekFrom::Start(pos))?;
        }
        let n = shared.reader.read(buf)?;
        shared.at += n as u64;
        drop(shared);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Handle {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let mut shared = self.lock()?;
        let pos = match to {
            SeekFrom::Start(pos) => pos,
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "seek before the start")
            })?,
            SeekFrom::End(_) => {
                shared.at = shared.reader.seek(to)?;
                shared.at
            }
        };
        drop(shared);
        self.pos = pos;
        Ok(pos)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use bytes::Bytes;

    use super::*;
    use crate::VirtualFile;

    fn read_all(source: Source) -> Vec<u8> {
        let Source::Seek(mut reader) = source else {
            panic!("a seekable reader")
        };
        let mut out = Vec::new();
        let mut buf = [0; 1000];
        loop {
            match reader.read(&mut buf).unwrap() {
                0 => return out,
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[test]
    fn the_two_readers_of_a_seekable_reader_read_from_where_it_stood() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut cursor = Cursor::new(data.clone());
        cursor.seek(SeekFrom::Start(1000)).unwrap();
        let mut file = VirtualFile::from_seekable_reader(cursor).unwrap();
        let Ok((first, second)) = file.take_source().twice() else {
            panic!("read twice")
        };
        assert!(read_all(first) == data[1000..]);
        let Source::Seek(mut second) = second else {
            panic!("a seekable reader")
        };
        // Its own position, whatever the other did.
        let mut buf = [0; 10];
        second.read_exact(&mut buf).unwrap();
        assert_eq!(buf[..], data[1000..1010]);
        assert_eq!(second.seek(SeekFrom::Current(5)).unwrap(), 15);
        assert_eq!(second.seek(SeekFrom::End(-3)).unwrap(), 199_000 - 3);
        second.read_exact(&mut buf[..3]).unwrap();
        assert_eq!(buf[..3], data[200_000 - 3..]);
    }

    #[test]
    fn only_sources_read_from_their_start_again_can_be_read_twice() {
        let once = [
            VirtualFile::from_reader(Cursor::new(vec![1u8])),
            VirtualFile::from_iter(["a"]),
            VirtualFile::from_writer(|_| Ok(())),
            VirtualFile::from_stream(futures_util::stream::empty::<Result<Bytes, io::Error>>()),
            VirtualFile::from_async_read(&b"a"[..]),
        ];
        for mut file in once {
            let source = file.take_source();
            assert!(source.read_once().is_some());
            assert!(source.twice().is_err());
        }
        let twice = [
            VirtualFile::from_static(b"abc"),
            VirtualFile::from_generator(3, |_| ["abc"]),
            VirtualFile::from_seekable_reader(Cursor::new(b"abc".to_vec())).unwrap(),
            VirtualFile::from_async_seekable(Cursor::new(b"abc".to_vec()), 3),
        ];
        for mut file in twice {
            let source = file.take_source();
            assert_eq!(source.read_once(), None);
            assert!(source.twice().is_ok());
        }
    }
}
