//! The crawl's frontier and seen-set, bounded in memory and kept on disk.
//!
//! Every URL the crawl discovers is appended once, as a line `depth \t parent \t url`, to the
//! frontier file (`OUTPUT.frontier`, or a temporary file when the results go to standard
//! output). The file is the crawl's memory:
//! - the seen-set is a set of 64-bit fingerprints of those URLs (8 bytes and a little per URL:
//!   about 150 MB for 10 million), never the URLs themselves;
//! - the queue of URLs to fetch is the file read from front to back; only a window of
//!   [`WINDOW`] jobs is in memory, the rest is read back when the window runs low;
//! - `--resume` reads the file again: every line is seen, and the lines whose URL has a
//!   result in the output are skipped (their fingerprints are the done-set). A torn last line
//!   (SIGKILL mid-write) is cut off; its URL is found again from its parent, which has no
//!   result yet either, because the frontier is always flushed before the results that led to
//!   it.

use std::collections::{HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Jobs kept in memory at most.
const WINDOW: usize = 64 * 1024;

/// One URL to fetch, with where it was found.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) url: url::Url,
    /// Links followed from a seed to get here (0 for a seed; list mode has only depth 0).
    pub(crate) depth: u32,
    /// The page that linked here (`None` for a seed).
    pub(crate) parent: Option<Arc<str>>,
    /// A shared job's frontier entry for this job (`--redis`): what its lease is named by.
    pub(crate) lease: Option<Arc<str>>,
}

impl Job {
    /// A URL of the input.
    pub(crate) fn seed(url: url::Url) -> Self {
        Self {
            url,
            depth: 0,
            parent: None,
            lease: None,
        }
    }
}

/// A URL's fingerprint: FNV-1a over its text, then a 64-bit finaliser (so that the low bits
/// the set uses are well mixed). Stable across runs, versions and machines.
pub(crate) fn fingerprint(url: &str) -> u64 {
    let mut x = crate::save::fnv1a(url.as_bytes());
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// A hasher for keys that are fingerprints already.
#[derive(Default)]
pub(crate) struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A set of fingerprints.
pub(crate) type Fingerprints = HashSet<u64, BuildHasherDefault<Identity>>;

pub(crate) struct Frontier {
    path: PathBuf,
    /// Removed at the end (the results went to standard output: nothing to resume).
    temporary: bool,
    seen: Fingerprints,
    /// URLs with a result already (`--resume`): skipped when read back.
    done: Fingerprints,
    out: BufWriter<File>,
    /// Bytes appended to the file (buffered or not).
    written: u64,
    reader: File,
    /// The file offset up to which lines are in `window` or were taken.
    read_to: u64,
    window: VecDeque<Job>,
}

impl Frontier {
    /// The frontier file for an output file (`results.jsonl` → `results.jsonl.frontier`).
    pub(crate) fn path_for(output: &Path) -> PathBuf {
        let mut p = output.as_os_str().to_owned();
        p.push(".frontier");
        PathBuf::from(p)
    }

    /// Opens (or creates, truncating unless `resume`) the frontier at `path`; with `resume`,
    /// every URL in it is seen and those in `done` are not fetched again.
    pub(crate) fn open(
        path: Option<PathBuf>,
        resume: bool,
        done: Fingerprints,
    ) -> io::Result<Self> {
        let (path, temporary) = match path {
            Some(p) => (p, false),
            None => (
                std::env::temp_dir().join(format!(
                    "asyncio-fetch-{}-{}.frontier",
                    std::process::id(),
                    fingerprint(&format!("{:?}", std::time::SystemTime::now()))
                )),
                true,
            ),
        };
        let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(!resume)
            .open(&path)
            .map_err(named)?;
        let mut seen = Fingerprints::default();
        let mut written = 0;
        if resume {
            let mut r = BufReader::with_capacity(1 << 20, &file);
            let mut line = Vec::new();
            loop {
                line.clear();
                let n = r.read_until(b'\n', &mut line).map_err(named)?;
                if n == 0 || line.last() != Some(&b'\n') {
                    break; // the end, or a torn last line: cut off below
                }
                if let Some(job) = parse(&line) {
                    seen.insert(fingerprint(job.url.as_str()));
                }
                written += n as u64;
            }
            drop(r);
            file.set_len(written).map_err(named)?;
        }
        let mut out = file.try_clone().map_err(named)?;
        out.seek(SeekFrom::Start(written)).map_err(named)?;
        Ok(Self {
            reader: file,
            out: BufWriter::with_capacity(256 * 1024, out),
            path,
            temporary,
            seen,
            done,
            written,
            read_to: 0,
            window: VecDeque::new(),
        })
    }

    /// Adds `job` unless its URL was seen before; whether it was new.
    ///
    /// # Errors
    /// Writing the file failed (disk full): the crawl cannot go on without losing URLs.
    pub(crate) fn add(&mut self, job: Job) -> io::Result<bool> {
        if !self.seen.insert(fingerprint(job.url.as_str())) {
            return Ok(false);
        }
        let mut line = line(&job);
        line.push('\n');
        self.out.write_all(line.as_bytes())?;
        let at = self.written;
        self.written += line.len() as u64;
        // Straight into the window while nothing waits in the file before it.
        if self.read_to == at && self.window.len() < WINDOW {
            self.window.push_back(job);
            self.read_to = self.written;
        }
        Ok(true)
    }

    /// The next URL to fetch, if any is left.
    ///
    /// # Errors
    /// Reading the file back failed.
    pub(crate) fn pop(&mut self) -> io::Result<Option<Job>> {
        if self.window.is_empty() && self.read_to < self.written {
            self.refill()?;
        }
        Ok(self.window.pop_front())
    }

    /// Whether URLs are left (in memory or in the file).
    pub(crate) fn is_empty(&self) -> bool {
        self.window.is_empty() && self.read_to >= self.written
    }

    /// URLs discovered so far (in all runs of this crawl).
    pub(crate) fn seen(&self) -> usize {
        self.seen.len()
    }

    /// Reads the next part of the file into the window.
    fn refill(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.reader.seek(SeekFrom::Start(self.read_to))?;
        let mut r =
            BufReader::with_capacity(1 << 20, (&self.reader).take(self.written - self.read_to));
        let mut line = Vec::new();
        while self.window.len() < WINDOW {
            line.clear();
            let n = r.read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            self.read_to += n as u64;
            let Some(job) = parse(&line) else { continue };
            if self.done.contains(&fingerprint(job.url.as_str())) {
                continue;
            }
            self.window.push_back(job);
        }
        Ok(())
    }

    /// Makes everything added so far durable (before the results that led to it).
    ///
    /// # Errors
    /// Writing failed.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Ends the crawl's use of the file: a temporary one is removed.
    pub(crate) fn close(&mut self) -> io::Result<()> {
        self.out.flush()?;
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
        Ok(())
    }
}

/// A job as one line of the frontier (no newline): `depth \t parent (or -) \t url`. The
/// shared job's Redis entries carry the same text after the URL's fingerprint.
pub(crate) fn line(job: &Job) -> String {
    format!(
        "{}\t{}\t{}",
        job.depth,
        job.parent.as_deref().unwrap_or("-"),
        job.url
    )
}

fn parse(line: &[u8]) -> Option<Job> {
    parse_line(std::str::from_utf8(line).ok()?.trim_end_matches('\n'))
}

/// The job of a [`line()`].
pub(crate) fn parse_line(line: &str) -> Option<Job> {
    let mut parts = line.splitn(3, '\t');
    let depth = parts.next()?.parse().ok()?;
    let parent = parts.next()?;
    let url = url::Url::parse(parts.next()?).ok()?;
    Some(Job {
        url,
        depth,
        parent: (parent != "-").then(|| Arc::from(parent)),
        lease: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(i: usize) -> Job {
        Job {
            url: url::Url::parse(&format!("http://h/{i}")).unwrap(),
            depth: 1,
            parent: Some(Arc::from("http://h/")),
            lease: None,
        }
    }

    #[test]
    fn spills_past_the_window_and_reads_back_in_order_each_once() {
        let dir = std::env::temp_dir().join(format!("frontier-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        let mut f = Frontier::open(Some(path.clone()), false, Fingerprints::default()).unwrap();
        let n = WINDOW * 2 + 100;
        for i in 0..n {
            assert!(f.add(job(i)).unwrap());
        }
        assert!(!f.add(job(7)).unwrap(), "seen already");
        assert!(f.window.len() <= WINDOW);
        let mut got = 0;
        while let Some(j) = f.pop().unwrap() {
            assert_eq!(j.url.path(), format!("/{got}"));
            got += 1;
            if got == 10 {
                // Adding while the rest waits in the file keeps the order.
                assert!(f.add(job(n)).unwrap());
            }
        }
        assert_eq!(got, n + 1);
        assert!(f.is_empty());
        f.close().unwrap();

        // Resume: all seen; the done ones skipped; a torn tail cut off.
        let mut raw = OpenOptions::new().append(true).open(&path).unwrap();
        raw.write_all(b"1\t-\thttp://h/torn").unwrap();
        drop(raw);
        let mut done = Fingerprints::default();
        for i in 0..n - 5 {
            done.insert(fingerprint(job(i).url.as_str()));
        }
        let mut f = Frontier::open(Some(path.clone()), true, done).unwrap();
        assert_eq!(f.seen(), n + 1);
        assert!(!f.add(job(3)).unwrap());
        let left: Vec<String> = std::iter::from_fn(|| f.pop().unwrap())
            .map(|j| j.url.path().to_owned())
            .collect();
        let want: Vec<String> = (n - 5..=n).map(|i| format!("/{i}")).collect();
        assert_eq!(left, want);
        assert!(f
            .add(Job::seed(url::Url::parse("http://h/torn").unwrap()))
            .unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
