//! The run, on a `Runtime` of `--loops` loops: a producer on loop 0 deals URLs to one lane
//! per loop (a host's URLs to one lane, so its `--per-host` slots and `--rate` clock are
//! exact), each lane's share of the `--concurrency` workers fetch them (`crate::fetch`), every
//! result goes back to loop 0 and becomes one JSON line there, and a signal stops the intake,
//! gives in-flight requests their grace period (a second signal ends it at once) and still
//! writes the finished lines and the summary.
//!
//! One layer per file: [`mode`] decides what kind of run it is, [`hub`] holds its state,
//! [`producers`] deal the jobs through [`dealing`], [`lanes`] fetch them, [`writer`] writes
//! the lines, [`signals`] stops the intake, [`outcome`] closes the run.

mod dealing;
mod hub;
mod intake;
mod lanes;
mod mode;
mod outcome;
mod producers;
mod signals;
mod writer;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asyncio::cores::RuntimeHandle;
use asyncio::sync::{Event, ThreadSafeQueue};

use crate::args::Args;
use crate::input::Input;
use crate::profile::Profile;
use crate::progress::Progress;
use crate::record::Output;
use crate::robots::Robots;
use crate::summary::Summary;
use dealing::Dealing;
use hub::{Common, Hub};
use intake::Intake;
use mode::{Plan, SharedRun};
use producers::race;

pub(crate) use outcome::{Ending, Outcome};

/// Runs the whole job on `rt`'s loops (this future runs on loop 0).
///
/// # Errors
/// The settings are invalid, the output cannot be opened, or `--save`'s directory cannot be
/// made.
pub(crate) async fn run(
    rt: RuntimeHandle,
    args: Args,
    input: Input,
    total_hint: Option<u64>,
    concurrency: usize,
) -> std::io::Result<Outcome> {
    let started = Instant::now();
    let profile = Profile::from_args(&args).map_err(std::io::Error::other)?;
    let shared = SharedRun::open(&args).await?;
    if let (true, Some(run)) = (args.export, &shared) {
        return outcome::export(run, args.output.as_deref()).await;
    }
    let mut intake = Intake::new(input, if args.crawl { "seeds" } else { "input" });
    let plan = Plan::open(&args, &mut intake, shared).await?;
    let warc = match &args.warc {
        Some(path) => Some(RefCell::new(crate::warc::Writer::open(
            path,
            args.warc_max_size,
            args.resume,
            profile.warcinfo(!args.ignore_robots),
        )?)),
        None => None,
    };
    let output = if args.demo && args.output.is_none() {
        Output::discard()
    } else {
        Output::open(args.output.as_deref(), args.resume)?
    };
    if let Some(dir) = &args.save {
        asyncio::fs::create_dir_all(dir).await?;
    }
    let hub_session = profile.session(concurrency, profile.per_host);
    let lanes = rt.loops().min(concurrency).max(1);
    let shared_address = plan
        .mode
        .shared()
        .map(|run| (run.address.clone(), run.name.clone()));
    let dealing = Dealing::new(lanes, args.rate, profile.per_host, shared_address.is_some());
    let common = Arc::new(Common {
        jobs: (0..lanes)
            .map(|i| ThreadSafeQueue::new(2 * dealing.share(concurrency, i)))
            .collect(),
        results: ThreadSafeQueue::new(0),
        in_flight: AtomicU64::new(0),
        fetch: crate::fetch::Context {
            robots: (!args.ignore_robots)
                .then(|| Robots::new(&profile.user_agent, args.retries, profile.timeout)),
            clocks: crate::fetch::Clocks::default(),
            bounds: plan.bounds,
            payloads: match (&args.warc, args.resume) {
                (Some(path), true) => {
                    Some(crate::warc::archived_payloads(path, args.warc_max_size)?)
                }
                (Some(_), false) => Some(crate::warc::Payloads::default()),
                (None, _) => None,
            },
            profile,
        },
        shared: shared_address,
    });
    let hub = Rc::new(Hub {
        mode: plan.mode,
        output: RefCell::new(output),
        summary: RefCell::new(Summary::default()),
        progress: Progress::new(args.quiet, total_hint),
        ending: RefCell::new(Ending::Done),
        stop: Event::new(),
        warc,
        outstanding: Cell::new(0),
        recorded: Event::new(),
    });
    if args.crawl && args.sitemaps {
        producers::add_sitemaps(&hub, &common, &hub_session, &plan.seeds).await?;
    }
    drop(hub_session);

    // A second signal: in-flight requests end at once.
    let hurry = Event::new();
    let signals = signals::listen(hub.clone(), common.clone(), hurry.clone());

    // The lanes: on each loop, its share of the workers, fetching from its queue.
    let mut lane_tasks = Vec::with_capacity(lanes);
    for i in 0..lanes {
        let common = common.clone();
        let workers = dealing.share(concurrency, i);
        let per_host = if dealing.spread {
            dealing.share(common.fetch.profile.per_host, i)
        } else {
            common.fetch.profile.per_host
        };
        let save = args.save.clone();
        let lane = rt.spawn_on(i, move || {
            lanes::run_lane(common, i, workers, per_host, save)
        });
        lane_tasks.push(lane.map_err(std::io::Error::other)?);
    }

    // The writer: every result becomes one line, on this loop only.
    let writer = {
        let (common, hub) = (common.clone(), hub.clone());
        asyncio::task::Builder::new()
            .name("writer")
            .spawn(async move { writer::write_results(&hub, &common).await })
    };
    let producer = {
        let (common, hub) = (common.clone(), hub.clone());
        asyncio::task::Builder::new()
            .name("producer")
            .spawn(async move { producers::produce(&hub, &common, dealing, intake).await })
    };
    let ticker = hub
        .progress
        .is_plain()
        .then(|| plain_progress(hub.clone(), common.clone()));
    let renewer = hub
        .shared()
        .map(|run| renew_leases(run.job.clone(), args.lease() / 3));

    let intake = producer.await.ok();
    // Normal end: every lane drains its queue. Stopped early: the lanes get the grace period,
    // which a second signal cuts short.
    let cancels: Vec<_> = lane_tasks.iter().map(|t| t.canceller()).collect();
    let mut all = std::pin::pin!(asyncio::task::gather(
        lane_tasks.into_iter().map(|t| async move { drop(t.await) })
    ));
    let mut finished = race(all.as_mut(), hub.stop.wait()).await;
    if !finished && *hub.ending.borrow() == Ending::Interrupted {
        let grace = asyncio::time::sleep(args.grace());
        let cut = async {
            let _ = race(grace, hurry.wait()).await;
        };
        finished = race(all.as_mut(), cut).await;
    }
    if !finished {
        for c in &cancels {
            c.cancel();
        }
        // Every lane ends (cancelled): no more results will come.
        all.await;
    }
    common.results.shutdown(false);
    let _ = writer.await;
    signals.task().cancel();
    for t in [ticker, renewer].into_iter().flatten() {
        t.task().cancel();
    }
    let mut outcome = outcome::close(&hub, intake, started.elapsed()).await;
    if let Err(e) = common.fetch.profile.save_cookies() {
        outcome
            .problems
            .push(format!("cannot save the cookies: {e}"));
    }
    if let Err(e) = common.fetch.profile.flush_trace() {
        outcome
            .problems
            .push(format!("cannot write the --trace file: {e}"));
    }
    Ok(outcome)
}

/// Without a terminal, a plain progress line every 2 s.
fn plain_progress(hub: Rc<Hub>, common: Arc<Common>) -> asyncio::JoinHandle<()> {
    asyncio::spawn(async move {
        let mut every = asyncio::time::interval(Duration::from_secs(2));
        every.tick().await;
        loop {
            every.tick().await;
            let errors = hub.summary.borrow().errors();
            hub.progress
                .line(errors, common.in_flight.load(Ordering::Relaxed));
        }
    })
}

/// A shared job's leases are renewed while this worker holds them.
fn renew_leases(job: Rc<crate::shared::SharedJob>, every: Duration) -> asyncio::JoinHandle<()> {
    asyncio::spawn(async move {
        loop {
            asyncio::time::sleep(every).await;
            if let Err(e) = job.renew().await {
                eprintln!("asyncio-fetch: cannot renew the shared job's leases: {e}");
            }
        }
    })
}
