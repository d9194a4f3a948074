//! The writer, on loop 0: every result becomes one line, after what the line depends on (the
//! links it found, its WARC records) is kept. A shared job records its results in Redis, a
//! batch at a time, and writes only the lines that were their URL's first.

use std::sync::atomic::Ordering;

use super::hub::{follow_jobs, Common, Hub};
use super::outcome::Ending;
use crate::failure::FailureKind;
use crate::fetch::Fetched;
use crate::shared::{Finished, SharedJob};

/// The most results a shared job records in one Redis call.
const SHARED_BATCH: usize = 512;

/// Writes results until every lane has ended and the results queue is shut.
pub(crate) async fn write_results(hub: &Hub, common: &Common) {
    while let Ok(first) = common.results.get().await {
        // A shared job records the results waiting together: one Redis call.
        let mut batch = vec![first];
        while hub.shared().is_some() && batch.len() < SHARED_BATCH {
            match common.results.get_nowait() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let mut ready = Vec::with_capacity(batch.len());
        for mut fetched in batch {
            if !hub.recording() {
                hub.settle();
                continue; // the output is gone: nothing more can be recorded
            }
            if fetched.failure() == Some(FailureKind::Redis) {
                // Not the URL's result: its lease runs out and another worker (or a later
                // run) fetches it.
                let why = fetched.record.error.map_or_else(String::new, |f| f.message);
                let why = format!("the shared job's Redis failed: {why}");
                hub.end(Ending::OutputFailed(why), common);
                hub.settle();
                continue;
            }
            // What the line depends on goes first: the links it found (the frontier), its
            // WARC records.
            match hub.keep(common, &mut fetched) {
                Ok(()) => ready.push(fetched),
                Err(e) => {
                    hub.settle();
                    hub.write_failed(&e, common);
                }
            }
        }
        let written = match hub.shared() {
            Some(run) => record_shared(hub, common, &run.job, ready).await,
            None => ready
                .into_iter()
                .map(|f| {
                    let w = hub
                        .output
                        .borrow_mut()
                        .write(&f.record, || hub.flush_dependencies());
                    (f, w.map(|()| true))
                })
                .collect(),
        };
        for (fetched, w) in written {
            hub.settle();
            match w {
                Ok(true) => {}
                // Another worker recorded the URL first: nothing to write or count.
                Ok(false) => continue,
                Err(e) => {
                    hub.write_failed(&e, common);
                    continue;
                }
            }
            let errors = {
                let mut s = hub.summary.borrow_mut();
                s.add(&fetched.record, &fetched.host);
                if fetched.failure() == Some(FailureKind::Save) {
                    s.save_failed += 1;
                }
                s.errors()
            };
            hub.progress
                .tick(errors, common.in_flight.load(Ordering::Relaxed));
        }
    }
}

/// Records `results` in the shared job (with the links to follow from them) in one call, and
/// writes the lines of those that are their URL's first result. Returns each with whether it
/// was.
async fn record_shared(
    hub: &Hub,
    common: &Common,
    job: &SharedJob,
    results: Vec<Fetched>,
) -> Vec<(Fetched, std::io::Result<bool>)> {
    if results.is_empty() {
        return Vec::new();
    }
    // The WARC records they depend on are durable before the results are.
    if let Err(e) = hub.flush_dependencies() {
        let why = e.to_string();
        return results
            .into_iter()
            .map(|r| (r, Err(std::io::Error::new(e.kind(), why.clone()))))
            .collect();
    }
    let mut results = results;
    let mut finished = Vec::with_capacity(results.len());
    for r in &mut results {
        let Some(lease) = r.lease.take() else {
            unreachable!("every job of a shared job has its lease");
        };
        let links = follow_jobs(common.fetch.bounds.as_ref(), r);
        finished.push(Finished {
            lease,
            line: r.record.to_json(),
            failed: r.record.error.is_some(),
            links,
        });
    }
    let firsts = match job.complete(&finished).await {
        Ok(f) => f,
        Err(e) => {
            let why = format!("the shared job's Redis: {e}");
            return results
                .into_iter()
                .map(|r| (r, Err(std::io::Error::other(why.clone()))))
                .collect();
        }
    };
    let mut out = Vec::with_capacity(results.len());
    for ((r, done), first) in results.into_iter().zip(&finished).zip(firsts) {
        let w = if first {
            hub.output
                .borrow_mut()
                .write_line(&done.line, || Ok(()))
                .map(|()| true)
        } else {
            Ok(false)
        };
        out.push((r, w));
    }
    out
}
