//! A lane, on its own loop: its share of the workers fetch from its queue until the queue is
//! shut down and empty, and send every result to loop 0's writer.

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::hub::Common;
use crate::fetch::{fetch, Lane};
use crate::save::Saver;
use crate::shared::Politeness;

/// Runs lane `index` with `workers` workers and `per_host` slots per host.
pub(crate) async fn run_lane(
    common: Arc<Common>,
    index: usize,
    workers: usize,
    per_host: usize,
    save: Option<PathBuf>,
) {
    let session = common.fetch.profile.session(workers, per_host);
    let politeness = match &common.shared {
        Some((address, name)) => Some(Politeness::open(address, name, index).await),
        None => None,
    };
    let lane = Rc::new(Lane::new(
        session,
        per_host,
        save.map(Saver::new),
        politeness,
    ));
    let tasks: Vec<_> = (0..workers)
        .map(|worker| {
            let (common, lane) = (common.clone(), lane.clone());
            let name = format!("fetch worker {index}.{worker}");
            asyncio::task::Builder::new().name(name).spawn(async move {
                let jobs = &common.jobs[index];
                while let Ok(job) = jobs.get().await {
                    common.in_flight.fetch_add(1, Ordering::Relaxed);
                    let fetched = fetch(&common.fetch, &lane, job).await;
                    common.in_flight.fetch_sub(1, Ordering::Relaxed);
                    if common.results.put_nowait(fetched).is_err() {
                        break; // the writer is gone
                    }
                }
            })
        })
        .collect();
    let mut cancel: Vec<_> = tasks.iter().map(|t| t.task().clone()).collect();
    // A shared job's lane gives back the host slots it kept once they idle.
    if let Some(Ok(_)) = &lane.politeness {
        let lane = lane.clone();
        let sweeper = asyncio::spawn(async move {
            if let Some(Ok(p)) = &lane.politeness {
                p.sweep().await;
            }
        });
        cancel.push(sweeper.task().clone());
    }
    let _guard = CancelOnDrop(cancel);
    for t in tasks {
        let _ = t.await;
    }
    if let Some(Ok(p)) = &lane.politeness {
        p.close().await;
    }
}

/// Dropping the lane's future (the lane cancelled) cancels its workers with it.
struct CancelOnDrop(Vec<asyncio::task::Task>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        for t in &self.0 {
            t.cancel();
        }
    }
}
