//! The job's Lua scripts (each step one atomic script on the server), its key names, and the
//! frontier entries the scripts read.

use std::sync::Arc;

use crate::frontier::{fingerprint, Job};
use crate::redis_conn::Script;

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

pub(super) struct Scripts {
    pub(super) claim: Script,
    pub(super) add: Script,
    pub(super) complete: Script,
    pub(super) renew: Script,
    pub(super) give_back: Script,
    pub(super) pace: Script,
    pub(super) acquire: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
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
pub(super) struct Keys {
    prefix: String,
}

impl Keys {
    pub(super) fn new(job: &str) -> Self {
        Self {
            prefix: format!("asyncio-fetch:{job}:"),
        }
    }

    pub(super) fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

/// A job's entry in the frontier: its fingerprint first (the scripts read it), then the job
/// as the local frontier file writes it.
pub(super) fn entry(job: &Job) -> String {
    format!(
        "{:016x}\t{}",
        fingerprint(job.url.as_str()),
        crate::frontier::line(job)
    )
}

pub(super) fn parse_entry(e: &str) -> Option<Job> {
    let (_fp, rest) = e.split_once('\t')?;
    let mut job = crate::frontier::parse_line(rest)?;
    job.lease = Some(Arc::from(e));
    Some(job)
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
