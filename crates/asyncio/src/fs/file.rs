//! [`File`]: a file whose reads and writes run on the blocking pool, a chunk per job.

use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{on_pool, with_path};
use crate::blocking::ToThread;

/// How much one pool job reads or writes. Large files go through many short jobs, so no pool
/// thread is held for long.
pub(crate) const CHUNK: usize = 256 * 1024;

enum Op {
    Read(io::Result<usize>, Vec<u8>),
    Write(io::Result<()>, Vec<u8>),
    Seek(io::Result<u64>),
}

enum State {
    Idle,
    Busy(ToThread<Op>),
}

/// An open file (aiofiles' file object, tokio's `fs::File`). Implements `futures-io`'s
/// `AsyncRead`, `AsyncWrite` and `AsyncSeek`.
///
/// - Reads of bytes already in the page cache are done on the loop's thread, straight into the
///   caller's buffer when it is large (Linux's `preadv2` with `RWF_NOWAIT`, which never waits
///   for the disk). A read that would wait goes to the blocking pool, 256 KiB at a time, and
///   while one chunk is being consumed the next is already read there (so the file's offset
///   runs up to one chunk ahead of what was read; a write or seek puts it back first).
/// - Writes are buffered and flushed on the pool in the background one chunk at a time (call
///   `flush` or `close` to know they landed; `sync_all` for the disk).
///
/// ```
/// use asyncio::io::{AsyncReadExt, AsyncWriteExt};
/// asyncio::run(async {
///     let path = std::env::temp_dir().join(format!("asyncio-doc-{}", std::process::id()));
///     let mut f = asyncio::fs::File::create(&path).await.unwrap();
///     f.write_all(b"hello file").await.unwrap();
///     f.close().await.unwrap();
///     let mut f = asyncio::fs::File::open(&path).await.unwrap();
///     let mut s = Vec::new();
///     f.read_to_end(&mut s).await.unwrap();
///     assert_eq!(s, b"hello file");
///     asyncio::fs::remove_file(&path).await.unwrap();
/// });
/// ```
pub struct File {
    std: Arc<std::fs::File>,
    path: Arc<Path>,
    state: State,
    /// Read-ahead not yet given out: `buf[pos..]`, then `ahead` (a chunk that arrived while
    /// `buf` still had some).
    buf: Vec<u8>,
    pos: usize,
    ahead: Option<Vec<u8>>,
    /// A read job is in flight (its bytes count as read-ahead once it lands).
    reading: bool,
    /// A chunk-sized allocation kept for the next job, so steady streaming allocates nothing.
    spare: Vec<u8>,
    /// Cached reads are tried on the loop's thread first (cleared for good when the file or
    /// kernel does not support it).
    inline_reads: bool,
    /// The last read had to wait for the disk: read ahead on the pool while bytes are consumed.
    read_ahead_on_pool: bool,
    /// The last read job found end of file (reported once).
    eof: bool,
    /// Written bytes not yet handed to a job.
    pending_write: Vec<u8>,
    /// The error of the last background write, reported by the next call.
    last_error: Option<io::Error>,
    /// The error of a read job, reported by the read that reaches it.
    read_error: Option<io::Error>,
    /// The result of the last seek job, and whether one is in flight for `poll_seek`.
    seek_result: Option<u64>,
    seeking: bool,
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File").field("path", &self.path).finish()
    }
}

impl File {
    /// Opens for reading.
    ///
    /// # Errors
    /// The system's error, naming the path.
    ///
    /// # Cancel safety
    /// Cancel-safe: a file the pool opened for a dropped future is closed there.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        Self::open_with(path, std::fs::OpenOptions::new().read(true).clone()).await
    }

    /// Creates (or truncates) for writing.
    ///
    /// # Errors
    /// The system's error, naming the path.
    ///
    /// # Cancel safety
    /// Cancel-safe as to the handle (a file opened for a dropped future is closed), but the
    /// file may already have been created or truncated.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        Self::open_with(path, o).await
    }

    /// Opens with the given options.
    ///
    /// # Errors
    /// The system's error, naming the path.
    ///
    /// # Cancel safety
    /// Cancel-safe as to the handle (a file opened for a dropped future is closed), but the
    /// options' effects (creating, truncating) may already have happened.
    pub async fn open_with(
        path: impl AsRef<Path>,
        options: std::fs::OpenOptions,
    ) -> io::Result<File> {
        let path: Arc<Path> = path.as_ref().into();
        let p = path.clone();
        let std = on_pool(&path, move || options.open(&p)).await?;
        Ok(Self::from_std_path(std, path))
    }

    fn from_std_path(std: std::fs::File, path: Arc<Path>) -> Self {
        Self {
            std: Arc::new(std),
            path,
            state: State::Idle,
            buf: Vec::new(),
            pos: 0,
            ahead: None,
            reading: false,
            spare: Vec::new(),
            inline_reads: cfg!(target_os = "linux"),
            read_ahead_on_pool: false,
            eof: false,
            pending_write: Vec::new(),
            last_error: None,
            read_error: None,
            seek_result: None,
            seeking: false,
        }
    }

    /// Wraps an open standard-library file.
    pub fn from_std(std: std::fs::File) -> Self {
        Self::from_std_path(std, PathBuf::from("<file>").into())
    }

    /// The path it was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Metadata.
    ///
    /// # Errors
    /// The system's error, naming the path.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn metadata(&self) -> io::Result<std::fs::Metadata> {
        let f = self.std.clone();
        on_pool(&self.path, move || f.metadata()).await
    }

    /// Flushes buffered writes, then `fsync`s data and metadata.
    ///
    /// # Errors
    /// Write or sync errors, naming the path.
    ///
    /// # Cancel safety
    /// Dropping the future does not stop the sync already running on the pool; the file's next
    /// operation waits for it.
    pub async fn sync_all(&mut self) -> io::Result<()> {
        futures_flush(self).await?;
        let f = self.std.clone();
        on_pool(&self.path, move || f.sync_all()).await
    }

    /// Flushes buffered writes, then sets the length.
    ///
    /// # Errors
    /// The system's error, naming the path.
    ///
    /// # Cancel safety
    /// Dropping the future does not undo a resize already running on the pool; the file's next
    /// operation waits for it.
    pub async fn set_len(&mut self, len: u64) -> io::Result<()> {
        futures_flush(self).await?;
        let f = self.std.clone();
        on_pool(&self.path, move || f.set_len(len)).await
    }

    /// Moves the position (flushing buffered writes first); returns the new offset from the
    /// start.
    ///
    /// # Errors
    /// The system's error, naming the path.
    ///
    /// # Cancel safety
    /// Dropping the future does not undo a seek already running on the pool: the position may
    /// have moved. The file's next operation waits for it.
    pub async fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        std::future::poll_fn(|cx| futures_io::AsyncSeek::poll_seek(Pin::new(&mut *self), cx, pos))
            .await
    }

    fn named(&self, e: io::Error) -> io::Error {
        with_path(e, &self.path)
    }

    /// Finishes the operation in flight, if any, and records its outcome.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let State::Busy(job) = &mut self.state {
            let op = std::task::ready!(Pin::new(job).poll(cx));
            self.state = State::Idle;
            self.reading = false;
            match op {
                Err(e) => return Poll::Ready(Err(io::Error::other(e.to_string()))),
                Ok(Op::Read(r, buf)) => match r {
                    Ok(0) => {
                        self.eof = true;
                        self.keep_spare(buf);
                    }
                    Ok(_) if self.pos < self.buf.len() => self.ahead = Some(buf),
                    Ok(_) => self.serve_from(buf),
                    Err(e) => {
                        self.keep_spare(buf);
                        self.read_error = Some(self.named(e));
                    }
                },
                Ok(Op::Write(r, buf)) => {
                    if let Err(e) = r {
                        self.last_error = Some(self.named(e));
                    }
                    self.keep_spare(buf);
                }
                Ok(Op::Seek(r)) => match r {
                    Ok(p) => self.seek_result = Some(p),
                    Err(e) => return Poll::Ready(Err(self.named(e))),
                },
            }
        }
        match self.last_error.take() {
            Some(e) => Poll::Ready(Err(e)),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Keeps `buf`'s allocation for the next job if it is chunk-sized and none is kept yet.
    /// Its contents stay (initialised bytes a read can go over without zeroing them first).
    fn keep_spare(&mut self, buf: Vec<u8>) {
        if buf.capacity() >= CHUNK && self.spare.capacity() < CHUNK {
            self.spare = buf;
        }
    }

    /// Makes `buf` the read-ahead given out next (the caller has given out all of the current
    /// one), keeping the old allocation.
    fn serve_from(&mut self, buf: Vec<u8>) {
        let used = std::mem::replace(&mut self.buf, buf);
        self.pos = 0;
        self.keep_spare(used);
    }

    /// A chunk-sized buffer: the kept one, or a new one. Its contents are left over.
    fn take_spare(&mut self) -> Vec<u8> {
        let mut buf = std::mem::take(&mut self.spare);
        buf.reserve_exact(CHUNK.saturating_sub(buf.len()));
        buf
    }

    /// Starts reading the next chunk on the pool.
    fn start_read(&mut self) {
        let f = self.std.clone();
        let mut buf = self.take_spare();
        self.reading = true;
        self.state = State::Busy(crate::blocking::to_thread_named(Some("fs"), move || {
            // Zeroes only bytes no earlier job initialised.
            buf.resize(CHUNK, 0);
            let r = (&*f).read(&mut buf);
            buf.truncate(*r.as_ref().unwrap_or(&0));
            Op::Read(r, buf)
        }));
    }

    /// Reads on this thread what the page cache holds: into `out` when it is large, else a
    /// chunk into the read-ahead buffer (then `None`, and the caller serves from it). `None`
    /// too when the read would wait for the disk, or cannot be tried here.
    #[cfg(target_os = "linux")]
    fn read_cached(&mut self, out: &mut [u8]) -> Option<io::Result<usize>> {
        use crate::sys::{pread_nowait, NoWait};
        /// Below this, one chunk is read into the buffer and small reads are served from it.
        const DIRECT: usize = 16 * 1024;
        let direct = out.len() >= DIRECT;
        let r = if direct {
            let len = out.len().min(CHUNK);
            pread_nowait(&self.std, &mut out[..len])
        } else {
            let mut buf = self.take_spare();
            buf.resize(CHUNK, 0);
            let r = pread_nowait(&self.std, &mut buf);
            if let Ok(NoWait::Read(n)) = r {
                buf.truncate(n);
                self.serve_from(buf);
            } else {
                self.keep_spare(buf);
            }
            r
        };
        match r {
            Err(e) => Some(Err(self.named(e))),
            Ok(NoWait::Read(n)) => {
                self.read_ahead_on_pool = false;
                match (direct, n) {
                    (true, n) => Some(Ok(n)),
                    (false, 0) => Some(Ok(0)),
                    (false, _) => None,
                }
            }
            Ok(NoWait::WouldBlock) => {
                self.read_ahead_on_pool = true;
                None
            }
            Ok(NoWait::Unsupported) => {
                self.inline_reads = false;
                self.read_ahead_on_pool = true;
                None
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn read_cached(&mut self, _out: &mut [u8]) -> Option<io::Result<usize>> {
        self.inline_reads = false;
        self.read_ahead_on_pool = true;
        None
    }

    /// Whether read-ahead exists or is on its way: the offset is past what was given out.
    fn read_ahead(&self) -> bool {
        self.reading || self.pos < self.buf.len() || self.ahead.is_some()
    }

    /// Starts writing out `pending_write`.
    fn start_write(&mut self) {
        let data = std::mem::take(&mut self.pending_write);
        let f = self.std.clone();
        self.state = State::Busy(crate::blocking::to_thread_named(Some("fs"), move || {
            let r = (&*f).write_all(&data);
            Op::Write(r, data)
        }));
    }

    /// Read-ahead the position has not reached yet goes back, so the file offset is where the
    /// caller thinks it is before a write or seek. Only called with no read job in flight.
    fn unread_offset(&mut self) -> i64 {
        debug_assert!(!self.reading, "read-ahead still in flight");
        self.read_error = None;
        let ahead = self.ahead.take().unwrap_or_default();
        let unread = (self.buf.len() - self.pos + ahead.len()) as i64;
        self.keep_spare(ahead);
        self.buf.clear();
        self.pos = 0;
        unread
    }
}

async fn futures_flush(f: &mut File) -> io::Result<()> {
    std::future::poll_fn(|cx| futures_io::AsyncWrite::poll_flush(Pin::new(&mut *f), cx)).await
}

impl futures_io::AsyncRead for File {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        loop {
            if this.pos < this.buf.len() {
                let n = (this.buf.len() - this.pos).min(out.len());
                out[..n].copy_from_slice(&this.buf[this.pos..this.pos + n]);
                this.pos += n;
                if this.read_ahead_on_pool
                    && matches!(this.state, State::Idle)
                    && this.ahead.is_none()
                    && !this.eof
                    && this.pending_write.is_empty()
                    && this.last_error.is_none()
                    && this.read_error.is_none()
                {
                    // Read the next chunk while the caller works on this one.
                    this.start_read();
                }
                return Poll::Ready(Ok(n));
            }
            if let Some(next) = this.ahead.take() {
                this.serve_from(next);
                continue;
            }
            std::task::ready!(this.poll_idle(cx))?;
            if this.pos < this.buf.len() {
                continue;
            }
            if let Some(e) = this.read_error.take() {
                return Poll::Ready(Err(e));
            }
            if std::mem::take(&mut this.eof) || out.is_empty() {
                return Poll::Ready(Ok(0));
            }
            if !this.pending_write.is_empty() {
                this.start_write();
                continue;
            }
            if this.inline_reads {
                if let Some(r) = this.read_cached(out) {
                    return Poll::Ready(r);
                }
                if this.pos < this.buf.len() {
                    continue;
                }
            }
            this.start_read();
        }
    }
}

impl futures_io::AsyncWrite for File {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        loop {
            if this.read_ahead() {
                // Move the offset back over read-ahead before writing.
                std::task::ready!(this.poll_idle(cx))?;
                let back = this.unread_offset();
                if back != 0 {
                    let f = this.std.clone();
                    this.state =
                        State::Busy(crate::blocking::to_thread_named(Some("fs"), move || {
                            Op::Seek((&*f).seek(SeekFrom::Current(-back)))
                        }));
                }
                continue;
            }
            this.eof = false;
            if this.pending_write.len() >= CHUNK {
                // A full chunk waits: finish the job in flight, then hand this one over.
                std::task::ready!(this.poll_idle(cx))?;
                this.start_write();
                continue;
            }
            if let Some(e) = this.last_error.take() {
                return Poll::Ready(Err(e));
            }
            if this.pending_write.capacity() < CHUNK {
                let mut buf = this.take_spare();
                buf.clear();
                this.pending_write = buf;
            }
            let n = data.len().min(CHUNK - this.pending_write.len());
            this.pending_write.extend_from_slice(&data[..n]);
            if this.pending_write.len() >= CHUNK && matches!(this.state, State::Idle) {
                this.start_write();
            }
            return Poll::Ready(Ok(n));
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            std::task::ready!(this.poll_idle(cx))?;
            if this.pending_write.is_empty() {
                return Poll::Ready(Ok(()));
            }
            this.start_write();
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl futures_io::AsyncSeek for File {
    fn poll_seek(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let this = &mut *self;
        if !this.seeking {
            std::task::ready!(futures_io::AsyncWrite::poll_flush(Pin::new(&mut *this), cx))?;
            let pos = match pos {
                SeekFrom::Current(d) => SeekFrom::Current(d - this.unread_offset()),
                other => {
                    this.unread_offset();
                    other
                }
            };
            this.eof = false;
            this.seek_result = None;
            let f = this.std.clone();
            this.state = State::Busy(crate::blocking::to_thread_named(Some("fs"), move || {
                Op::Seek((&*f).seek(pos))
            }));
            this.seeking = true;
        }
        let r = this.poll_idle(cx);
        if r.is_ready() {
            this.seeking = false;
        }
        std::task::ready!(r)?;
        Poll::Ready(Ok(this.seek_result.take().unwrap_or(0)))
    }
}
