//! One URL's fetch, on a lane's loop: robots.txt, then the host's pace, then a host slot,
//! then the attempts (retried by the profile's policy). The result is a [`Fetched`]: the line
//! to write and what travels with it to loop 0.
//!
//! This layer knows nothing of how a run is organised: `run/` uses it, never the reverse.

mod attempt;
mod lane;
mod pace;

use std::sync::Arc;
use std::time::{Duration, Instant};

use asyncio_http::{Attempt, StatusCode};

use crate::bounds::Bounds;
use crate::failure::{Failure, FailureKind};
use crate::frontier::Job;
use crate::profile::Profile;
use crate::record::{redact, CrawlInfo, Record};
use crate::robots::{Robots, Verdict};

pub(crate) use lane::Lane;
pub(crate) use pace::Clocks;

/// What the fetches of every lane share, across the loops.
pub(crate) struct Context {
    /// The request settings.
    pub(crate) profile: Profile,
    /// robots.txt of every origin (`None` with `--ignore-robots`).
    pub(crate) robots: Option<Robots>,
    /// Each host's next request time (`--rate`, `Crawl-delay`).
    pub(crate) clocks: Clocks,
    /// Crawl mode: which links to keep (`None` in list mode: no links are looked for).
    pub(crate) bounds: Option<Bounds>,
    /// `--warc`: the payloads archived so far, for revisit records.
    pub(crate) payloads: Option<crate::warc::Payloads>,
}

/// One URL's result on its way to loop 0: its line, and what the line does not show.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// The line to write.
    pub(crate) record: Record,
    /// The URL's host (the summary's busiest hosts).
    pub(crate) host: String,
    /// Crawl mode: the links to follow from the page, in scope.
    pub(crate) follow: Vec<url::Url>,
    /// `--warc`: the fetch's records, ready to append.
    pub(crate) warc: Vec<u8>,
    /// A shared job's lease on the URL (`--redis`).
    pub(crate) lease: Option<Arc<str>>,
}

impl Fetched {
    /// The line's error kind, if it has one.
    pub(crate) fn failure(&self) -> Option<FailureKind> {
        self.record.error.as_ref().map(|f| f.kind)
    }

    fn fail(mut self, failure: Failure) -> Self {
        self.record.error = Some(failure);
        self
    }
}

/// Fetches `job` on `lane`: waits for robots.txt, the host's pace and a host slot, then makes
/// attempts until one is final (retried by the profile's policy, waiting out descriptor
/// shortages without counting them).
pub(crate) async fn fetch(cx: &Context, lane: &Lane, job: Job) -> Fetched {
    let Job {
        url,
        depth,
        parent,
        lease,
    } = job;
    let started = Instant::now();
    let mut fetched = Fetched {
        record: Record {
            url: redact(&url),
            final_url: None,
            status: None,
            bytes: 0,
            elapsed_ms: 0.0,
            attempts: 0,
            content_type: None,
            error: None,
            saved_as: None,
            truncated: false,
            crawl: cx.bounds.as_ref().map(|_| CrawlInfo {
                depth,
                parent,
                links: None,
            }),
        },
        host: url.host_str().unwrap_or("").to_owned(),
        follow: Vec::new(),
        warc: Vec::new(),
        lease,
    };
    let crawl_delay = match &cx.robots {
        None => None,
        Some(robots) => match robots.check(&lane.session, &url).await {
            Verdict::Allowed { delay } => delay,
            Verdict::Refused(why) => {
                fetched.record.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                return fetched.fail(Failure::new(FailureKind::Robots, why));
            }
        },
    };
    let shared = match &lane.politeness {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => return fetched.fail(Failure::new(FailureKind::Redis, e.clone())),
    };
    let profile = &cx.profile;
    let slot = lane.slot(&fetched.host);
    // How long a host slot held in Redis outlives a worker that died holding it.
    let hold = profile.timeout + Duration::from_secs(10);
    let mut attempts = 0;
    let mut fd_backoff = Duration::from_millis(10);
    let gap = pace::gap(profile.rate_gap, crawl_delay);
    let result = loop {
        attempts += 1;
        if let Err(e) = cx.clocks.pace(shared, &fetched.host, gap).await {
            return fetched.fail(Failure::new(FailureKind::Redis, e));
        }
        // The timeout runs inside the attempt: from when the slot is held.
        let r = {
            // With a shared job, the lane's own slots queue its requests in order, and those
            // holding one ask Redis for one of the job's.
            let _slot = slot.acquire().await;
            match shared {
                Some(p) => match p.slot(&fetched.host, profile.per_host, hold).await {
                    Ok(_shared_slot) => attempt::once(cx, lane, &url).await,
                    Err(e) => return fetched.fail(Failure::new(FailureKind::Redis, e)),
                },
                None => attempt::once(cx, lane, &url).await,
            }
        };
        if let Err(e) = &r {
            if out_of_descriptors(e) {
                attempts -= 1;
                asyncio::time::sleep(fd_backoff).await;
                fd_backoff = (fd_backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        }
        let outcome = match &r {
            Ok(got) => Attempt::Response(
                StatusCode::from_u16(got.status).unwrap_or(StatusCode::OK),
                &got.retry_headers,
            ),
            Err(e) => Attempt::Failed(e),
        };
        let seed = u64::from(started.elapsed().subsec_nanos()) ^ u64::from(attempts);
        let Some(backoff) = profile.retry.next_delay(attempts, outcome, seed) else {
            break r;
        };
        // A retried attempt's exchange is archived too: it happened.
        if let Ok(got) = &r {
            fetched.warc.extend_from_slice(&got.warc);
        }
        asyncio::time::sleep(backoff).await;
    };
    let record = &mut fetched.record;
    record.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    record.attempts = attempts;
    match result {
        Ok(got) => {
            record.final_url = Some(got.final_url);
            record.status = Some(got.status);
            record.bytes = got.bytes;
            record.content_type = got.content_type;
            record.truncated = got.truncated;
            fetched.warc.extend_from_slice(&got.warc);
            match got.saved {
                Some(Ok(name)) => record.saved_as = Some(name),
                Some(Err(e)) => record.error = Some(Failure::new(FailureKind::Save, e)),
                None => {}
            }
            if let (Some(found), Some(info), Some(bounds)) =
                (got.links, record.crawl.as_mut(), cx.bounds.as_ref())
            {
                info.links = Some(found.count);
                fetched.follow = found
                    .follow
                    .into_iter()
                    .filter(|u| bounds.contains(u))
                    .collect();
            }
        }
        Err(e) => record.error = Some(Failure::http(&e)),
    }
    fetched
}

/// Whether a failed connect ran out of descriptors (ours, or the system's): then the request
/// waits and tries again, as it would for a free slot; it is never the URL's result.
fn out_of_descriptors(e: &asyncio_http::Error) -> bool {
    match e {
        asyncio_http::Error::Connect { source, .. } => matches!(
            asyncio::io::os_error(source),
            Some(libc::EMFILE | libc::ENFILE)
        ),
        _ => false,
    }
}
