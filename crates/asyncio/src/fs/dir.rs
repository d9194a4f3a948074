//! [`read_dir`]: a directory's entries as a stream, fetched in batches on the pool.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::{on_pool, with_path};
use crate::blocking::ToThread;

/// Entries fetched per pool job.
const BATCH: usize = 256;

/// One directory entry.
#[derive(Debug, Clone)]
pub struct DirEntry {
    path: PathBuf,
    file_type: Option<std::fs::FileType>,
}

impl DirEntry {
    /// The full path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last component.
    pub fn file_name(&self) -> OsString {
        self.path.file_name().map(Into::into).unwrap_or_default()
    }

    /// The entry's type, as the directory listing gave it (no extra system call).
    pub fn file_type(&self) -> Option<std::fs::FileType> {
        self.file_type
    }
}

type Batch = io::Result<(Vec<DirEntry>, bool)>;

/// The stream of [`read_dir`]. Implements `futures-core`'s `Stream`.
pub struct ReadDir {
    iter: Arc<Mutex<std::fs::ReadDir>>,
    path: Arc<Path>,
    ready: VecDeque<DirEntry>,
    job: Option<ToThread<Batch>>,
    done: bool,
}

impl std::fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadDir").field("path", &self.path).finish()
    }
}

/// Lists a directory (entries in the order the file system gives them).
///
/// # Errors
/// The system's error, naming the path.
///
/// # Cancel safety
/// Cancel-safe: a directory opened for a dropped future is closed.
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path: Arc<Path> = path.as_ref().into();
    let p = path.clone();
    let iter = on_pool(&path, move || std::fs::read_dir(&p)).await?;
    Ok(ReadDir {
        iter: Arc::new(Mutex::new(iter)),
        path,
        ready: VecDeque::new(),
        job: None,
        done: false,
    })
}

impl ReadDir {
    /// The next entry, or `None` at the end.
    ///
    /// # Errors
    /// The system's error, naming the directory.
    ///
    /// # Cancel safety
    /// Cancel-safe: a batch fetched for a dropped call is kept for the next one; no entry is
    /// lost.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        std::future::poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Poll::Ready(Ok(Some(e)));
            }
            if self.done {
                return Poll::Ready(Ok(None));
            }
            let job = self.job.get_or_insert_with(|| {
                let iter = self.iter.clone();
                crate::blocking::to_thread_named(Some("fs"), move || {
                    let mut it = iter.lock().unwrap_or_else(|e| e.into_inner());
                    let mut batch = Vec::with_capacity(BATCH);
                    for entry in it.by_ref().take(BATCH) {
                        let entry = entry?;
                        batch.push(DirEntry {
                            path: entry.path(),
                            file_type: entry.file_type().ok(),
                        });
                    }
                    let more = batch.len() == BATCH;
                    Ok((batch, more))
                })
            });
            let r = std::task::ready!(Pin::new(job).poll(cx));
            self.job = None;
            match r {
                Ok(Ok((batch, more))) => {
                    self.done = !more;
                    self.ready.extend(batch);
                }
                Ok(Err(e)) => return Poll::Ready(Err(with_path(e, &self.path))),
                Err(e) => return Poll::Ready(Err(io::Error::other(e.to_string()))),
            }
        }
    }
}

impl futures_core::Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_entry(cx).map(Result::transpose)
    }
}
