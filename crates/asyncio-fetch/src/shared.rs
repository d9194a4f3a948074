//! One job shared by many workers on Redis (`--redis URL --job NAME`).
//!
//! Every key of job `NAME` starts with `asyncio-fetch:NAME:`:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `frontier` | list | jobs to fetch, oldest first: `FP \t depth \t parent (or -) \t url` |
//! | `leased` | sorted set | jobs a worker took, scored by when the lease runs out (ms) |
//! | `seen` | set | fingerprints (16 hex digits) of every URL ever queued |
//! | `done` | set | fingerprints of every URL whose result is recorded |
//! | `results` | stream | one entry per URL, field `line`: the JSON line |
//! | `seeds` | set | every worker's seeds (the crawl's scope is all of them) |
//! | `stats` | hash | `discovered`, `recorded`, `errors` |
//! | `next` | hash | each host's next request time (ms; `--rate`, `Crawl-delay`) |
//! | `slots:HOST` | sorted set | the host's requests in flight (`--per-host`), scored by expiry |
//!
//! A job is leased, never popped: taking it moves it to `leased` with an expiry; the worker
//! renews its leases while it works on them, and a worker that dies (SIGKILL, a lost machine)
//! stops renewing, so its jobs go back to the front of the frontier when their leases run out.
//! A result is recorded by one script that drops the lease, adds the fingerprint to `done` and —
//! only if it was not there — appends the line to `results` and queues the page's new links:
//! a URL fetched twice (its lease ran out while a slow worker still had it) is recorded once.
//! The job is over when the frontier is empty and no lease is open.
//!
//! Every step is one Lua script, so it is atomic on the server; times come from the server's
//! clock (`TIME`), so the workers' clocks need not agree.
//!
//! Results go to a Redis stream rather than to per-worker files merged later: the stream is
//! written in the same atomic step that decides "first result for this URL", so "exactly
//! once" holds with no merge step, and it survives any worker. Each worker also writes the
//! lines it recorded to its own output; `--export` prints the whole job's.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::frontier::{fingerprint, Job};
use crate::redis_conn::{Address, Connection, Script};

/// Moves the expired leases back to the front of the frontier, then leases up to `n` jobs (not
/// past `max` results and leases in all, when `max` > 0), skipping jobs recorded meanwhile.
/// Returns `{jobs, open leases, frontier length}`.
const CLAIM: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
for i = #expired, 1, -1 do
  redis.call('ZREM', KEYS[2], expired[i])
  redis.call('LPUSH', KEYS[1], expired[i])
end
local n = tonumber(ARGV[1])
local max = tonumber(ARGV[3])
if max > 0 then
  local room = max - redis.call('SCARD', KEYS[3]) - redis.call('ZCARD', KEYS[2])
  if room < n then n = room end
end
local out = {}
while #out < n do
  local e = redis.call('LPOP', KEYS[1])
  if not e then break end
  if redis.call('SISMEMBER', KEYS[3], string.sub(e, 1, 16)) == 0 then
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), e)
    out[#out + 1] = e
  end
end
return {out, redis.call('ZCARD', KEYS[2]), redis.call('LLEN', KEYS[1])}
";

/// Queues the entries whose fingerprint is new. Returns how many.
const ADD: &str = r"
local added = 0
for i = 1, #ARGV do
  if redis.call('SADD', KEYS[1], string.sub(ARGV[i], 1, 16)) == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[i])
    added = added + 1
  end
end
if added > 0 then redis.call('HINCRBY', KEYS[3], 'discovered', added) end
return added
";

/// Records results, each given as `lease, line, failed (0|1), n, link 1 … link n`: drops the
/// lease; if the URL had no result yet, appends the line, counts it and queues the page's new
/// links. Returns one 1 (recorded) or 0 (another worker had) per result.
const COMPLETE: &str = r"
local out = {}
local recorded, errors, added = 0, 0, 0
local i = 1
while i <= #ARGV do
  local e, line, failed, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  redis.call('ZREM', KEYS[1], e)
  if redis.call('SADD', KEYS[2], string.sub(e, 1, 16)) == 1 then
    redis.call('XADD', KEYS[3], '*', 'line', line)
    recorded = recorded + 1
    if failed == '1' then errors = errors + 1 end
    for j = i, i + n - 1 do
      if redis.call('SADD', KEYS[5], string.sub(ARGV[j], 1, 16)) == 1 then
        redis.call('RPUSH', KEYS[6], ARGV[j])
        added = added + 1
      end
    end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
  i = i + n
end
if recorded > 0 then redis.call('HINCRBY', KEYS[4], 'recorded', recorded) end
if errors > 0 then redis.call('HINCRBY', KEYS[4], 'errors', errors) end
if added > 0 then redis.call('HINCRBY', KEYS[4], 'discovered', added) end
return out
";

/// Extends the leases still open (a lease another worker's result closed stays closed).
const RENEW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
end
return 0
";

/// Gives leases back (a worker stopping early): to the front of the frontier.
const GIVE_BACK: &str = r"
for i = #ARGV, 1, -1 do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then redis.call('LPUSH', KEYS[2], ARGV[i]) end
end
return 0
";

/// A host's next turn: returns how many ms to wait, and moves the host's clock on by the gap.
const PACE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local at = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if at < now then at = now end
redis.call('HSET', KEYS[1], ARGV[1], at + tonumber(ARGV[2]))
return at - now
";

/// Takes one of a host's slots if fewer than the limit are held (expired holds are dropped).
/// Returns 1 if taken.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
";

struct Scripts {
    claim: Script,
    add: Script,
    complete: Script,
    renew: Script,
    give_back: Script,
    pace: Script,
    acquire: Script,
}

impl Scripts {
    fn new() -> Self {
        Self {
            claim: Script::new(CLAIM),
            add: Script::new(ADD),
            complete: Script::new(COMPLETE),
            renew: Script::new(RENEW),
            give_back: Script::new(GIVE_BACK),
            pace: Script::new(PACE),
            acquire: Script::new(ACQUIRE),
        }
    }
}

/// The job's key names.
struct Keys {
    prefix: String,
}

impl Keys {
    fn new(job: &str) -> Self {
        Self {
            prefix: format!("asyncio-fetch:{job}:"),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

/// A job's entry in the frontier: its fingerprint first (the scripts read it), then the job
/// as the local frontier file writes it.
fn entry(job: &Job) -> String {
    format!(
        "{:016x}\t{}",
        fingerprint(job.url.as_str()),
        crate::frontier::line(job)
    )
}

fn parse_entry(e: &str) -> Option<Job> {
    let (_fp, rest) = e.split_once('\t')?;
    let mut job = crate::frontier::parse_line(rest)?;
    job.lease = Some(Arc::from(e));
    Some(job)
}

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

/// Redis's answer, or why there is none.
pub(crate) type Result<T> = std::result::Result<T, String>;

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

/// A lane's side of a shared job: per-host politeness that holds across every worker.
///
/// A host slot is a member of the host's sorted set in Redis, scored by when it expires. A
/// request's slot is not given back at once: the lane keeps it for its next request to the
/// host, which then needs no round trip. A kept slot goes back to Redis when it has been idle
/// for [`IDLE`], used [`REUSE`] times (so other workers get their turn at a busy host), or
/// held for [`RENEW_AFTER`] (so it never expires under a request).
pub(crate) struct Politeness {
    conn: Connection,
    keys: Keys,
    scripts: Scripts,
    /// Names this worker's slot holds apart from every other's.
    token: String,
    next_token: Cell<u64>,
    /// Slots held in Redis and free here, by host.
    kept: RefCell<std::collections::HashMap<String, Vec<Kept>>>,
}

/// A kept slot goes back after this long unused.
const IDLE: Duration = Duration::from_millis(20);
/// A slot goes back after this many requests.
const REUSE: u32 = 64;
/// A slot goes back this long after it was taken (a taken slot lasts `hold`, which is the
/// request timeout and 10 s: a request started before this ends before it expires).
const RENEW_AFTER: Duration = Duration::from_secs(5);

/// A slot held in Redis and free in this lane.
struct Kept {
    token: String,
    taken: std::time::Instant,
    uses: u32,
    idle_since: std::time::Instant,
}

/// A host slot held in Redis for one request; dropping it keeps it in the lane for the next.
pub(crate) struct Slot<'a> {
    owner: &'a Politeness,
    host: String,
    token: String,
    taken: std::time::Instant,
    uses: u32,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let kept = Kept {
            token: std::mem::take(&mut self.token),
            taken: self.taken,
            uses: self.uses + 1,
            idle_since: std::time::Instant::now(),
        };
        let host = std::mem::take(&mut self.host);
        if kept.uses >= REUSE {
            self.owner.release(&host, &kept.token);
        } else {
            self.owner
                .kept
                .borrow_mut()
                .entry(host)
                .or_default()
                .push(kept);
        }
    }
}

impl Politeness {
    /// A lane's own connection to the job (lanes live on different loops).
    pub(crate) async fn open(address: &Address, name: &str, lane: usize) -> Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Ok(Self {
            conn: Connection::open(address).await?,
            keys: Keys::new(name),
            scripts: Scripts::new(),
            token: format!("{}-{}-{nanos:x}-{lane}", host_name(), std::process::id()),
            next_token: Cell::new(0),
            kept: RefCell::new(std::collections::HashMap::new()),
        })
    }

    fn slots_key(&self, host: &str) -> String {
        self.keys.key(&format!("slots:{host}"))
    }

    /// Gives a slot back to Redis (without waiting for the reply).
    fn release(&self, host: &str, token: &str) {
        self.conn
            .send_and_forget(redis::cmd("ZREM").arg(self.slots_key(host)).arg(token));
    }

    /// Waits for one of `host`'s `limit` slots in the whole job. A slot held longer than
    /// `hold` (its worker died) is freed by the server.
    ///
    /// # Cancel safety
    /// Cancel-safe: a slot taken while the future was being dropped expires after `hold`.
    pub(crate) async fn slot(&self, host: &str, limit: usize, hold: Duration) -> Result<Slot<'_>> {
        let reused = {
            let mut kept = self.kept.borrow_mut();
            let mut found = None;
            if let Some(free) = kept.get_mut(host) {
                while let Some(k) = free.pop() {
                    if k.taken.elapsed() < RENEW_AFTER {
                        found = Some(k);
                        break;
                    }
                    self.release(host, &k.token);
                }
            }
            found
        };
        if let Some(k) = reused {
            return Ok(Slot {
                owner: self,
                host: host.to_owned(),
                token: k.token,
                taken: k.taken,
                uses: k.uses,
            });
        }
        let key = self.slots_key(host);
        let n = self.next_token.get();
        self.next_token.set(n + 1);
        let token = format!("{}-{n}", self.token);
        let (limit, hold) = (limit.to_string(), hold.as_millis().max(1).to_string());
        // Slots free up on other machines: there is nothing to wait on but the server, so the
        // wait polls, from 1 ms doubling to 10 ms (the lane's own slots keep the pollers few).
        let mut backoff = Duration::from_millis(1);
        loop {
            let taken = std::time::Instant::now();
            let got: i64 = self
                .conn
                .eval(
                    &self.scripts.acquire,
                    &[&key],
                    &[token.as_bytes(), limit.as_bytes(), hold.as_bytes()],
                )
                .await?;
            if got == 1 {
                return Ok(Slot {
                    owner: self,
                    host: host.to_owned(),
                    token,
                    taken,
                    uses: 0,
                });
            }
            asyncio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_millis(10));
        }
    }

    /// Gives back the kept slots idle for [`IDLE`], every [`IDLE`], until dropped (a task of
    /// the lane).
    pub(crate) async fn sweep(&self) {
        loop {
            asyncio::time::sleep(IDLE).await;
            let mut kept = self.kept.borrow_mut();
            for (host, free) in kept.iter_mut() {
                free.retain(|k| {
                    let keep = k.idle_since.elapsed() < IDLE;
                    if !keep {
                        self.release(host, &k.token);
                    }
                    keep
                });
            }
            kept.retain(|_, free| !free.is_empty());
        }
    }

    /// Gives every kept slot back, and waits until Redis has them (the lane's end).
    pub(crate) async fn close(&self) {
        let kept = std::mem::take(&mut *self.kept.borrow_mut());
        for (host, free) in kept {
            for k in free {
                self.release(&host, &k.token);
            }
        }
        let _ = self.conn.query::<String>(&redis::cmd("PING")).await;
    }

    /// Waits for `host`'s next turn, `gap` after the previous request of any worker.
    pub(crate) async fn pace(&self, host: &str, gap: Duration) -> Result<()> {
        let gap = gap.as_millis().max(1).to_string();
        let wait: u64 = self
            .conn
            .eval(
                &self.scripts.pace,
                &[&self.keys.key("next")],
                &[host.as_bytes(), gap.as_bytes()],
            )
            .await?;
        asyncio::time::sleep(Duration::from_millis(wait)).await;
        Ok(())
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "worker".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_start_with_the_fingerprint() {
        let job = Job {
            url: url::Url::parse("http://h:8/a?b=c").unwrap(),
            depth: 3,
            parent: Some(Arc::from("http://h:8/")),
            lease: None,
        };
        let e = entry(&job);
        assert_eq!(
            &e[..16],
            format!("{:016x}", fingerprint("http://h:8/a?b=c"))
        );
        let back = parse_entry(&e).unwrap();
        assert_eq!((back.url.as_str(), back.depth), ("http://h:8/a?b=c", 3));
        assert_eq!(back.parent.as_deref(), Some("http://h:8/"));
        assert_eq!(back.lease.as_deref(), Some(e.as_str()));
        let seed = parse_entry(&entry(&Job::seed(job.url))).unwrap();
        assert!(seed.parent.is_none());
        assert!(parse_entry("0123456789abcdef\tx\t\thttp://h/").is_none());
    }
}
