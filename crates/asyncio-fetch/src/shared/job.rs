//! Loop 0's side of a shared job: its frontier, its leases and its results.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::scripts::{entry, parse_entry, Keys, Scripts};
use super::Result;
use crate::frontier::Job;
use crate::redis_conn::{Address, Connection};

/// A fetched job's result, for [`SharedJob::complete`].
pub(crate) struct Finished {
    /// The job's lease (its frontier entry).
    pub(crate) lease: Arc<str>,
    /// The JSON line.
    pub(crate) line: String,
    /// Whether the line reports an error.
    pub(crate) failed: bool,
    /// The page's links to follow.
    pub(crate) links: Vec<Job>,
}

/// What a claim brought.
pub(crate) struct Claimed {
    pub(crate) jobs: Vec<Job>,
    /// Leases open in the whole job (this worker's among them).
    pub(crate) leased: u64,
}

/// The job's totals.
pub(crate) struct Totals {
    pub(crate) discovered: u64,
    pub(crate) recorded: u64,
    pub(crate) errors: u64,
    pub(crate) queued: u64,
    pub(crate) leased: u64,
}

/// Loop 0's side of a shared job: the frontier, the leases and the results.
pub(crate) struct SharedJob {
    conn: Connection,
    keys: Keys,
    scripts: Scripts,
    lease: Duration,
    /// Entries this worker leased and has not recorded: renewed, and given back on a stop.
    held: RefCell<HashSet<Arc<str>>>,
    /// Results this worker recorded.
    recorded: Cell<u64>,
}

impl SharedJob {
    /// Joins job `name` on the Redis at `address`; jobs this worker takes are leased for
    /// `lease` at a time.
    pub(crate) async fn open(address: &Address, name: &str, lease: Duration) -> Result<Self> {
        Ok(Self {
            conn: Connection::open(address).await?,
            keys: Keys::new(name),
            scripts: Scripts::new(),
            lease,
            held: RefCell::new(HashSet::new()),
            recorded: Cell::new(0),
        })
    }

    fn lease_ms(&self) -> Vec<u8> {
        self.lease.as_millis().max(1).to_string().into_bytes()
    }

    /// Adds this worker's seeds to the job's, and returns all of them (the crawl's scope).
    pub(crate) async fn seeds(&self, mine: &[url::Url]) -> Result<Vec<url::Url>> {
        let key = self.keys.key("seeds");
        if !mine.is_empty() {
            let mut sadd = redis::cmd("SADD");
            sadd.arg(&key);
            for s in mine {
                sadd.arg(s.as_str());
            }
            self.conn.query::<()>(&sadd).await?;
        }
        let all: Vec<String> = self.conn.query(redis::cmd("SMEMBERS").arg(&key)).await?;
        let mut seeds: Vec<url::Url> = all.iter().filter_map(|s| url::Url::parse(s).ok()).collect();
        seeds.sort();
        Ok(seeds)
    }

    /// Queues the jobs whose URL the job has not seen; returns how many were new.
    pub(crate) async fn add(&self, jobs: impl IntoIterator<Item = Job>) -> Result<u64> {
        let (seen, frontier, stats) = (
            self.keys.key("seen"),
            self.keys.key("frontier"),
            self.keys.key("stats"),
        );
        let mut added = 0;
        let mut batch: Vec<String> = Vec::new();
        let mut jobs = jobs.into_iter().peekable();
        while jobs.peek().is_some() {
            batch.clear();
            batch.extend(jobs.by_ref().take(1000).map(|j| entry(&j)));
            let args: Vec<&[u8]> = batch.iter().map(|e| e.as_bytes()).collect();
            added += self
                .conn
                .eval::<u64>(&self.scripts.add, &[&seen, &frontier, &stats], &args)
                .await?;
        }
        Ok(added)
    }

    /// Leases up to `n` jobs (not past `max_pages` results and leases in the whole job).
    pub(crate) async fn claim(&self, n: usize, max_pages: Option<u64>) -> Result<Claimed> {
        let (frontier, leased, done) = (
            self.keys.key("frontier"),
            self.keys.key("leased"),
            self.keys.key("done"),
        );
        let (n, lease, max) = (
            n.to_string(),
            self.lease_ms(),
            max_pages.unwrap_or(0).to_string(),
        );
        let (entries, open, _queued): (Vec<String>, u64, u64) = self
            .conn
            .eval(
                &self.scripts.claim,
                &[&frontier, &leased, &done],
                &[n.as_bytes(), &lease, max.as_bytes()],
            )
            .await?;
        let mut jobs = Vec::with_capacity(entries.len());
        let mut held = self.held.borrow_mut();
        for e in &entries {
            match parse_entry(e) {
                Some(job) => {
                    held.insert(job.lease.clone().expect("set by parse_entry"));
                    jobs.push(job);
                }
                None => {
                    // Not ours to read (another version's, or damaged): drop its lease, or
                    // it would come back forever.
                    eprintln!("asyncio-fetch: the job's frontier holds an unreadable entry {e:?}; dropped");
                    self.conn
                        .send_and_forget(redis::cmd("ZREM").arg(&leased).arg(e));
                }
            }
        }
        Ok(Claimed { jobs, leased: open })
    }

    /// Records `results` in one call. Returns, for each, whether it was its URL's first
    /// result: `false` means another worker recorded it (this one's lease had run out), and the
    /// line is not kept.
    pub(crate) async fn complete(&self, results: &[Finished]) -> Result<Vec<bool>> {
        let keys = [
            self.keys.key("leased"),
            self.keys.key("done"),
            self.keys.key("results"),
            self.keys.key("stats"),
            self.keys.key("seen"),
            self.keys.key("frontier"),
        ];
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let links: Vec<Vec<String>> = results
            .iter()
            .map(|r| r.links.iter().map(entry).collect())
            .collect();
        let counts: Vec<String> = links.iter().map(|l| l.len().to_string()).collect();
        let mut args: Vec<&[u8]> = Vec::new();
        for ((r, links), n) in results.iter().zip(&links).zip(&counts) {
            args.push(r.lease.as_bytes());
            args.push(r.line.as_bytes());
            args.push(if r.failed { b"1" } else { b"0" });
            args.push(n.as_bytes());
            args.extend(links.iter().map(|l| l.as_bytes()));
        }
        let firsts: Vec<i64> = self.conn.eval(&self.scripts.complete, &keys, &args).await?;
        if firsts.len() != results.len() {
            return Err(format!(
                "{} answers to {} results",
                firsts.len(),
                results.len()
            ));
        }
        let mut held = self.held.borrow_mut();
        for r in results {
            held.remove(&r.lease);
        }
        let firsts: Vec<bool> = firsts.into_iter().map(|f| f == 1).collect();
        let new = firsts.iter().filter(|&&f| f).count() as u64;
        self.recorded.set(self.recorded.get() + new);
        Ok(firsts)
    }

    /// Extends this worker's open leases (every third of the lease time, from a task).
    pub(crate) async fn renew(&self) -> Result<()> {
        let held: Vec<Arc<str>> = self.held.borrow().iter().cloned().collect();
        if held.is_empty() {
            return Ok(());
        }
        let leased = self.keys.key("leased");
        let lease = self.lease_ms();
        for chunk in held.chunks(1000) {
            let mut args: Vec<&[u8]> = vec![&lease];
            args.extend(chunk.iter().map(|e| e.as_bytes()));
            self.conn
                .eval::<i64>(&self.scripts.renew, &[&leased], &args)
                .await?;
        }
        Ok(())
    }

    /// Gives this worker's open leases back to the frontier (a stop before the end).
    pub(crate) async fn give_back(&self) -> Result<()> {
        let held: Vec<Arc<str>> = self.held.borrow_mut().drain().collect();
        let (leased, frontier) = (self.keys.key("leased"), self.keys.key("frontier"));
        for chunk in held.chunks(1000) {
            let args: Vec<&[u8]> = chunk.iter().map(|e| e.as_bytes()).collect();
            self.conn
                .eval::<i64>(&self.scripts.give_back, &[&leased, &frontier], &args)
                .await?;
        }
        Ok(())
    }

    /// Results this worker recorded.
    pub(crate) fn recorded_here(&self) -> u64 {
        self.recorded.get()
    }

    /// The job's totals.
    pub(crate) async fn totals(&self) -> Result<Totals> {
        let stats: std::collections::HashMap<String, u64> = self
            .conn
            .query(redis::cmd("HGETALL").arg(self.keys.key("stats")))
            .await?;
        let queued: u64 = self
            .conn
            .query(redis::cmd("LLEN").arg(self.keys.key("frontier")))
            .await?;
        let leased: u64 = self
            .conn
            .query(redis::cmd("ZCARD").arg(self.keys.key("leased")))
            .await?;
        let get = |k: &str| stats.get(k).copied().unwrap_or(0);
        Ok(Totals {
            discovered: get("discovered"),
            recorded: get("recorded"),
            errors: get("errors"),
            queued,
            leased,
        })
    }

    /// Calls `each` with every recorded line of the job, oldest first (`--export`).
    pub(crate) async fn export(
        &self,
        mut each: impl FnMut(&str) -> std::io::Result<()>,
    ) -> Result<u64> {
        let key = self.keys.key("results");
        let mut from = "-".to_owned();
        let mut n = 0;
        loop {
            let page: Vec<(String, std::collections::HashMap<String, String>)> = self
                .conn
                .query(
                    redis::cmd("XRANGE")
                        .arg(&key)
                        .arg(&from)
                        .arg("+")
                        .arg("COUNT")
                        .arg(1000),
                )
                .await?;
            let Some((last, _)) = page.last() else {
                return Ok(n);
            };
            from = format!("({last}");
            for (_, fields) in &page {
                if let Some(line) = fields.get("line") {
                    each(line).map_err(|e| format!("cannot write a result: {e}"))?;
                    n += 1;
                }
            }
        }
    }
}
