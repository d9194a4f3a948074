//! Where URLs come from: a file (read asynchronously, line by line, never all at once),
//! standard input (a reader thread), or the demo's generator.

use std::io::{self, BufRead};

use asyncio::streams::StreamReader;

pub(crate) enum Input {
    File(StreamReader<asyncio::fs::File>, usize),
    Stdin(asyncio::sync::ThreadSafeQueue<String>, usize),
    Generated(Box<dyn Iterator<Item = String>>, usize),
}

impl Input {
    pub(crate) async fn open(path: &str) -> io::Result<Input> {
        if path == "-" {
            let q = asyncio::sync::ThreadSafeQueue::new(10_000);
            let tx = q.clone();
            std::thread::spawn(move || {
                for line in io::stdin().lock().lines() {
                    let Ok(line) = line else { break };
                    if tx.put_blocking(line).is_err() {
                        break;
                    }
                }
                tx.shutdown(false);
            });
            return Ok(Input::Stdin(q, 0));
        }
        let f = asyncio::fs::File::open(path).await?;
        Ok(Input::File(StreamReader::with_limit(f, 1 << 20), 0))
    }

    /// The next line and its number, or `None` at the end.
    pub(crate) async fn next(&mut self) -> io::Result<Option<(usize, String)>> {
        match self {
            Input::File(r, n) => {
                let line = r.readline().await.map_err(io::Error::from)?;
                if line.is_empty() {
                    return Ok(None);
                }
                *n += 1;
                Ok(Some((*n, String::from_utf8_lossy(&line).into_owned())))
            }
            Input::Stdin(q, n) => match q.get().await {
                Ok(line) => {
                    *n += 1;
                    Ok(Some((*n, line)))
                }
                Err(_) => Ok(None),
            },
            Input::Generated(it, n) => Ok(it.next().map(|u| {
                *n += 1;
                (*n, u)
            })),
        }
    }
}

/// A line's URL: `None` for blank lines and comments, `Err` with the reason for invalid ones.
pub(crate) fn parse_line(line: &str) -> Option<Result<url::Url, String>> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    Some(match url::Url::parse(t) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(u),
        Ok(u) => Err(format!("unsupported URL {t:?} (scheme {})", u.scheme())),
        Err(e) => Err(format!("invalid URL {t:?}: {e}")),
    })
}
