//! One result line, and the output file it goes to.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use crate::failure::Failure;

/// One URL's line: what happened to it, as written out. (What travels with it between the
/// loops but is not written — its host, links, WARC records, lease — is
/// [`crate::fetch::Fetched`]'s.)
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) url: String,
    pub(crate) final_url: Option<String>,
    pub(crate) status: Option<u16>,
    pub(crate) bytes: u64,
    pub(crate) elapsed_ms: f64,
    pub(crate) attempts: u32,
    pub(crate) content_type: Option<String>,
    pub(crate) error: Option<Failure>,
    /// The file under `--save` that holds the body.
    pub(crate) saved_as: Option<String>,
    /// The body was longer than `--max-bytes`: only its first bytes were kept.
    pub(crate) truncated: bool,
    /// Crawl mode: where the URL was found, and how many links its page had.
    pub(crate) crawl: Option<CrawlInfo>,
}

/// What a crawled page's line adds.
#[derive(Debug, Clone)]
pub(crate) struct CrawlInfo {
    pub(crate) depth: u32,
    pub(crate) parent: Option<std::sync::Arc<str>>,
    /// Links on the page (all of them, followed or not); `None` for a page not parsed.
    pub(crate) links: Option<usize>,
}

impl Record {
    pub(crate) fn to_json(&self) -> String {
        let crawl = self.crawl.as_ref();
        let line = Line {
            attempts: self.attempts,
            bytes: self.bytes,
            content_type: self.content_type.as_deref(),
            depth: crawl.map(|c| c.depth),
            elapsed_ms: (self.elapsed_ms * 10.0).round() / 10.0,
            error: self.error.as_ref().map(|f| ErrorLine {
                kind: f.kind.as_str(),
                message: &f.message,
            }),
            final_url: self.final_url.as_deref(),
            links: crawl.map(|c| c.links),
            parent: crawl.map(|c| c.parent.as_deref()),
            saved_as: self.saved_as.as_deref(),
            status: self.status,
            truncated: self.truncated,
            url: &self.url,
        };
        serde_json::to_string(&line).expect("a record's line serialises")
    }
}

/// A record as written: serialised straight from borrowed fields. (Built as a
/// `serde_json::Value` first, each line cost a map insert and a key allocation per field, a
/// tenth of `fetch-demo-fast`'s client instructions with the copies.) The fields are in the
/// order the lines always had, the keys' alphabetical order; `error`, `final_url`, `status` and
/// `content_type` are written even when null, the others only when they apply.
#[derive(serde::Serialize)]
struct Line<'a> {
    attempts: u32,
    bytes: u64,
    content_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    depth: Option<u32>,
    elapsed_ms: f64,
    error: Option<ErrorLine<'a>>,
    final_url: Option<&'a str>,
    /// Crawl mode only; `null` there for a page not parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<Option<usize>>,
    /// Crawl mode only; `null` there for a seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    saved_as: Option<&'a str>,
    status: Option<u16>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    truncated: bool,
    url: &'a str,
}

#[derive(serde::Serialize)]
struct ErrorLine<'a> {
    kind: &'a str,
    message: &'a str,
}

/// The JSON-lines sink: each record is one `write` of a whole line into a buffer, flushed and
/// fsynced at the end and on interruption, so a crash leaves whole lines only (the last
/// buffered ones may be missing; `--resume` fetches them again).
pub(crate) struct Output {
    out: BufWriter<Box<dyn Write>>,
    file: Option<File>,
}

impl Output {
    /// Discards the lines (the demo without `-o`: the summary is the point).
    pub(crate) fn discard() -> Self {
        Self {
            out: BufWriter::new(Box::new(io::sink())),
            file: None,
        }
    }

    pub(crate) fn open(path: Option<&Path>, append: bool) -> io::Result<Self> {
        match path {
            None => Ok(Self {
                out: BufWriter::new(Box::new(io::stdout())),
                file: None,
            }),
            Some(p) => {
                if append {
                    repair_torn_tail(p)?;
                }
                let file = OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(append)
                    .truncate(!append)
                    .open(p)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
                let sync = file.try_clone()?;
                Ok(Self {
                    out: BufWriter::with_capacity(256 * 1024, Box::new(file)),
                    file: Some(sync),
                })
            }
        }
    }

    /// Writes `r`'s line; `before_flush` runs before any of the buffered lines reach the
    /// file (it makes durable what the lines depend on: the frontier, the WARC records).
    pub(crate) fn write(
        &mut self,
        r: &Record,
        before_flush: impl FnOnce() -> io::Result<()>,
    ) -> io::Result<()> {
        self.write_line(&r.to_json(), before_flush)
    }

    /// Writes one JSON line (given without its newline), as [`write`](Self::write) does.
    pub(crate) fn write_line(
        &mut self,
        line: &str,
        before_flush: impl FnOnce() -> io::Result<()>,
    ) -> io::Result<()> {
        let mut line = line.to_owned();
        line.push('\n');
        // A line larger than the free buffer space goes out as one write after a flush:
        // never split across two writes.
        if self.out.capacity() - self.out.buffer().len() < line.len() {
            before_flush()?;
            self.out.flush()?;
        }
        self.out.write_all(line.as_bytes())
    }

    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.out.flush()?;
        if let Some(f) = &self.file {
            match f.sync_all() {
                // Not a regular file (/dev/null, a pipe): nothing to sync.
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::EINVAL | libc::EROFS | libc::ENOTSUP)
                    ) => {}
                r => r?,
            }
        }
        Ok(())
    }
}

/// Cuts a torn last line (a run that ended mid-line: disk full, power cut) off the end of the
/// output file, so `--resume` appends on a line of its own; that URL is fetched again.
fn repair_torn_tail(path: &Path) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut f = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    };
    let len = f.metadata()?.len();
    // Look back for the last newline, a block at a time.
    let mut end = len;
    let mut block = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let n = (end - start) as usize;
        f.seek(SeekFrom::Start(start))?;
        std::io::Read::read_exact(&mut f, &mut block[..n])?;
        if let Some(i) = block[..n].iter().rposition(|&b| b == b'\n') {
            let keep = start + i as u64 + 1;
            if keep < len {
                f.set_len(keep)?;
            }
            return Ok(());
        }
        end = start;
    }
    // No newline at all: the whole file is one torn line.
    if len > 0 {
        f.set_len(0)?;
    }
    Ok(())
}

/// A URL as it is written out: with any password replaced (`user:***@host`), so credentials
/// in the input never reach the results.
pub(crate) fn redact(url: &url::Url) -> String {
    if url.password().is_some() {
        let mut u = url.clone();
        let _ = u.set_password(Some("***"));
        u.to_string()
    } else {
        url.to_string()
    }
}

/// The URLs already in an output file (for `--resume`); a torn last line is ignored.
pub(crate) fn done_urls(path: &Path) -> io::Result<HashSet<String>> {
    let mut done = HashSet::new();
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(done),
        Err(e) => return Err(e),
    };
    for line in BufReader::new(f).lines() {
        let line = line?;
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
            if let Some(u) = v["url"].as_str() {
                done.insert(u.to_owned());
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::FailureKind;

    fn record() -> Record {
        Record {
            url: "http://a.test/".to_owned(),
            final_url: Some("http://a.test/b".to_owned()),
            status: Some(200),
            bytes: 12,
            elapsed_ms: 12.34,
            attempts: 1,
            content_type: Some("text/html".to_owned()),
            error: None,
            saved_as: None,
            truncated: false,
            crawl: None,
        }
    }

    fn json(r: &Record) -> serde_json::Value {
        serde_json::from_str(&r.to_json()).unwrap()
    }

    #[test]
    fn a_plain_line_has_the_fixed_fields_and_no_optional_ones() {
        let v = json(&record());
        assert_eq!(v["url"], "http://a.test/");
        assert_eq!(v["elapsed_ms"], 12.3);
        assert!(v["error"].is_null());
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for absent in ["saved_as", "truncated", "depth", "parent", "links"] {
            assert!(!keys.contains(&absent), "{absent} in {keys:?}");
        }
    }

    #[test]
    fn an_error_is_written_with_its_kind_and_message() {
        let mut r = record();
        r.error = Some(Failure::new(FailureKind::Save, "disk full"));
        r.truncated = true;
        let v = json(&r);
        assert_eq!(v["error"]["kind"], "save");
        assert_eq!(v["error"]["message"], "disk full");
        assert_eq!(v["truncated"], true);
    }

    #[test]
    fn a_crawled_page_says_where_it_was_found() {
        let mut r = record();
        r.crawl = Some(CrawlInfo {
            depth: 2,
            parent: Some("http://a.test/p".into()),
            links: None,
        });
        let v = json(&r);
        assert_eq!(v["depth"], 2);
        assert_eq!(v["parent"], "http://a.test/p");
        assert!(v["links"].is_null());
    }

    #[test]
    fn lines_keep_their_exact_form() {
        // Keys in alphabetical order, the four fixed nullable ones written as null, the
        // optional ones left out: the form every earlier version wrote.
        assert_eq!(
            record().to_json(),
            r#"{"attempts":1,"bytes":12,"content_type":"text/html","elapsed_ms":12.3,"error":null,"final_url":"http://a.test/b","status":200,"url":"http://a.test/"}"#
        );
        let mut r = record();
        r.final_url = None;
        r.status = None;
        r.content_type = None;
        r.error = Some(Failure::new(FailureKind::Save, "disk \"full\""));
        r.saved_as = Some("0001.html".to_owned());
        r.truncated = true;
        r.crawl = Some(CrawlInfo {
            depth: 1,
            parent: None,
            links: Some(3),
        });
        assert_eq!(
            r.to_json(),
            r#"{"attempts":1,"bytes":12,"content_type":null,"depth":1,"elapsed_ms":12.3,"error":{"kind":"save","message":"disk \"full\""},"final_url":null,"links":3,"parent":null,"saved_as":"0001.html","status":null,"truncated":true,"url":"http://a.test/"}"#
        );
    }

    #[test]
    fn passwords_never_reach_the_output() {
        let u = url::Url::parse("http://user:secret@a.test/x").unwrap();
        assert_eq!(redact(&u), "http://user:***@a.test/x");
        let u = url::Url::parse("http://user@a.test/x").unwrap();
        assert_eq!(redact(&u), "http://user@a.test/x");
    }
}
