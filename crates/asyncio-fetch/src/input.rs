//! Where URLs come from: a file (read asynchronously in chunks, never all at once), standard
//! input (a reader thread), or the demo's generator. Both byte sources go through the same
//! [`Splitter`], so a bad line is reported by number the same way wherever it comes from.

use std::collections::VecDeque;
use std::io::{self, Read};

use asyncio::io::AsyncReadExt;

use crate::lines::{Line, Splitter};

/// How much is read at a time.
const CHUNK: usize = 64 * 1024;

pub(crate) enum Input {
    File {
        file: Box<asyncio::fs::File>,
        buf: Box<[u8]>,
        splitter: Splitter,
        ready: VecDeque<Line>,
        eof: bool,
        n: usize,
    },
    Stdin(asyncio::sync::ThreadSafeQueue<io::Result<Line>>, usize),
    Generated(Box<dyn Iterator<Item = String>>, usize),
}

impl Input {
    /// Opens `path` (`-` for standard input).
    ///
    /// # Errors
    /// The file cannot be opened, or is a directory (the error names the path).
    pub(crate) async fn open(path: &str) -> io::Result<Input> {
        if path == "-" {
            return Ok(Input::Stdin(stdin_lines(), 0));
        }
        let meta = asyncio::fs::metadata(path).await?;
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("{path}: is a directory, not a file of URLs"),
            ));
        }
        let file = Box::new(asyncio::fs::File::open(path).await?);
        Ok(Input::File {
            file,
            buf: vec![0u8; CHUNK].into_boxed_slice(),
            splitter: Splitter::new(),
            ready: VecDeque::new(),
            eof: false,
            n: 0,
        })
    }

    /// The next line and its number, or `None` at the end.
    ///
    /// # Errors
    /// A read error of the file or of standard input.
    pub(crate) async fn next(&mut self) -> io::Result<Option<(usize, Line)>> {
        match self {
            Input::File {
                file,
                buf,
                splitter,
                ready,
                eof,
                n,
            } => loop {
                if let Some(line) = ready.pop_front() {
                    *n += 1;
                    return Ok(Some((*n, line)));
                }
                if *eof {
                    return Ok(None);
                }
                let got = file.read(buf).await?;
                if got == 0 {
                    *eof = true;
                    splitter.finish(ready);
                } else {
                    splitter.push(&buf[..got], ready);
                }
            },
            Input::Stdin(q, n) => match q.get().await {
                Ok(line) => {
                    *n += 1;
                    Ok(Some((*n, line?)))
                }
                Err(_) => Ok(None),
            },
            Input::Generated(it, n) => Ok(it.next().map(|u| {
                *n += 1;
                (*n, Line::Text(u))
            })),
        }
    }
}

/// Standard input's lines, read by a thread (stdin has no non-blocking form that works for
/// files, pipes and terminals alike). A read error is passed on, then the input ends.
fn stdin_lines() -> asyncio::sync::ThreadSafeQueue<io::Result<Line>> {
    let q = asyncio::sync::ThreadSafeQueue::new(10_000);
    let tx = q.clone();
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut splitter = Splitter::new();
        let mut ready = VecDeque::new();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let got = match stdin.read(&mut buf) {
                Ok(0) => {
                    splitter.finish(&mut ready);
                    0
                }
                Ok(n) => {
                    splitter.push(&buf[..n], &mut ready);
                    n
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.put_blocking(Err(e));
                    break;
                }
            };
            for line in ready.drain(..) {
                if tx.put_blocking(Ok(line)).is_err() {
                    return;
                }
            }
            if got == 0 {
                break;
            }
        }
        tx.shutdown(false);
    });
    q
}

/// A line's URL: `None` for blank lines and comments, `Err` with the reason for invalid ones.
pub(crate) fn parse_line(line: &Line) -> Option<Result<url::Url, String>> {
    let t = match line {
        Line::TooLong => return Some(Err(format!("longer than {} bytes", crate::lines::MAX_LINE))),
        Line::Text(t) => t.trim(),
    };
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    Some(match url::Url::parse(t) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(u),
        Ok(u) => Err(format!("unsupported URL {t:?} (scheme {})", u.scheme())),
        Err(e) => Err(format!("invalid URL {t:?}: {e}")),
    })
}
