//! [`StreamReader`]: asyncio's buffered reader — `read(n)`, `readline`, `readexactly`,
//! `readuntil` with a limit — over any `futures-io` reader.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};

use super::ReadError;

/// asyncio's default buffer limit: 64 KiB.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// A buffered reader with asyncio's `StreamReader` methods.
///
/// `limit` bounds how much [`readuntil`](Self::readuntil) and [`readline`](Self::readline)
/// buffer while looking for a separator: past it they fail with
/// [`ReadError::LimitOverrun`] instead of growing without bound.
///
/// Wrapping a whole stream (not only a read half) keeps it usable as one: writes pass through.
///
/// ```
/// use asyncio::streams::StreamReader;
/// asyncio::run(async {
///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
///     b.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody").await.unwrap();
///     drop(b);
///     let mut r = StreamReader::new(a);
///     assert_eq!(r.readline().await.unwrap(), b"GET / HTTP/1.1\r\n");
///     assert_eq!(r.readuntil(b"\r\n\r\n").await.unwrap(), b"Host: x\r\n\r\n");
///     assert_eq!(r.readexactly(4).await.unwrap(), b"body");
///     assert!(!r.at_eof()); // end of file not seen yet
///     assert!(r.read(1).await.unwrap().is_empty());
///     assert!(r.at_eof());
/// });
/// ```
#[derive(Debug)]
pub struct StreamReader<R> {
    inner: R,
    // `buf[start..end]` is unread data; `buf` stays initialized, so refills need no zeroing.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    limit: usize,
    /// The last read filled all the free space: there is more data than room, so the buffer
    /// grows (once initialised, it is reused). Idle connections keep small buffers.
    filled_last: bool,
}

/// The buffer's first size.
const FIRST_BUFFER: usize = 8 * 1024;
/// The most the buffer grows to while reads keep filling it: twice the default limit, the most
/// CPython's `StreamReader` buffers before it pauses reading. Bulk messages up to this size
/// arrive in one system call (at 64 KiB, a 100 KiB echo server took two receives and went idle
/// between them three times as often).
const MAX_BUFFER: usize = 128 * 1024;

impl<R: AsyncRead + Unpin> StreamReader<R> {
    /// A reader with the default 64 KiB limit.
    pub fn new(inner: R) -> Self {
        Self::with_limit(inner, DEFAULT_LIMIT)
    }

    /// A reader whose separator searches stop at `limit` bytes.
    pub fn with_limit(inner: R, limit: usize) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            limit: limit.max(1),
            filled_last: false,
        }
    }

    /// The wrapped reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The wrapped reader, mutably (reading from it directly skips the buffer).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The buffered, unread bytes.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Gives back the wrapped reader and the unread buffered bytes.
    pub fn into_parts(self) -> (R, Vec<u8>) {
        let rest = self.buf[self.start..self.end].to_vec();
        (self.inner, rest)
    }

    /// Whether the stream ended and the buffer is empty (asyncio's `at_eof`).
    pub fn at_eof(&self) -> bool {
        self.eof && self.start == self.end
    }

    fn consume_to_vec(&mut self, n: usize) -> Vec<u8> {
        let out = self.buf[self.start..self.start + n].to_vec();
        self.consume_bytes(n);
        out
    }

    fn consume_bytes(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Reads more into the buffer; `Ok(0)` at end of file.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        if self.end == self.buf.len() {
            if self.start > 0 {
                // Move the unread bytes to the front.
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                let grow = self.buf.len().clamp(FIRST_BUFFER, MAX_BUFFER);
                self.buf.resize(self.buf.len() + grow, 0);
            }
        } else if self.filled_last && self.buf.len() < MAX_BUFFER {
            let grow = self.buf.len().clamp(FIRST_BUFFER, MAX_BUFFER);
            self.buf.resize(self.buf.len() + grow, 0);
        }
        let room = self.buf.len() - self.end;
        let n =
            std::task::ready!(Pin::new(&mut self.inner).poll_read(cx, &mut self.buf[self.end..]))?;
        if n == 0 {
            self.eof = true;
        }
        self.filled_last = n == room;
        self.end += n;
        Poll::Ready(Ok(n))
    }

    async fn fill(&mut self) -> io::Result<usize> {
        poll_fn(|cx| self.poll_fill(cx)).await
    }

    /// Reads up to `n` bytes: what is buffered, or one read's worth when the buffer is empty.
    /// An empty result means end of file (or `n == 0`).
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is consumed unless the future completes.
    pub async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        if self.start == self.end {
            self.fill().await?;
        }
        let take = n.min(self.end - self.start);
        Ok(self.consume_to_vec(take))
    }

    /// Reads to end of file (asyncio's `read(-1)`).
    ///
    /// # Cancel safety
    /// Cancel-safe: the data read so far stays buffered.
    pub async fn read_to_end(&mut self) -> io::Result<Vec<u8>> {
        while self.fill().await? > 0 {}
        let n = self.end - self.start;
        Ok(self.consume_to_vec(n))
    }

    /// Reads exactly `n` bytes.
    ///
    /// # Errors
    /// [`ReadError::Incomplete`] with the partial data if the stream ends first.
    ///
    /// # Cancel safety
    /// Cancel-safe: the bytes stay buffered until all `n` are there.
    pub async fn readexactly(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        while self.end - self.start < n {
            if self.fill().await? == 0 {
                let partial = self.consume_to_vec(self.end - self.start);
                return Err(ReadError::Incomplete {
                    partial,
                    expected: Some(n),
                });
            }
        }
        Ok(self.consume_to_vec(n))
    }

    /// Reads through the next `\n` (included). At end of file, returns what is left (possibly
    /// nothing), like asyncio.
    ///
    /// # Errors
    /// [`ReadError::LimitOverrun`] when no newline comes within the limit (the data stays
    /// buffered); I/O errors.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn readline(&mut self) -> Result<Vec<u8>, ReadError> {
        match self.readuntil(b"\n").await {
            Err(ReadError::Incomplete { partial, .. }) => Ok(partial),
            other => other,
        }
    }

    /// Reads through the next `separator` (included).
    ///
    /// # Errors
    /// [`ReadError::Incomplete`] at end of file before the separator (holding the rest);
    /// [`ReadError::LimitOverrun`] when it is not found within the limit (the data stays
    /// buffered).
    ///
    /// # Panics
    /// If `separator` is empty.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn readuntil(&mut self, separator: &[u8]) -> Result<Vec<u8>, ReadError> {
        self.readuntil_any(&[separator]).await
    }

    /// Reads through whichever of `separators` comes first (asyncio 3.13's tuple form); at the
    /// same position, the longest wins.
    ///
    /// # Errors
    /// As [`readuntil`](Self::readuntil).
    ///
    /// # Panics
    /// If `separators` is empty or holds an empty separator.
    ///
    /// # Cancel safety
    /// Cancel-safe: the data read so far stays buffered.
    pub async fn readuntil_any(&mut self, separators: &[&[u8]]) -> Result<Vec<u8>, ReadError> {
        assert!(
            !separators.is_empty() && separators.iter().all(|s| !s.is_empty()),
            "separators must be non-empty"
        );
        let longest = separators.iter().map(|s| s.len()).max().unwrap_or(1);
        // Where the search resumes: bytes before it cannot start a match.
        let mut searched = 0;
        loop {
            let data = &self.buf[self.start..self.end];
            if let Some(end) = find_first(data, searched, separators) {
                if end > self.limit {
                    return Err(ReadError::LimitOverrun { consumed: end });
                }
                return Ok(self.consume_to_vec(end));
            }
            searched = data.len().saturating_sub(longest - 1);
            if data.len() > self.limit {
                return Err(ReadError::LimitOverrun {
                    consumed: data.len(),
                });
            }
            if self.fill().await? == 0 {
                let partial = self.consume_to_vec(self.end - self.start);
                return Err(ReadError::Incomplete {
                    partial,
                    expected: None,
                });
            }
        }
    }
}

/// The end (exclusive) of the earliest separator occurrence starting at or after `from`.
fn find_first(data: &[u8], from: usize, separators: &[&[u8]]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for sep in separators {
        if let Some(pos) = find(&data[from.min(data.len())..], sep) {
            let pos = pos + from;
            let better = match best {
                None => true,
                Some((p, len)) => pos < p || (pos == p && sep.len() > len),
            };
            if better {
                best = Some((pos, sep.len()));
            }
        }
    }
    best.map(|(p, len)| p + len)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() == 1 {
        return haystack.iter().position(|&b| b == needle[0]);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl<R: AsyncRead + Unpin> AsyncRead for StreamReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.start == this.end && out.len() >= this.buf.len() {
            // Nothing buffered and a big destination: read straight into it.
            return Pin::new(&mut this.inner).poll_read(cx, out);
        }
        let available = std::task::ready!(Pin::new(&mut *this).poll_fill_buf(cx))?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        this.consume_bytes(n);
        Poll::Ready(Ok(n))
    }
}

impl<R: AsyncRead + Unpin> AsyncBufRead for StreamReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.start == this.end {
            std::task::ready!(this.poll_fill(cx))?;
        }
        Poll::Ready(Ok(&this.buf[this.start..this.end]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        let amt = amt.min(this.end - this.start);
        this.consume_bytes(amt);
    }
}

impl<R: AsyncWrite + Unpin> AsyncWrite for StreamReader<R> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::find_first;

    #[test]
    fn earliest_separator_wins_and_longest_at_a_tie() {
        let seps: [&[u8]; 2] = [b"\n", b"\r\n"];
        assert_eq!(find_first(b"ab\r\ncd\n", 0, &seps), Some(4));
        assert_eq!(find_first(b"ab\ncd\r\n", 0, &seps), Some(3));
        let seps: [&[u8]; 2] = [b"ab", b"abc"];
        assert_eq!(find_first(b"xxabcx", 0, &seps), Some(5));
        assert_eq!(find_first(b"xxabcx", 3, &seps), None);
    }
}
