//! `--warc FILE.warc.gz`: WARC/1.1 archives of what was fetched, as archivists' tools read
//! them (warcio, pywb, the Wayback Machine).
//!
//! - Each file starts with a `warcinfo` record; each fetch adds a `request` and a `response`
//!   record (or a `revisit` when the payload is one archived before: same SHA-1), linked by
//!   `WARC-Concurrent-To`. Each record is its own gzip member, so a reader can seek to any
//!   record and a torn tail costs only the record it cut.
//! - `WARC-Block-Digest` and `WARC-Payload-Digest` are SHA-1 in base32, as wget and Heritrix
//!   write them. The payload is the body with its content encoding untouched (a gzip page
//!   stays gzip).
//! - Transfer framing: the client removes chunked framing while reading (hyper does), so the
//!   body is stored de-chunked and the response's `Transfer-Encoding` header is stored as
//!   `X-Crawler-Transfer-Encoding` (as StormCrawler does), so that readers do not try to
//!   de-chunk it again; nothing else in the headers is changed. Header names are stored as the
//!   client saw them: lower case (hyper lower-cases them; HTTP/2 sends them so), in the order
//!   received, with the server's own reason phrase. The request record is the request the
//!   client sent, rebuilt from the same settings (method, target, `Host`, the session's
//!   headers).
//! - Records are built (and compressed) on the loop that fetched; loop 0 appends them to the
//!   file before the page's JSON line, and files roll over at `--warc-max-size`
//!   (`NAME-00000.warc.gz`, `NAME-00001.warc.gz`, … as wget names them).
//! - `--resume` cuts a torn last record off the newest file and appends after it, and reads
//!   the payload digests of the responses already archived back (every file of the set), so a
//!   payload archived before the interruption is a `revisit` after it too.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use sha1::{Digest, Sha1};

/// Payload digests remembered for `revisit` records, at most (then new payloads are archived
/// whole, never wrongly deduplicated).
const REMEMBERED: usize = 1 << 20;

/// What one fetch gives the archive.
pub(crate) struct Exchange<'a> {
    pub(crate) url: &'a str,
    pub(crate) ip: Option<std::net::IpAddr>,
    /// The request head as sent, CRLF line ends, ending with an empty line.
    pub(crate) request: String,
    /// The status line and headers, CRLF line ends, ending with an empty line.
    pub(crate) response_head: String,
    /// The body as received (content encoding untouched).
    pub(crate) body: &'a [u8],
}

/// Where and when a payload was first archived.
type First = (Box<str>, Box<str>);

/// The payloads archived so far (digest → URL and date), shared by the loops.
#[derive(Default)]
pub(crate) struct Payloads(Mutex<HashMap<[u8; 20], First>>);

/// Builds the records of one fetch as gzip members, ready to append.
pub(crate) fn records(x: &Exchange<'_>, payloads: &Payloads) -> Vec<u8> {
    let date = warc_date(SystemTime::now());
    let request_id = record_id();
    let response_id = record_id();
    let payload: [u8; 20] = Sha1::digest(x.body).into();
    let payload_b32 = data_encoding::BASE32.encode(&payload);
    let earlier = if x.body.is_empty() {
        None
    } else {
        let mut seen = payloads.0.lock().unwrap_or_else(|e| e.into_inner());
        match seen.get(&payload) {
            Some(e) => Some(e.clone()),
            None => {
                if seen.len() < REMEMBERED {
                    seen.insert(payload, (x.url.into(), date.as_str().into()));
                }
                None
            }
        }
    };
    let ip =
        x.ip.map(|ip| format!("WARC-IP-Address: {ip}\r\n"))
            .unwrap_or_default();
    let mut out = Vec::with_capacity(x.body.len() / 2 + 1024);
    let mut response_block = Vec::with_capacity(x.response_head.len() + x.body.len());
    response_block.extend_from_slice(x.response_head.as_bytes());
    let kind = match &earlier {
        Some((uri, when)) => format!(
            "WARC-Type: revisit\r\nWARC-Profile: http://netpreserve.org/warc/1.1/revisit/identical-payload-digest\r\nWARC-Refers-To-Target-URI: {uri}\r\nWARC-Refers-To-Date: {when}\r\n"
        ),
        None => {
            response_block.extend_from_slice(x.body);
            "WARC-Type: response\r\n".to_owned()
        }
    };
    let fields = format!(
        "{kind}WARC-Record-ID: {response_id}\r\nWARC-Date: {date}\r\nWARC-Target-URI: {}\r\n{ip}WARC-Concurrent-To: {request_id}\r\nWARC-Payload-Digest: sha1:{payload_b32}\r\nContent-Type: application/http; msgtype=response\r\n",
        x.url
    );
    member(&mut out, &fields, &response_block);
    let fields = format!(
        "WARC-Type: request\r\nWARC-Record-ID: {request_id}\r\nWARC-Date: {date}\r\nWARC-Target-URI: {}\r\n{ip}WARC-Concurrent-To: {response_id}\r\nContent-Type: application/http; msgtype=request\r\n",
        x.url
    );
    member(&mut out, &fields, x.request.as_bytes());
    out
}

/// Appends one record (`fields` without the version line, the digest and the length) as a
/// gzip member.
fn member(out: &mut Vec<u8>, fields: &str, block: &[u8]) {
    let digest = data_encoding::BASE32.encode(&Sha1::digest(block));
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    let head = format!(
        "WARC/1.1\r\n{fields}WARC-Block-Digest: sha1:{digest}\r\nContent-Length: {}\r\n\r\n",
        block.len()
    );
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(head.as_bytes());
    let _ = gz.write_all(block);
    let _ = gz.write_all(b"\r\n\r\n");
    let _ = gz.finish();
}

/// A new `<urn:uuid:…>` (version 4 layout; from the time, the process and a counter, hashed:
/// unique without a random source).
fn record_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{t}-{}-{n}", std::process::id());
    let a = crate::frontier::fingerprint(&seed);
    let b = crate::frontier::fingerprint(&format!("{seed}-b")) ^ u64::from(std::process::id());
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = data_encoding::HEXLOWER.encode(&bytes);
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// `2026-11-29T18:03:04.123456Z` (WARC 1.1 allows fractions of a second).
pub(crate) fn warc_date(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        d.subsec_micros()
    )
}

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

    /// Appends one fetch's records (from [`records`]), rolling over to the next file first
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

    #[test]
    fn dates_are_utc_calendar_dates() {
        let t = UNIX_EPOCH + std::time::Duration::from_micros(1_795_910_400_123_456);
        assert_eq!(warc_date(t), "2026-11-29T00:00:00.123456Z");
        assert_eq!(warc_date(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400);
        assert_eq!(warc_date(leap), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn record_ids_differ_and_look_like_uuids() {
        let a = record_id();
        let b = record_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), "<urn:uuid:>".len() + 36);
        assert_eq!(&a[24..25], "4");
    }

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
