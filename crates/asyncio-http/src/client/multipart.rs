//! [`Form`]: a `multipart/form-data` body (aiohttp's `FormData`), streamed: file parts are read
//! from disk in 64 KiB chunks as the connection takes them, never whole into memory, and the
//! body's length is known up front (files' sizes are read when they are added) so it goes
//! out with `Content-Length`.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_io::AsyncRead;

use super::body::BoxStream;

/// The size of a file read.
const CHUNK: usize = 64 * 1024;

/// A multipart form.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use asyncio_http::{ClientSession, Form, Part};
/// let form = Form::new()
///     .text("title", "holiday")
///     .part("photo", Part::file("beach.jpg").await?.mime("image/jpeg"));
/// let session = ClientSession::new();
/// session.post("http://127.0.0.1:8080/upload").multipart(form).send().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Form {
    boundary: String,
    parts: Vec<(String, Part)>,
}

/// One part of a [`Form`]: bytes in memory or a file on disk, with an optional file name and
/// content type.
#[derive(Debug)]
pub struct Part {
    body: PartBody,
    file_name: Option<String>,
    mime: Option<String>,
}

#[derive(Debug)]
enum PartBody {
    Bytes(Bytes),
    File { path: PathBuf, len: u64 },
}

impl Default for Form {
    fn default() -> Self {
        Self::new()
    }
}

impl Form {
    /// An empty form with a random boundary.
    pub fn new() -> Self {
        use std::hash::{BuildHasher, Hasher};
        // std's per-process random keys: unpredictability is not needed, only a string absent
        // from the parts.
        let mut x = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
            | 1;
        let mut boundary = String::from("----asyncio-http-");
        // RFC 2046: at most 70 characters.
        for _ in 0..2 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            boundary.push_str(&format!("{x:016x}"));
        }
        Self {
            boundary,
            parts: Vec::new(),
        }
    }

    /// The boundary between parts.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// Adds a text field.
    pub fn text(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.part(name, Part::bytes(value.into()))
    }

    /// Adds a part.
    pub fn part(mut self, name: impl Into<String>, part: Part) -> Self {
        self.parts.push((name.into(), part));
        self
    }

    /// The `Content-Type` header: `multipart/form-data; boundary=…`.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The heading of each part and the closing line, with the body's total length.
    fn layout(&self) -> (Vec<Bytes>, Bytes, u64) {
        let mut heads = Vec::with_capacity(self.parts.len());
        let mut len = 0u64;
        for (i, (name, part)) in self.parts.iter().enumerate() {
            let mut h = String::new();
            if i > 0 {
                h.push_str("\r\n");
            }
            h.push_str("--");
            h.push_str(&self.boundary);
            h.push_str("\r\nContent-Disposition: form-data; name=\"");
            h.push_str(&quote(name));
            h.push('"');
            if let Some(f) = &part.file_name {
                h.push_str("; filename=\"");
                h.push_str(&quote(f));
                h.push('"');
            }
            h.push_str("\r\n");
            if let Some(m) = part
                .mime
                .as_deref()
                .or(part.file_name.as_ref().map(|_| "application/octet-stream"))
            {
                h.push_str("Content-Type: ");
                h.push_str(m);
                h.push_str("\r\n");
            }
            h.push_str("\r\n");
            len += h.len() as u64 + part.len();
            heads.push(Bytes::from(h));
        }
        let tail = if self.parts.is_empty() {
            format!("--{}--\r\n", self.boundary)
        } else {
            format!("\r\n--{}--\r\n", self.boundary)
        };
        len += tail.len() as u64;
        (heads, Bytes::from(tail), len)
    }

    /// The body as a stream, and its exact length.
    pub(crate) fn into_stream(self) -> (BoxStream, u64) {
        let (heads, tail, len) = self.layout();
        let parts = self
            .parts
            .into_iter()
            .map(|(_, p)| p.body)
            .collect::<Vec<_>>();
        let stream = FormStream {
            parts: heads.into_iter().zip(parts).collect::<Vec<_>>().into_iter(),
            tail: Some(tail),
            state: State::Next,
        };
        (Box::pin(stream), len)
    }
}

impl Part {
    /// A part from bytes in memory.
    pub fn bytes(data: impl Into<Bytes>) -> Self {
        Self {
            body: PartBody::Bytes(data.into()),
            file_name: None,
            mime: None,
        }
    }

    /// A part streamed from the file at `path`, named after it. Its size is read now; the
    /// file is opened and read when the request sends it.
    ///
    /// # Errors
    /// The file's metadata cannot be read, or it is not a regular file.
    pub async fn file(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_owned();
        let meta = asyncio::fs::metadata(&path)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: not a regular file", path.display()),
            ));
        }
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        Ok(Self {
            body: PartBody::File {
                path,
                len: meta.len(),
            },
            file_name,
            mime: None,
        })
    }

    /// Sets the file name (`filename=` in the part's heading).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// Sets the content type.
    pub fn mime(mut self, mime: impl Into<String>) -> Self {
        self.mime = Some(mime.into());
        self
    }

    fn len(&self) -> u64 {
        match &self.body {
            PartBody::Bytes(b) => b.len() as u64,
            PartBody::File { len, .. } => *len,
        }
    }
}

/// `"` and line breaks escaped as browsers escape them in a field name or file name.
fn quote(s: &str) -> String {
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

type Opening = Pin<Box<dyn Future<Output = io::Result<asyncio::fs::File>>>>;

enum State {
    /// Between parts.
    Next,
    /// Opening a file part.
    Opening(Opening, PathBuf, u64),
    /// Reading a file part: bytes left.
    Reading(asyncio::fs::File, PathBuf, u64),
}

struct FormStream {
    parts: std::vec::IntoIter<(Bytes, PartBody)>,
    tail: Option<Bytes>,
    state: State,
}

impl Stream for FormStream {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Next => {
                    let Some((head, body)) = this.parts.next() else {
                        return Poll::Ready(this.tail.take().map(Ok));
                    };
                    let out = match body {
                        PartBody::Bytes(b) => {
                            let mut out = BytesMut::with_capacity(head.len() + b.len());
                            out.extend_from_slice(&head);
                            out.extend_from_slice(&b);
                            out.freeze()
                        }
                        PartBody::File { path, len } => {
                            let open = asyncio::fs::File::open(path.clone());
                            this.state = State::Opening(Box::pin(open), path, len);
                            head
                        }
                    };
                    return Poll::Ready(Some(Ok(out)));
                }
                State::Opening(open, path, len) => {
                    let file = match open.as_mut().poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Ok(f)) => f,
                        Poll::Ready(Err(e)) => {
                            let e = io::Error::new(e.kind(), format!("{}: {e}", path.display()));
                            this.state = State::Next;
                            this.parts = Vec::new().into_iter();
                            this.tail = None;
                            return Poll::Ready(Some(Err(e)));
                        }
                    };
                    let (path, len) = (std::mem::take(path), *len);
                    this.state = State::Reading(file, path, len);
                }
                State::Reading(file, path, left) => {
                    if *left == 0 {
                        this.state = State::Next;
                        continue;
                    }
                    let want = (*left).min(CHUNK as u64) as usize;
                    let mut buf = vec![0u8; want];
                    let n = match Pin::new(&mut *file).poll_read(cx, &mut buf) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Ok(n)) => n,
                        Poll::Ready(Err(e)) => {
                            let e = io::Error::new(e.kind(), format!("{}: {e}", path.display()));
                            return Poll::Ready(Some(Err(self.fail(e))));
                        }
                    };
                    if n == 0 {
                        let e = io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "{}: the file shrank while it was being sent",
                                path.display()
                            ),
                        );
                        return Poll::Ready(Some(Err(self.fail(e))));
                    }
                    *left -= n as u64;
                    buf.truncate(n);
                    return Poll::Ready(Some(Ok(Bytes::from(buf))));
                }
            }
        }
    }
}

impl FormStream {
    /// Ends the stream after an error.
    fn fail(&mut self, e: io::Error) -> io::Error {
        self.state = State::Next;
        self.parts = Vec::new().into_iter();
        self.tail = None;
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(mut s: BoxStream) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| s.as_mut().poll_next(cx)).await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[test]
    fn the_body_has_the_declared_length_and_each_part_its_heading() {
        asyncio::run(async {
            let dir = std::env::temp_dir().join(format!("mp-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("a \"b\".txt");
            std::fs::write(&path, vec![b'x'; 200_000]).unwrap();
            let form = Form::new()
                .text("name", "value")
                .part("f", Part::file(&path).await.unwrap().mime("text/plain"))
                .part("raw", Part::bytes(&b"\x00\x01"[..]).file_name("r.bin"));
            let boundary = form.boundary().to_owned();
            let (stream, len) = form.into_stream();
            let body = collect(stream).await.unwrap();
            assert_eq!(body.len() as u64, len);
            let text = String::from_utf8_lossy(&body);
            assert!(text.starts_with(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nvalue\r\n"
            )));
            assert!(text.contains(
                "name=\"f\"; filename=\"a %22b%22.txt\"\r\nContent-Type: text/plain\r\n\r\nxxx"
            ));
            assert!(text.contains("filename=\"r.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\u{0}\u{1}\r\n"));
            assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
            std::fs::remove_dir_all(&dir).unwrap();
        });
    }

    #[test]
    fn a_file_removed_before_sending_fails_the_stream() {
        asyncio::run(async {
            let path = std::env::temp_dir().join(format!("mp-gone-{}", std::process::id()));
            std::fs::write(&path, b"abc").unwrap();
            let form = Form::new().part("f", Part::file(&path).await.unwrap());
            std::fs::remove_file(&path).unwrap();
            let err = collect(form.into_stream().0).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
            assert!(Part::file("/").await.is_err(), "a directory is refused");
        });
    }
}
