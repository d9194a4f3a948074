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

mod job;
mod politeness;
mod scripts;

pub(crate) use job::{Finished, SharedJob};
pub(crate) use politeness::Politeness;

/// Redis's answer, or why there is none.
pub(crate) type Result<T> = std::result::Result<T, String>;
