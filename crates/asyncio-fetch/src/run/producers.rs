//! The producers, on loop 0: they deal jobs to the lanes until there are no more or the run
//! stops. One per mode: the input's URLs (list), the frontier (crawl), the shared job's leases.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use asyncio_http::ClientSession;

use super::dealing::{Dealer, Dealing};
use super::hub::{Common, Hub};
use super::intake::Intake;
use super::mode::{Mode, SharedRun};
use super::outcome::Ending;
use crate::frontier::Job;
use crate::record::redact;

/// Deals the run's jobs (by its mode), then closes the lanes' queues. Returns the intake, with
/// what it skipped and whether it failed.
pub(crate) async fn produce(
    hub: &Hub,
    common: &Common,
    dealing: Dealing,
    mut intake: Intake,
) -> Intake {
    let mut dealer = Dealer::new(dealing);
    match &hub.mode {
        Mode::List { done } => list(hub, common, &mut dealer, &mut intake, done).await,
        Mode::Crawl { max_pages, .. } => crawl(hub, common, &mut dealer, *max_pages).await,
        Mode::Shared(run) => {
            if !run.crawl {
                add_input(run, &mut intake).await;
            }
            crawl_shared(hub, common, &mut dealer, run).await;
        }
    }
    common.close_queues();
    intake
}

/// List mode: the input's URLs, but those `--resume` found done.
async fn list(
    hub: &Hub,
    common: &Common,
    dealer: &mut Dealer,
    intake: &mut Intake,
    done: &HashSet<String>,
) {
    while !hub.stop.is_set() {
        let Some(url) = intake.next_url().await else {
            break;
        };
        if done.contains(&redact(&url)) {
            hub.summary.borrow_mut().skipped += 1;
            continue;
        }
        if dealer.deal(&common.jobs, Job::seed(url)).await.is_err() {
            break;
        }
    }
}

/// Crawl mode: deals the frontier's jobs until it is empty with no page in flight (a page in
/// flight may still add links), `max_pages` were dealt, or the run stops.
async fn crawl(hub: &Hub, common: &Common, dealer: &mut Dealer, max_pages: Option<u64>) {
    let Some(frontier) = hub.frontier() else {
        return;
    };
    let mut dealt = 0u64;
    while !hub.stop.is_set() && max_pages.is_none_or(|m| dealt < m) {
        hub.recorded.clear();
        let next = frontier.borrow_mut().pop();
        match next {
            Ok(Some(job)) => {
                hub.outstanding.set(hub.outstanding.get() + 1);
                dealt += 1;
                if dealer.deal(&common.jobs, job).await.is_err() {
                    break;
                }
            }
            Ok(None) if hub.outstanding.get() == 0 => break,
            Ok(None) => {
                let _ = race(hub.recorded.wait(), hub.stop.wait()).await;
            }
            Err(e) => {
                let why = format!("cannot read the frontier back: {e}");
                hub.end(Ending::OutputFailed(why), common);
                break;
            }
        }
    }
}

/// A shared job in list mode: the input's URLs join its frontier (those it has not seen), a
/// thousand at a time.
async fn add_input(run: &SharedRun, intake: &mut Intake) {
    let mut batch = Vec::new();
    loop {
        let next = intake.next_url().await;
        let end = next.is_none();
        batch.extend(next.map(Job::seed));
        if batch.len() >= 1000 || (end && !batch.is_empty()) {
            if let Err(e) = run.job.add(batch.drain(..)).await {
                intake.failed = Some(format!("the shared job's Redis: {e}"));
                return;
            }
        }
        if end {
            return;
        }
    }
}

/// A shared job's producer: leases jobs and deals them until the job is over (its frontier
/// empty and no lease open, in all workers) or `max_pages` results and leases are reached,
/// or the run stops.
async fn crawl_shared(hub: &Hub, common: &Common, dealer: &mut Dealer, run: &SharedRun) {
    // Leases in hand wait in the lanes' queues: a batch at a time keeps them few.
    let batch = common
        .jobs
        .iter()
        .map(|q| q.maxsize())
        .sum::<usize>()
        .clamp(1, 256);
    while !hub.stop.is_set() {
        hub.recorded.clear();
        let claimed = match run.job.claim(batch, run.max_pages).await {
            Ok(c) => c,
            Err(e) => {
                let why = format!("the shared job's Redis failed: {e}");
                hub.end(Ending::OutputFailed(why), common);
                return;
            }
        };
        if claimed.jobs.is_empty() {
            if claimed.leased == 0 {
                return;
            }
            // Other pages in flight may still add links; leases of a dead worker run out.
            // Ours wake this early; others' are polled.
            let poll = asyncio::time::sleep(Duration::from_millis(100));
            let _ = race(race(hub.recorded.wait(), poll), hub.stop.wait()).await;
            continue;
        }
        for j in claimed.jobs {
            hub.outstanding.set(hub.outstanding.get() + 1);
            if dealer.deal(&common.jobs, j).await.is_err() {
                return;
            }
        }
    }
}

/// `--sitemaps`: the pages the seeds' sitemaps list join the frontier (depth 0, the sitemap
/// as their parent), those in scope.
///
/// # Errors
/// The frontier cannot be written, or the shared job's Redis fails.
pub(crate) async fn add_sitemaps(
    hub: &Hub,
    common: &Common,
    session: &ClientSession,
    seeds: &[url::Url],
) -> std::io::Result<()> {
    // Only a crawl has bounds (a list, shared or not, follows nothing).
    let Some(bounds) = &common.fetch.bounds else {
        return Ok(());
    };
    let mut origins: Vec<url::Url> = Vec::new();
    let mut seen = HashSet::new();
    for s in seeds {
        if seen.insert(s.origin().ascii_serialization()) {
            origins.push(s.clone());
        }
    }
    let mut from_robots = Vec::new();
    if let Some(robots) = &common.fetch.robots {
        for o in &origins {
            from_robots.extend(robots.sitemaps(session, o).await);
        }
    }
    let pages = crate::sitemaps::discover(session, &origins, from_robots, |p| {
        eprintln!("asyncio-fetch: {p}");
    })
    .await;
    let jobs = pages
        .into_iter()
        .filter(|(url, _)| bounds.contains(url))
        .map(|(url, sitemap)| Job {
            url,
            depth: 0,
            parent: Some(Arc::from(sitemap)),
            lease: None,
        });
    match &hub.mode {
        Mode::Shared(run) => run
            .job
            .add(jobs)
            .await
            .map(drop)
            .map_err(|e| std::io::Error::other(format!("the shared job's Redis: {e}"))),
        Mode::Crawl { frontier, .. } => {
            let mut f = frontier.borrow_mut();
            for j in jobs {
                f.add(j)?;
            }
            Ok(())
        }
        Mode::List { .. } => Ok(()),
    }
}

/// Whether `a` finished first (`b` is dropped then, and `a` is left as it is otherwise).
pub(crate) async fn race(a: impl Future, b: impl Future) -> bool {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    std::future::poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() {
            Poll::Ready(true)
        } else if b.as_mut().poll(cx).is_ready() {
            Poll::Ready(false)
        } else {
            Poll::Pending
        }
    })
    .await
}
