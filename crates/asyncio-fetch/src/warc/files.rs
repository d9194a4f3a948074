//! The archive's files: written, rolled over at `--warc-max-size`, repaired and read back
//! on `--resume`.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use super::records::{member, record_id, warc_date, Payloads, REMEMBERED};

/// The WARC file(s) of a run, on loop 0.
pub(crate) struct Writer {
    /// The path without `.warc.gz`.
    stem: String,
    max_size: Option<u64>,
    index: u32,
    file: BufWriter<File>,
    sync: File,
    size: u64,
    info: String,
}

impl Writer {
    /// Opens `path` (with `max_size`, the rolling set `STEM-NNNNN.warc.gz`); with `resume`,
    /// appends to the newest file after cutting off a torn last record.
    ///
    /// # Errors
    /// The file cannot be created or read.
    pub(crate) fn open(
        path: &Path,
        max_size: Option<u64>,
        resume: bool,
        info: String,
    ) -> io::Result<Self> {
        let stem = stem_of(path);
        let mut index = 0;
        if resume && max_size.is_some() {
            while Path::new(&name(&stem, max_size, index + 1)).exists() {
                index += 1;
            }
        }
        let path = PathBuf::from(name(&stem, max_size, index));
        let kept = if resume { repair(&path)? } else { 0 };
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .append(resume)
            .truncate(!resume)
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let sync = file.try_clone()?;
        let mut w = Self {
            stem,
            max_size,
            index,
            file: BufWriter::with_capacity(512 * 1024, file),
            sync,
            size: kept,
            info,
        };
        w.warcinfo()?;
        Ok(w)
    }

    fn warcinfo(&mut self) -> io::Result<()> {
        let filename = name(&self.stem, self.max_size, self.index);
        let filename = Path::new(&filename)
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mut out = Vec::new();
        member(
            &mut out,
            &format!(
                "WARC-Type: warcinfo\r\nWARC-Record-ID: {}\r\nWARC-Date: {}\r\nWARC-Filename: {filename}\r\nContent-Type: application/warc-fields\r\n",
                record_id(),
                warc_date(SystemTime::now())
            ),
            self.info.as_bytes(),
        );
        self.file.write_all(&out)?;
        self.size += out.len() as u64;
        Ok(())
    }

    /// Appends one fetch's records (from [`records`](super::records::records)), rolling over to the next file first
    /// when they would take this one past `--warc-max-size`.
    ///
    /// # Errors
    /// Writing failed (disk full).
    pub(crate) fn write(&mut self, members: &[u8]) -> io::Result<()> {
        if let Some(max) = self.max_size {
            if self.size + members.len() as u64 > max && self.size > 0 {
                self.finish()?;
                self.index += 1;
                let path = name(&self.stem, self.max_size, self.index);
                let file = File::create(&path)
                    .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
                self.sync = file.try_clone()?;
                self.file = BufWriter::with_capacity(512 * 1024, file);
                self.size = 0;
                self.warcinfo()?;
            }
        }
        self.file.write_all(members)?;
        self.size += members.len() as u64;
        Ok(())
    }

    /// Hands what is buffered to the kernel (before the JSON lines that name these records).
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }

    /// Flushes and syncs the current file.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.file.flush()?;
        self.sync.sync_all()
    }
}

/// `NAME` of `NAME.warc.gz` (or of `NAME.gz`).
fn stem_of(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_suffix(".warc.gz")
        .or_else(|| s.strip_suffix(".gz"))
        .unwrap_or(&s)
        .to_owned()
}

/// The payloads of the responses already archived in the set at `path` (`--resume`): digest,
/// target URI and date of each, read from every whole record of every file (a torn tail is
/// skipped).
///
/// # Errors
/// A file of the set cannot be read.
pub(crate) fn archived_payloads(path: &Path, max_size: Option<u64>) -> io::Result<Payloads> {
    let stem = stem_of(path);
    let mut seen = HashMap::new();
    for index in 0.. {
        let file = match File::open(name(&stem, max_size, index)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => break,
            Err(e) => return Err(e),
        };
        let mut r = BufReader::new(file);
        while !r.fill_buf()?.is_empty() {
            let mut record = BufReader::new(flate2::bufread::GzDecoder::new(&mut r));
            let mut fields = HashMap::new();
            let mut line = String::new();
            let head_read = loop {
                line.clear();
                match record.read_line(&mut line) {
                    Ok(0) => break false,
                    Ok(_) if line == "\r\n" => break true,
                    Ok(_) => {
                        if let Some((k, v)) = line.split_once(':') {
                            fields.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                        }
                    }
                    Err(_) => break false,
                }
            };
            // The rest of the record: a member that does not end whole is a torn tail.
            if !head_read || io::copy(&mut record, &mut io::sink()).is_err() {
                break;
            }
            if fields.get("warc-type").map(String::as_str) != Some("response") {
                continue;
            }
            let digest = fields
                .get("warc-payload-digest")
                .and_then(|d| d.strip_prefix("sha1:"))
                .and_then(|d| data_encoding::BASE32.decode(d.as_bytes()).ok())
                .and_then(|d| <[u8; 20]>::try_from(d).ok());
            if let (Some(digest), Some(uri), Some(date)) = (
                digest,
                fields.get("warc-target-uri"),
                fields.get("warc-date"),
            ) {
                if seen.len() < REMEMBERED {
                    seen.entry(digest)
                        .or_insert_with(|| (uri.as_str().into(), date.as_str().into()));
                }
            }
        }
        if max_size.is_none() {
            break;
        }
    }
    Ok(Payloads(Mutex::new(seen)))
}

fn name(stem: &str, max_size: Option<u64>, index: u32) -> String {
    match max_size {
        Some(_) => format!("{stem}-{index:05}.warc.gz"),
        None => format!("{stem}.warc.gz"),
    }
}

/// Counts what a reader took.
struct Counting<R> {
    inner: R,
    at: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.at += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.at += n as u64;
        self.inner.consume(n);
    }
}

/// Cuts `path` after its last whole gzip member; returns the length kept (0 for a missing
/// file).
fn repair(path: &Path) -> io::Result<u64> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    let mut r = Counting {
        inner: BufReader::new(f),
        at: 0,
    };
    let mut good = 0;
    loop {
        if r.fill_buf()?.is_empty() {
            break;
        }
        let mut gz = flate2::bufread::GzDecoder::new(&mut r);
        if io::copy(&mut gz, &mut io::sink()).is_err() {
            break;
        }
        good = r.at;
    }
    if good < len {
        OpenOptions::new().write(true).open(path)?.set_len(good)?;
    }
    Ok(good)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha1::{Digest, Sha1};

    use crate::warc::records::{records, Exchange};

    #[test]
    fn a_torn_tail_is_cut_at_the_last_whole_record() {
        let dir = std::env::temp_dir().join(format!("warc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.warc.gz");
        let payloads = Payloads::default();
        let x = Exchange {
            url: "http://h/",
            ip: None,
            request: "GET / HTTP/1.1\r\nhost: h\r\n\r\n".into(),
            response_head: "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n".into(),
            body: b"ok",
        };
        let mut w = Writer::open(&path, None, false, "software: test\r\n".into()).unwrap();
        w.write(&records(&x, &payloads)).unwrap();
        w.finish().unwrap();
        let whole = std::fs::metadata(&path).unwrap().len();
        let torn = records(&x, &payloads);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&torn[..torn.len() / 3]).unwrap();
        drop(f);
        assert_eq!(repair(&path).unwrap(), whole);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        // The second copy of the same payload is a revisit.
        let text = {
            let mut s = String::new();
            flate2::read::MultiGzDecoder::new(&torn[..])
                .read_to_string(&mut s)
                .unwrap();
            s
        };
        assert!(text.contains("WARC-Type: revisit"), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_resumed_archive_remembers_the_payloads_archived_before() {
        let dir = std::env::temp_dir().join(format!("warc-resume-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.warc.gz");
        let exchange = |url, body| Exchange {
            url,
            ip: None,
            request: "GET / HTTP/1.1\r\nhost: h\r\n\r\n".into(),
            response_head: "HTTP/1.1 200 OK\r\n\r\n".into(),
            body,
        };
        // Two files of a rolling set, then a torn record: every whole response is read back.
        let first = Payloads::default();
        let mut w = Writer::open(&path, Some(1), false, "software: test\r\n".into()).unwrap();
        w.write(&records(&exchange("http://h/a", b"same"), &first))
            .unwrap();
        w.write(&records(&exchange("http://h/b", b"other"), &first))
            .unwrap();
        w.finish().unwrap();
        let newest = dir.join("r-00002.warc.gz");
        let torn = records(
            &exchange("http://h/torn", b"torn body"),
            &Payloads::default(),
        );
        let mut f = OpenOptions::new().append(true).open(&newest).unwrap();
        f.write_all(&torn[..torn.len() / 2]).unwrap();
        drop(f);
        let back = archived_payloads(&path, Some(1)).unwrap();
        let digest = |b: &[u8]| -> [u8; 20] { Sha1::digest(b).into() };
        let map = back.0.lock().unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(&*map[&digest(b"same")].0, "http://h/a");
        assert_eq!(&*map[&digest(b"other")].0, "http://h/b");
        assert!(!map.contains_key(&digest(b"torn body")));
        drop(map);
        // The same payload at another URL, after the resume, is a revisit of the first.
        let again = records(&exchange("http://h/c", b"same"), &back);
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&again[..])
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.contains("WARC-Type: revisit"), "{text}");
        assert!(
            text.contains("WARC-Refers-To-Target-URI: http://h/a"),
            "{text}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
