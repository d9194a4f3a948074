//! A lane's side of a shared job: per-host slots and clocks that hold across every worker.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use super::scripts::{Keys, Scripts};
use super::Result;
use crate::redis_conn::{Address, Connection};

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
