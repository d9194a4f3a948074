//! Files, aiofiles-style: every operation runs on the blocking pool ([`crate::blocking`]), in
//! chunks of 256 KiB for reads and writes so one large file never holds a pool thread for long.
//! Errors carry the path.

mod dir;
mod file;

pub use dir::{read_dir, DirEntry, ReadDir};
pub use file::File;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::io::{AsyncReadExt, AsyncWriteExt};

/// Adds the path to an error's message.
pub(crate) fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Runs `f` on the pool; its error gets `path` in the message.
pub(crate) async fn on_pool<T: Send + 'static>(
    path: &Path,
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    match crate::blocking::to_thread_named(Some("fs"), f).await {
        Ok(r) => r.map_err(|e| with_path(e, path)),
        Err(e) => Err(io::Error::other(format!("{}: {e}", path.display()))),
    }
}

fn owned(path: &Path) -> Arc<Path> {
    path.into()
}

/// Reads a whole file, a chunk per pool job.
///
/// ```
/// asyncio::run(async {
///     let p = std::env::temp_dir().join(format!("asyncio-fs-doc-{}", std::process::id()));
///     asyncio::fs::write(&p, b"abc").await.unwrap();
///     assert_eq!(asyncio::fs::read(&p).await.unwrap(), b"abc");
///     assert_eq!(asyncio::fs::read_to_string(&p).await.unwrap(), "abc");
///     asyncio::fs::remove_file(&p).await.unwrap();
///     let e = asyncio::fs::read(&p).await.unwrap_err();
///     assert!(e.to_string().contains("asyncio-fs-doc"));
/// });
/// ```
///
/// # Errors
/// The system's error, naming the path.
///
/// # Cancel safety
/// Cancel-safe: nothing changes on disk; the chunk being read on the pool is discarded.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let mut f = File::open(path).await?;
    let mut out = Vec::new();
    f.read_to_end(&mut out).await?;
    Ok(out)
}

/// Reads a whole UTF-8 file.
///
/// # Errors
/// The system's error or invalid UTF-8 (`InvalidData`), naming the path.
///
/// # Cancel safety
/// Cancel-safe: nothing changes on disk.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref();
    let bytes = read(path).await?;
    String::from_utf8(bytes).map_err(|e| {
        with_path(
            io::Error::new(io::ErrorKind::InvalidData, e.utf8_error()),
            path,
        )
    })
}

/// Creates or truncates `path` and writes `data`, a chunk per pool job.
///
/// # Errors
/// The system's error (a full disk among them), naming the path.
///
/// # Cancel safety
/// Not cancel-safe: dropped midway, the file exists and holds part of `data`.
pub async fn write(path: impl AsRef<Path>, data: impl AsRef<[u8]>) -> io::Result<()> {
    let mut f = File::create(path).await?;
    f.write_all(data.as_ref()).await?;
    f.close().await
}

/// Copies `from` to `to` (created or truncated), a chunk per pool job; returns the bytes
/// copied.
///
/// # Errors
/// The system's error, naming the path concerned.
///
/// # Cancel safety
/// Not cancel-safe: dropped midway, `to` exists and holds part of `from`.
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let mut src = File::open(from).await?;
    let mut dst = File::create(to).await?;
    let mut buf = vec![0u8; file::CHUNK];
    let mut total = 0u64;
    loop {
        let n = src.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n]).await?;
        total += n as u64;
    }
    dst.close().await?;
    Ok(total)
}

/// Renames (moves) `from` to `to`, replacing `to` if it exists.
///
/// # Errors
/// The system's error, naming both paths.
///
/// # Cancel safety
/// Dropping the future does not stop a rename already running on the pool: it may still happen.
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (a, b): (PathBuf, PathBuf) = (from.as_ref().into(), to.as_ref().into());
    let label = PathBuf::from(format!("{} -> {}", a.display(), b.display()));
    on_pool(&label, move || std::fs::rename(&a, &b)).await
}

/// Removes a file.
///
/// # Errors
/// The system's error, naming the path.
///
/// # Cancel safety
/// Dropping the future does not stop a removal already running on the pool: it may still
/// happen.
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let p = owned(path.as_ref());
    let q = p.clone();
    on_pool(&p, move || std::fs::remove_file(&q)).await
}

/// Creates a directory and its missing parents.
///
/// # Errors
/// The system's error, naming the path.
///
/// # Cancel safety
/// Dropping the future does not stop the work already running on the pool: some directories may
/// be created.
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let p = owned(path.as_ref());
    let q = p.clone();
    on_pool(&p, move || std::fs::create_dir_all(&q)).await
}

/// Removes an empty directory.
///
/// # Errors
/// The system's error, naming the path.
///
/// # Cancel safety
/// Dropping the future does not stop a removal already running on the pool: it may still
/// happen.
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let p = owned(path.as_ref());
    let q = p.clone();
    on_pool(&p, move || std::fs::remove_dir(&q)).await
}

/// Removes a directory and everything in it.
///
/// # Errors
/// The system's error, naming the path.
///
/// # Cancel safety
/// Not cancel-safe: dropped midway, part of the tree may already be gone (the pool finishes the
/// job it started).
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let p = owned(path.as_ref());
    let q = p.clone();
    on_pool(&p, move || std::fs::remove_dir_all(&q)).await
}

/// Metadata (following symbolic links).
///
/// # Errors
/// The system's error, naming the path.
///
/// # Cancel safety
/// Cancel-safe.
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<std::fs::Metadata> {
    let p = owned(path.as_ref());
    let q = p.clone();
    on_pool(&p, move || std::fs::metadata(&q)).await
}
