//! The run, on a `Runtime` of `--loops` loops: a producer on loop 0 deals URLs to one lane
//! per loop (a host's URLs to one lane, so its `--per-host` slots and `--rate` clock are
//! exact), each lane's share of the `--concurrency` workers fetch them (each waits for its
//! host's slot before its clock starts), every result goes back to loop 0 and becomes one
//! JSON line there, and a signal stops the intake, gives in-flight requests their grace
//! period (a second signal ends it at once) and still writes the finished lines and the
//! summary.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use asyncio::cores::RuntimeHandle;
use asyncio::sync::{Event, Semaphore, ThreadSafeQueue};
use asyncio_http::{
    Attempt, ClientSession, ClientTimeout, Error, Method, RetryPolicy, SessionConfig, StatusCode,
};

use crate::args::Args;
use crate::frontier::{fingerprint, Fingerprints, Frontier, Job};
use crate::input::{parse_line, Input};
use crate::links::Scope;
use crate::progress::Progress;
use crate::record::{redact, CrawlInfo, Output, Record};
use crate::redis_conn::Address;
use crate::robots::{Robots, Verdict};
use crate::save::Saver;
use crate::shared::{Politeness, SharedJob};
use crate::summary::Summary;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Every URL was taken.
    Done,
    /// A signal cut it short.
    Interrupted,
    /// Writing a result failed: the run stopped (the message says why).
    OutputFailed(String),
    /// The reader of standard output went away (`| head`): the run stopped quietly.
    BrokenPipe,
}

/// What the run reports back.
pub(crate) struct Outcome {
    pub(crate) summary: String,
    pub(crate) ending: Ending,
    /// Something failed that the results cannot show (the input could not be read to the end,
    /// bodies could not be saved): the exit status must say so.
    pub(crate) problems: Vec<String>,
}

/// What loop 0 keeps: the output, the summary, the progress bar, and how the run ends.
struct Hub {
    output: RefCell<Output>,
    summary: RefCell<Summary>,
    progress: Progress,
    ending: RefCell<Ending>,
    /// Set when the intake must stop: a signal or a failed output.
    stop: Event,
    /// Crawl mode: the URLs found and still to fetch.
    frontier: Option<RefCell<Frontier>>,
    /// `--warc`: where the lanes' records go.
    warc: Option<RefCell<crate::warc::Writer>>,
    /// Crawl mode: jobs dealt whose result has not been recorded yet (their pages may still
    /// add links).
    outstanding: Cell<u64>,
    /// Set by the writer after each result (the crawl's producer waits on it).
    recorded: Event,
    /// `--redis`: the shared job (its frontier, leases and results).
    shared: Option<Rc<SharedJob>>,
}

/// Crawl mode's limits: which links are followed, and how deep.
struct Bounds {
    scope: Scope,
    seeds: Vec<url::Url>,
    /// `host:port` of every seed (for `--scope host`).
    hosts: HashSet<String>,
    max_depth: Option<u32>,
}

impl Bounds {
    fn new(scope: Scope, seeds: &[url::Url], max_depth: Option<u32>) -> Self {
        let mut unique: Vec<url::Url> = Vec::new();
        let mut keys = HashSet::new();
        for s in seeds {
            // Seeds alike for the scope need only be checked once.
            let key = match scope {
                Scope::Host | Scope::Domain => host_key(s),
                Scope::Prefix => s.as_str().to_owned(),
            };
            if keys.insert(key) {
                unique.push(s.clone());
            }
        }
        Self {
            scope,
            hosts: seeds.iter().map(host_key).collect(),
            seeds: unique,
            max_depth,
        }
    }

    fn contains(&self, link: &url::Url) -> bool {
        match self.scope {
            Scope::Host => self.hosts.contains(&host_key(link)),
            _ => self.seeds.iter().any(|s| self.scope.contains(s, link)),
        }
    }
}

fn host_key(u: &url::Url) -> String {
    format!(
        "{}:{}",
        u.host_str().unwrap_or(""),
        u.port_or_known_default().unwrap_or(0)
    )
}

/// What every loop shares: the lanes' job queues, the results on their way to loop 0, and
/// the count of requests in flight.
struct Common {
    /// One queue per lane (loop); a host's URLs go to one lane unless they may be spread.
    jobs: Vec<ThreadSafeQueue<Job>>,
    results: ThreadSafeQueue<Record>,
    in_flight: AtomicU64,
    /// robots.txt of every origin (`None` with `--ignore-robots`).
    robots: Option<Robots>,
    /// Each host's next request time (`--rate`, `Crawl-delay`), shared by the lanes.
    next_at: Mutex<HashMap<String, Instant>>,
    /// Crawl mode's limits (`None` in list mode).
    bounds: Option<Bounds>,
    /// `--warc`: the payloads archived so far, for revisit records.
    payloads: Option<crate::warc::Payloads>,
    /// `--redis`: where the shared job is, for the lanes' own connections.
    shared: Option<(Address, String)>,
}

impl Common {
    /// Stops the intake at once: what is still queued stays unfetched (resume fetches it).
    fn stop_intake(&self) {
        for q in &self.jobs {
            q.shutdown(true);
        }
    }
}

impl Hub {
    /// Takes in what a result brings besides its line: its page's links (into the frontier,
    /// those within depth) and its WARC records.
    fn keep(&self, common: &Common, record: &mut Record) -> std::io::Result<()> {
        if let Some(frontier) = &self.frontier {
            let mut f = frontier.borrow_mut();
            for job in follow_jobs(common, record) {
                f.add(job)?;
            }
        }
        if let Some(w) = &self.warc {
            if !record.warc.is_empty() {
                w.borrow_mut().write(&record.warc)?;
                record.warc = Vec::new();
            }
        }
        Ok(())
    }

    /// One dealt job is settled (crawl mode, or a shared job): the producer may look again.
    fn settle(&self) {
        if self.frontier.is_some() || self.shared.is_some() {
            self.outstanding
                .set(self.outstanding.get().saturating_sub(1));
            self.recorded.set();
        }
    }

    /// Makes durable what the buffered lines depend on: the frontier and the WARC records.
    fn flush_dependencies(&self) -> std::io::Result<()> {
        if let Some(f) = &self.frontier {
            f.borrow_mut().flush()?;
        }
        if let Some(w) = &self.warc {
            w.borrow_mut().flush()?;
        }
        Ok(())
    }

    /// A result could not be written: the run ends (quietly if the reader went away).
    fn write_failed(&self, e: &std::io::Error, common: &Common) {
        let why = if e.kind() == std::io::ErrorKind::BrokenPipe {
            Ending::BrokenPipe
        } else {
            Ending::OutputFailed(format!("cannot write a result: {e}"))
        };
        self.end(why, common);
    }

    /// Ends the run early for `why` (the first reason wins) and stops the intake.
    fn end(&self, why: Ending, common: &Common) {
        let mut ending = self.ending.borrow_mut();
        if *ending == Ending::Done {
            *ending = why;
        }
        drop(ending);
        self.stop.set();
        common.stop_intake();
    }
}

/// One loop's share of the work: its own HTTP session, host slots, `--rate` clocks and saver.
struct Lane {
    /// Each host's slots (`--per-host`, this lane's share of it): a request's clock starts
    /// once it holds one.
    slots: RefCell<HashMap<String, Semaphore>>,
    per_host: usize,
    saver: Option<Saver>,
    /// `--redis`: the host slots and clocks of the whole job (instead of `slots`), or why
    /// this lane has no connection to it.
    politeness: Option<Result<Politeness, String>>,
}

impl Lane {
    fn slot(&self, host: &str) -> Semaphore {
        let mut slots = self.slots.borrow_mut();
        if let Some(s) = slots.get(host) {
            return s.clone();
        }
        let s = Semaphore::new(self.per_host);
        slots.insert(host.to_owned(), s.clone());
        s
    }
}

/// How URLs are dealt to lanes. A host's requests stay on one lane (so its `--per-host`
/// slots and `--rate` clock are one lane's, exact) unless there is no `--rate` and the per-host
/// limit is at least the number of lanes: then any lane may take any URL, each with its share
/// of every host's slots (the shares add up to `--per-host`, so the limit still holds).
#[derive(Clone, Copy)]
struct Dealing {
    lanes: usize,
    spread: bool,
}

impl Dealing {
    fn new(args: &Args, lanes: usize) -> Self {
        Self {
            lanes,
            spread: args.rate <= 0.0 && args.per_host() >= lanes,
        }
    }

    /// Lane `i`'s share of `total` (the shares of all lanes add up to `total`).
    fn share(&self, total: usize, i: usize) -> usize {
        total / self.lanes + usize::from(i < total % self.lanes)
    }

    /// The lane that must take `host`'s URLs, when hosts are not spread.
    fn lane_of(&self, host: &str) -> usize {
        if self.lanes == 1 {
            return 0;
        }
        // A stable hash: a host keeps its lane across runs (and resumes).
        (crate::save::fnv1a(host.as_bytes()) % self.lanes as u64) as usize
    }
}

/// Runs the whole job on `rt`'s loops (this future runs on loop 0).
///
/// # Errors
/// The output cannot be opened, or `--save`'s directory cannot be made.
pub(crate) async fn run(
    rt: RuntimeHandle,
    args: Args,
    input: Input,
    total_hint: Option<u64>,
    concurrency: usize,
) -> std::io::Result<Outcome> {
    let started = Instant::now();
    let mut input = input;
    let shared = match (&args.redis, &args.job) {
        (Some(url), Some(name)) => {
            let address = Address::parse(url).map_err(std::io::Error::other)?;
            let job = SharedJob::open(&address, name, args.lease())
                .await
                .map_err(std::io::Error::other)?;
            Some((address, name.clone(), Rc::new(job)))
        }
        _ => None,
    };
    if let (true, Some((_, name, job))) = (args.export, &shared) {
        return export(job, name, &args).await;
    }
    let done = match (&args.output, args.resume) {
        (Some(p), true) => crate::record::done_urls(p)?,
        _ => HashSet::new(),
    };
    // Crawl mode reads its seeds first: the scope is theirs.
    let mut seeds = Vec::new();
    let mut summary = Summary::default();
    let mut input_failed = None;
    if args.crawl {
        loop {
            match input.next().await {
                Ok(Some((n, line))) => match parse_line(&line) {
                    None => {}
                    Some(Err(reason)) => {
                        eprintln!("line {n}: {reason}; skipped");
                        summary.invalid_lines += 1;
                    }
                    Some(Ok(url)) => seeds.push(crate::links::normalise(url)),
                },
                Ok(None) => break,
                Err(e) => {
                    input_failed = Some(format!("reading the seeds failed: {e}"));
                    break;
                }
            }
        }
    }
    // A shared job's scope is every worker's seeds; they join its frontier like any URL.
    let scope_seeds = match &shared {
        Some((_, _, job)) if args.crawl => {
            let all = job.seeds(&seeds).await.map_err(std::io::Error::other)?;
            job.add(seeds.iter().cloned().map(Job::seed))
                .await
                .map_err(std::io::Error::other)?;
            all
        }
        _ => seeds.clone(),
    };
    let frontier = if args.crawl && shared.is_none() {
        let path = args.output.as_deref().map(Frontier::path_for);
        let done: Fingerprints = done.iter().map(|u| fingerprint(u)).collect();
        let mut f = Frontier::open(path, args.resume, done)?;
        for s in &seeds {
            f.add(Job::seed(s.clone()))?;
        }
        Some(RefCell::new(f))
    } else {
        None
    };
    let warc = match &args.warc {
        Some(path) => Some(RefCell::new(crate::warc::Writer::open(
            path,
            args.warc_max_size,
            args.resume,
            format!(
                "software: asyncio-fetch/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\nrobots: {}\r\nhttp-header-user-agent: {}\r\n",
                env!("CARGO_PKG_VERSION"),
                if args.ignore_robots { "ignore" } else { "obey" },
                args.user_agent
            ),
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
    // Built here first so that a bad header or TLS setting fails before anything starts.
    let hub_session = session(&args, concurrency, args.per_host())?;
    let lanes = rt.loops().min(concurrency).max(1);
    let mut dealing = Dealing::new(&args, lanes);
    // A shared job's host limits hold in Redis, for every lane of every worker alike.
    dealing.spread |= shared.is_some();
    let hub = Rc::new(Hub {
        output: RefCell::new(output),
        summary: RefCell::new(summary),
        progress: Progress::new(args.quiet, total_hint),
        ending: RefCell::new(Ending::Done),
        stop: Event::new(),
        frontier,
        warc,
        outstanding: Cell::new(0),
        recorded: Event::new(),
        shared: shared.as_ref().map(|(_, _, job)| job.clone()),
    });
    let common = Arc::new(Common {
        jobs: (0..lanes)
            .map(|i| ThreadSafeQueue::new(2 * dealing.share(concurrency, i)))
            .collect(),
        results: ThreadSafeQueue::new(0),
        in_flight: AtomicU64::new(0),
        robots: (!args.ignore_robots)
            .then(|| Robots::new(&args.user_agent, args.retries, args.timeout())),
        next_at: Mutex::new(HashMap::new()),
        bounds: args
            .crawl
            .then(|| Bounds::new(args.scope, &scope_seeds, args.depth)),
        payloads: match (&args.warc, args.resume) {
            (Some(path), true) => Some(crate::warc::archived_payloads(path, args.warc_max_size)?),
            (Some(_), false) => Some(crate::warc::Payloads::default()),
            (None, _) => None,
        },
        shared: shared
            .as_ref()
            .map(|(address, name, _)| (address.clone(), name.clone())),
    });
    let input_failed: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(input_failed));
    if args.crawl && args.sitemaps {
        add_sitemaps(&hub, &common, &hub_session, &seeds).await?;
    }
    drop(hub_session);
    // A second signal: in-flight requests end at once.
    let hurry = Event::new();

    // Signals: the first stops the intake (the queues' items stay unfetched: resume fetches
    // them) and starts the grace period; the second ends the grace period. Listening goes on,
    // so a second Ctrl-C never kills the process with lines still unwritten.
    let signals = {
        let (common, hub, hurry) = (common.clone(), hub.clone(), hurry.clone());
        asyncio::spawn(async move {
            // Each on its own: one that cannot be listened to must not cost the other.
            let mut int = asyncio::signal::signal(asyncio::signal::SignalKind::interrupt()).ok();
            let mut term = asyncio::signal::signal(asyncio::signal::SignalKind::terminate()).ok();
            if int.is_none() && term.is_none() {
                return;
            }
            let mut seen = 0;
            loop {
                std::future::poll_fn(|cx| {
                    let a = int.as_mut().is_some_and(|s| s.poll_recv(cx).is_ready());
                    let b = term.as_mut().is_some_and(|s| s.poll_recv(cx).is_ready());
                    if a || b {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                })
                .await;
                seen += 1;
                if seen == 1 {
                    eprintln!(
                        "asyncio-fetch: interrupted: finishing the requests in flight (again to stop them now)"
                    );
                    hub.end(Ending::Interrupted, &common);
                } else {
                    hurry.set();
                }
            }
        })
    };

    // The lanes: on each loop, its share of the workers, fetching from its queue.
    let mut lane_tasks = Vec::with_capacity(lanes);
    for i in 0..lanes {
        let (common, args) = (common.clone(), args.clone());
        let workers = dealing.share(concurrency, i);
        let per_host = if dealing.spread {
            dealing.share(args.per_host(), i)
        } else {
            args.per_host()
        };
        let lane = rt.spawn_on(i, move || run_lane(common, args, i, workers, per_host));
        lane_tasks.push(lane.map_err(std::io::Error::other)?);
    }

    // The writer: every result becomes one line, on this loop only.
    let writer = {
        let (common, hub) = (common.clone(), hub.clone());
        asyncio::spawn(async move {
            while let Ok(first) = common.results.get().await {
                // A shared job records the results waiting together: one Redis call.
                let mut batch = vec![first];
                while hub.shared.is_some() && batch.len() < 512 {
                    match common.results.get_nowait() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                let mut ready = Vec::with_capacity(batch.len());
                for mut record in batch {
                    if !matches!(*hub.ending.borrow(), Ending::Done | Ending::Interrupted) {
                        hub.settle();
                        continue; // the output is gone: nothing more can be recorded
                    }
                    if let Some((kind, why)) = &record.error {
                        if kind == "redis" {
                            // Not the URL's result: its lease runs out and another worker (or
                            // a later run) fetches it.
                            let why = format!("the shared job's Redis failed: {why}");
                            hub.end(Ending::OutputFailed(why), &common);
                            hub.settle();
                            continue;
                        }
                    }
                    // What the line depends on goes first: the links it found (the
                    // frontier), its WARC records.
                    match hub.keep(&common, &mut record) {
                        Ok(()) => ready.push(record),
                        Err(e) => {
                            hub.settle();
                            hub.write_failed(&e, &common);
                        }
                    }
                }
                let written = match &hub.shared {
                    Some(job) => record_shared(&hub, &common, job, ready).await,
                    None => ready
                        .into_iter()
                        .map(|r| {
                            let w = hub
                                .output
                                .borrow_mut()
                                .write(&r, || hub.flush_dependencies());
                            (r, w.map(|()| true))
                        })
                        .collect(),
                };
                for (record, w) in written {
                    hub.settle();
                    match w {
                        Ok(true) => {}
                        // Another worker recorded the URL first: nothing to write or count.
                        Ok(false) => continue,
                        Err(e) => {
                            hub.write_failed(&e, &common);
                            continue;
                        }
                    }
                    let errors = {
                        let mut s = hub.summary.borrow_mut();
                        s.add(&record);
                        if record
                            .error
                            .as_ref()
                            .is_some_and(|(kind, _)| kind == "save")
                        {
                            s.save_failed += 1;
                        }
                        s.errors()
                    };
                    hub.progress
                        .tick(errors, common.in_flight.load(Ordering::Relaxed));
                }
            }
        })
    };

    let producer = {
        let (common, hub, input_failed) = (common.clone(), hub.clone(), input_failed.clone());
        let max_pages = args.max_pages;
        let args_crawl = args.crawl;
        let already = done.len() as u64;
        asyncio::spawn(async move {
            let mut turn = 0usize;
            if let Some(job) = hub.shared.clone() {
                if !args_crawl {
                    add_input(&hub, &job, &mut input, &input_failed).await;
                }
                crawl_shared(&hub, &common, &job, dealing, max_pages).await;
                for q in &common.jobs {
                    q.shutdown(false);
                }
                return;
            }
            if hub.frontier.is_some() {
                crawl(
                    &hub,
                    &common,
                    dealing,
                    max_pages.map(|m| m.saturating_sub(already)),
                )
                .await;
                for q in &common.jobs {
                    q.shutdown(false);
                }
                return;
            }
            while !hub.stop.is_set() {
                let (n, line) = match input.next().await {
                    Ok(Some(x)) => x,
                    Ok(None) => break,
                    Err(e) => {
                        *input_failed.borrow_mut() = Some(format!("reading the input failed: {e}"));
                        break;
                    }
                };
                match parse_line(&line) {
                    None => {}
                    Some(Err(reason)) => {
                        eprintln!("line {n}: {reason}; skipped");
                        hub.summary.borrow_mut().invalid_lines += 1;
                    }
                    Some(Ok(url)) => {
                        if done.contains(&redact(&url)) {
                            hub.summary.borrow_mut().skipped += 1;
                            continue;
                        }
                        if deal(&common, dealing, &mut turn, Job::seed(url))
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                }
            }
            for q in &common.jobs {
                q.shutdown(false);
            }
        })
    };

    // Without a terminal, a plain progress line every 2 s.
    let ticker = hub.progress.is_plain().then(|| {
        let (common, hub) = (common.clone(), hub.clone());
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
    });

    // A shared job's leases are renewed while this worker holds them.
    let renewer = hub.shared.clone().map(|job| {
        let every = args.lease() / 3;
        asyncio::spawn(async move {
            loop {
                asyncio::time::sleep(every).await;
                if let Err(e) = job.renew().await {
                    eprintln!("asyncio-fetch: cannot renew the shared job's leases: {e}");
                }
            }
        })
    });

    let _ = producer.await;
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
    if let Some(t) = ticker {
        t.task().cancel();
    }
    if let Some(t) = renewer {
        t.task().cancel();
    }
    hub.progress.finish();
    let ending = hub.ending.borrow().clone();
    if !matches!(ending, Ending::OutputFailed(_) | Ending::BrokenPipe) {
        let finished = hub
            .flush_dependencies()
            .and_then(|()| match &hub.warc {
                Some(w) => w.borrow_mut().finish(),
                None => Ok(()),
            })
            .and_then(|()| hub.output.borrow_mut().finish());
        if let Err(e) = finished {
            return Ok(Outcome {
                summary: String::new(),
                ending: if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Ending::BrokenPipe
                } else {
                    Ending::OutputFailed(format!("cannot write the results: {e}"))
                },
                problems: Vec::new(),
            });
        }
    }
    let mut problems = Vec::new();
    let mut frontier_note = None;
    if let Some((_, name, job)) = &shared {
        // What this worker took and did not finish goes back at once (no lease to wait out).
        let back = job.give_back().await;
        frontier_note = Some(match back.and(job.totals().await) {
            Ok(t) => format!(
                "job {name}: {} recorded by all workers ({} by this one, {} errors in all); {} discovered, {} queued, {} leased{}\n",
                t.recorded,
                job.recorded_here(),
                t.errors,
                t.discovered,
                t.queued,
                t.leased,
                if t.queued == 0 && t.leased == 0 { ", all done" } else { "" }
            ),
            Err(e) => {
                problems.push(format!("the shared job's Redis: {e}"));
                String::new()
            }
        });
    }
    if let Some(f) = &hub.frontier {
        let mut f = f.borrow_mut();
        frontier_note = Some(format!(
            "crawl: {} URLs discovered{}\n",
            f.seen(),
            if f.is_empty() {
                ", all done"
            } else {
                "; some not fetched yet (--resume goes on)"
            }
        ));
        if let Err(e) = f.close() {
            problems.push(format!("the frontier file: {e}"));
        }
    }
    if let Some(e) = input_failed.borrow_mut().take() {
        problems.push(e);
    }
    let save_failed = hub.summary.borrow().save_failed;
    if save_failed > 0 {
        problems.push(format!("{save_failed} bodies could not be saved"));
    }
    let mut summary = hub
        .summary
        .borrow_mut()
        .render(started.elapsed(), ending == Ending::Interrupted);
    if let Some(note) = frontier_note {
        summary.push_str(&note);
    }
    Ok(Outcome {
        summary,
        ending,
        problems,
    })
}

/// Gives `url` to a lane: its host's lane, or (hosts spread) the next lane with room, waiting
/// for the next in turn when all are full.
async fn deal(common: &Common, dealing: Dealing, turn: &mut usize, job: Job) -> Result<(), ()> {
    if !dealing.spread {
        let lane = dealing.lane_of(job.url.host_str().unwrap_or(""));
        return common.jobs[lane].put(job).await.map_err(drop);
    }
    let mut url = job;
    for _ in 0..dealing.lanes {
        let lane = *turn;
        *turn = (*turn + 1) % dealing.lanes;
        match common.jobs[lane].put_nowait(url) {
            Ok(()) => return Ok(()),
            Err(asyncio::sync::PutError::Full(back)) => url = back,
            Err(_) => return Err(()),
        }
    }
    let lane = *turn;
    *turn = (*turn + 1) % dealing.lanes;
    common.jobs[lane].put(url).await.map_err(drop)
}

/// `--sitemaps`: the pages the seeds' sitemaps list join the frontier (depth 0, the sitemap
/// as their parent), those in scope.
async fn add_sitemaps(
    hub: &Hub,
    common: &Common,
    session: &ClientSession,
    seeds: &[url::Url],
) -> std::io::Result<()> {
    let Some(bounds) = &common.bounds else {
        return Ok(());
    };
    if hub.frontier.is_none() && hub.shared.is_none() {
        return Ok(());
    }
    let mut origins: Vec<url::Url> = Vec::new();
    let mut seen = HashSet::new();
    for s in seeds {
        if seen.insert(s.origin().ascii_serialization()) {
            origins.push(s.clone());
        }
    }
    let mut from_robots = Vec::new();
    if let Some(robots) = &common.robots {
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
    if let Some(job) = &hub.shared {
        job.add(jobs)
            .await
            .map_err(|e| std::io::Error::other(format!("the shared job's Redis: {e}")))?;
    } else if let Some(frontier) = &hub.frontier {
        let mut f = frontier.borrow_mut();
        for j in jobs {
            f.add(j)?;
        }
    }
    Ok(())
}

/// Crawl mode's producer: deals the frontier's jobs until it is empty with no page in
/// flight (a page in flight may still add links), `max_pages` were dealt, or the run stops.
async fn crawl(hub: &Hub, common: &Common, dealing: Dealing, max_pages: Option<u64>) {
    let Some(frontier) = &hub.frontier else {
        return;
    };
    let mut turn = 0usize;
    let mut dealt = 0u64;
    while !hub.stop.is_set() && max_pages.is_none_or(|m| dealt < m) {
        hub.recorded.clear();
        let next = frontier.borrow_mut().pop();
        match next {
            Ok(Some(job)) => {
                hub.outstanding.set(hub.outstanding.get() + 1);
                dealt += 1;
                if deal(common, dealing, &mut turn, job).await.is_err() {
                    break;
                }
            }
            Ok(None) if hub.outstanding.get() == 0 => break,
            Ok(None) => {
                let _ = race(hub.recorded.wait(), hub.stop.wait()).await;
            }
            Err(e) => {
                hub.end(
                    Ending::OutputFailed(format!("cannot read the frontier back: {e}")),
                    common,
                );
                break;
            }
        }
    }
}

/// One lane, on its own loop: `workers` tasks fetch from the lane's queue until it is shut
/// down and empty, and send every record to loop 0's writer.
async fn run_lane(common: Arc<Common>, args: Args, index: usize, workers: usize, per_host: usize) {
    let session = match session(&args, workers, per_host) {
        Ok(s) => s,
        // Checked on loop 0 before the lanes started: the same settings cannot fail here.
        Err(e) => panic!("lane {index}: {e}"),
    };
    let politeness = match &common.shared {
        Some((address, name)) => Some(Politeness::open(address, name, index).await),
        None => None,
    };
    let lane = Rc::new(Lane {
        slots: RefCell::new(HashMap::new()),
        per_host,
        saver: args.save.clone().map(Saver::new),
        politeness,
    });
    let args = Rc::new(args);
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (common, lane, session, args) =
                (common.clone(), lane.clone(), session.clone(), args.clone());
            asyncio::spawn(async move {
                let jobs = &common.jobs[index];
                while let Ok(job) = jobs.get().await {
                    common.in_flight.fetch_add(1, Ordering::Relaxed);
                    let record = fetch(&session, &args, &lane, &common, job).await;
                    common.in_flight.fetch_sub(1, Ordering::Relaxed);
                    if common.results.put_nowait(record).is_err() {
                        break; // the writer is gone
                    }
                }
            })
        })
        .collect();
    // Dropping this future (the lane cancelled) cancels the workers with it.
    struct CancelOnDrop(Vec<asyncio::task::Task>);
    impl Drop for CancelOnDrop {
        fn drop(&mut self) {
            for t in &self.0 {
                t.cancel();
            }
        }
    }
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

/// `--export`: every line the shared job recorded, to the output.
async fn export(job: &SharedJob, name: &str, args: &Args) -> std::io::Result<Outcome> {
    let mut output = Output::open(args.output.as_deref(), false)?;
    let exported = job
        .export(|line| output.write_line(line, || Ok(())))
        .await
        .and_then(|n| output.finish().map(|()| n).map_err(|e| e.to_string()));
    Ok(match exported {
        Ok(n) => Outcome {
            summary: format!("job {name}: {n} results exported\n"),
            ending: Ending::Done,
            problems: Vec::new(),
        },
        Err(e) => Outcome {
            summary: String::new(),
            ending: Ending::OutputFailed(e),
            problems: Vec::new(),
        },
    })
}

/// Records `records` in the shared job (with the links to follow from them) in one call, and
/// writes the lines of those that are their URL's first result. Returns each with whether it
/// was.
async fn record_shared(
    hub: &Hub,
    common: &Common,
    job: &SharedJob,
    records: Vec<Record>,
) -> Vec<(Record, std::io::Result<bool>)> {
    if records.is_empty() {
        return Vec::new();
    }
    // The WARC records they depend on are durable before the results are.
    if let Err(e) = hub.flush_dependencies() {
        let why = e.to_string();
        return records
            .into_iter()
            .map(|r| (r, Err(std::io::Error::new(e.kind(), why.clone()))))
            .collect();
    }
    let mut records = records;
    let mut results = Vec::with_capacity(records.len());
    for r in &mut records {
        let Some(lease) = r.lease.take() else {
            unreachable!("every job of a shared job has its lease");
        };
        let links = follow_jobs(common, r);
        results.push(crate::shared::Finished {
            lease,
            line: r.to_json(),
            failed: r.error.is_some(),
            links,
        });
    }
    let firsts = match job.complete(&results).await {
        Ok(f) => f,
        Err(e) => {
            let why = format!("the shared job's Redis: {e}");
            return records
                .into_iter()
                .map(|r| (r, Err(std::io::Error::other(why.clone()))))
                .collect();
        }
    };
    let mut out = Vec::with_capacity(records.len());
    for ((r, done), first) in records.into_iter().zip(&results).zip(firsts) {
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

/// The jobs of a page's links to follow (those within `--depth`).
fn follow_jobs(common: &Common, record: &mut Record) -> Vec<Job> {
    let Some(crawl) = &record.crawl else {
        return Vec::new();
    };
    let depth = crawl.depth + 1;
    let within = common
        .bounds
        .as_ref()
        .and_then(|b| b.max_depth)
        .is_none_or(|max| depth <= max);
    if !within || record.follow.is_empty() {
        return Vec::new();
    }
    let parent: Arc<str> = Arc::from(record.url.as_str());
    record
        .follow
        .drain(..)
        .map(|url| Job {
            url,
            depth,
            parent: Some(parent.clone()),
            lease: None,
        })
        .collect()
}

/// A shared job in list mode: the input's URLs join its frontier (those it has not seen).
async fn add_input(
    hub: &Hub,
    job: &SharedJob,
    input: &mut Input,
    input_failed: &RefCell<Option<String>>,
) {
    let mut batch = Vec::new();
    loop {
        let next = input.next().await;
        let end = !matches!(next, Ok(Some(_)));
        match next {
            Ok(Some((n, line))) => match parse_line(&line) {
                None => {}
                Some(Err(reason)) => {
                    eprintln!("line {n}: {reason}; skipped");
                    hub.summary.borrow_mut().invalid_lines += 1;
                }
                Some(Ok(url)) => batch.push(Job::seed(url)),
            },
            Ok(None) => {}
            Err(e) => *input_failed.borrow_mut() = Some(format!("reading the input failed: {e}")),
        }
        if batch.len() >= 1000 || (end && !batch.is_empty()) {
            if let Err(e) = job.add(batch.drain(..)).await {
                *input_failed.borrow_mut() = Some(format!("the shared job's Redis: {e}"));
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
async fn crawl_shared(
    hub: &Hub,
    common: &Common,
    job: &SharedJob,
    dealing: Dealing,
    max_pages: Option<u64>,
) {
    // Leases in hand wait in the lanes' queues: a batch at a time keeps them few.
    let batch = common
        .jobs
        .iter()
        .map(|q| q.maxsize())
        .sum::<usize>()
        .clamp(1, 256);
    let mut turn = 0usize;
    while !hub.stop.is_set() {
        hub.recorded.clear();
        let claimed = match job.claim(batch, max_pages).await {
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
            if deal(common, dealing, &mut turn, j).await.is_err() {
                return;
            }
        }
    }
}

/// Whether `a` finished first (`b` is dropped then, and `a` is left as it is otherwise).
async fn race(a: impl Future, b: impl Future) -> bool {
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

fn session(args: &Args, concurrency: usize, per_host: usize) -> std::io::Result<ClientSession> {
    let mut config = SessionConfig {
        timeout: ClientTimeout {
            total: Some(args.timeout()),
            sock_connect: Some(args.connect_timeout()),
            ..ClientTimeout::none()
        },
        ..SessionConfig::default()
    };
    // Requests wait for their host's slot in `fetch`, before their clock starts; the session's
    // own per-host limit only paces redirects that leave the host.
    config.connector.limit = concurrency.max(1);
    // A crawl queues a redirect's target as a link; `--warc` records every hop itself.
    config.follow_redirects = !(args.crawl || args.warc.is_some());
    if args.warc.is_some() {
        // The archive keeps bodies as received (content encoding untouched).
        config.auto_decompress = false;
        config.headers.insert(
            asyncio_http::header::ACCEPT_ENCODING,
            asyncio_http::HeaderValue::from_static("gzip, deflate, br, zstd"),
        );
    }
    config.connector.limit_per_host = per_host.max(1);
    config.headers.insert(
        "user-agent",
        args.user_agent
            .parse()
            .map_err(|_| std::io::Error::other("invalid --user-agent"))?,
    );
    for h in &args.headers {
        let (k, v) = h.split_once(':').ok_or_else(|| {
            std::io::Error::other(format!("invalid header {h:?}: expected Name: value"))
        })?;
        let name = asyncio_http::HeaderName::try_from(k.trim())
            .map_err(|_| std::io::Error::other(format!("invalid header name {k:?}")))?;
        let value = v
            .trim()
            .parse()
            .map_err(|_| std::io::Error::other(format!("invalid header value in {h:?}")))?;
        config.headers.insert(name, value);
    }
    if args.insecure {
        config.connector.tls = Some(
            asyncio::tls::TlsConnector::builder()
                .danger_accept_invalid_certs()
                .alpn(["h2", "http/1.1"])
                .build()?,
        );
    }
    Ok(ClientSession::with_config(config))
}

/// The retry rules of `--retries`: asyncio-http's policy, retrying timeouts too (a fetch
/// tool's timeouts are usually a slow server, worth another try).
fn retry_policy(args: &Args) -> RetryPolicy {
    RetryPolicy {
        max_retries: args.retries,
        base: Duration::from_millis(200),
        max_delay: Duration::from_secs(60),
        retry_timeouts: true,
    }
}

/// A record that says the shared job's Redis failed: the writer stops the run on it and
/// records nothing (the URL's lease runs out and it is fetched again).
fn redis_failed(mut record: Record, why: String) -> Record {
    record.error = Some(("redis".to_owned(), why));
    record
}

/// Waits for the host's next turn: requests to a host are at least the larger of `--rate`'s
/// gap and its robots.txt `Crawl-delay` apart (the clock is shared by all lanes, and with
/// `--redis` by all workers).
async fn pace(
    args: &Args,
    common: &Common,
    shared: Option<&Politeness>,
    host: &str,
    crawl_delay: Option<Duration>,
) -> Result<(), String> {
    let rate_gap = (args.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / args.rate));
    let gap = match (rate_gap, crawl_delay) {
        (None, None) => return Ok(()),
        (a, b) => a.unwrap_or_default().max(b.unwrap_or_default()),
    };
    if let Some(p) = shared {
        return p.pace(host, gap).await;
    }
    let at = {
        let mut next_at = common.next_at.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let next = next_at.get(host).copied().unwrap_or(now).max(now);
        next_at.insert(host.to_owned(), next + gap);
        next
    };
    asyncio::time::sleep(at.saturating_duration_since(Instant::now())).await;
    Ok(())
}

/// Whether a failed connect ran out of descriptors (ours, or the system's): then the request
/// waits and tries again, as it would for a free slot; it is never the URL's result.
fn out_of_descriptors(e: &Error) -> bool {
    match e {
        Error::Connect { source, .. } => matches!(
            asyncio::io::os_error(source),
            Some(libc::EMFILE | libc::ENFILE)
        ),
        _ => false,
    }
}

/// What one attempt brought back.
struct Got {
    status: u16,
    /// Where the redirects ended, credentials redacted.
    final_url: String,
    bytes: u64,
    content_type: Option<String>,
    /// The response's `Retry-After`, for the retry policy.
    retry_headers: asyncio_http::HeaderMap,
    saved: Option<Result<String, String>>,
    truncated: bool,
    /// Crawl mode: the links of an HTML page (or a redirect's target).
    links: Option<crate::links::Found>,
    /// `--warc`: every hop's records.
    warc: Vec<u8>,
}

async fn fetch(
    session: &ClientSession,
    args: &Args,
    lane: &Lane,
    common: &Common,
    job: Job,
) -> Record {
    let Job {
        url,
        depth,
        parent,
        lease,
    } = job;
    let host = url.host_str().unwrap_or("").to_owned();
    let started = Instant::now();
    let mut record = Record {
        url: redact(&url),
        final_url: None,
        status: None,
        bytes: 0,
        elapsed_ms: 0.0,
        attempts: 0,
        content_type: None,
        error: None,
        host,
        saved_as: None,
        truncated: false,
        crawl: common.bounds.as_ref().map(|_| CrawlInfo {
            depth,
            parent,
            links: None,
        }),
        follow: Vec::new(),
        warc: Vec::new(),
        lease,
    };
    let crawl_delay = match &common.robots {
        None => None,
        Some(robots) => match robots.check(session, &url).await {
            Verdict::Allowed { delay } => delay,
            Verdict::Refused(why) => {
                record.error = Some(("robots".to_owned(), why));
                record.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                return record;
            }
        },
    };
    let method = if args.method.eq_ignore_ascii_case("HEAD") {
        Method::HEAD
    } else {
        Method::GET
    };
    let policy = retry_policy(args);
    let shared = match &lane.politeness {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => return redis_failed(record, e.clone()),
    };
    let slot = lane.slot(&record.host);
    // How long a host slot held in Redis outlives a worker that died holding it.
    let hold = args.timeout() + Duration::from_secs(10);
    let mut attempts = 0;
    let mut fd_backoff = Duration::from_millis(10);
    let result = loop {
        attempts += 1;
        if let Err(e) = pace(args, common, shared, &record.host, crawl_delay).await {
            return redis_failed(record, e);
        }
        // The timeout runs inside `once`: from when the slot is held.
        let r = {
            // With a shared job, the lane's own slots queue its requests in order, and those
            // holding one ask Redis for one of the job's.
            let _slot = slot.acquire().await;
            match shared {
                Some(p) => match p.slot(&record.host, args.per_host(), hold).await {
                    Ok(_shared_slot) => once(session, args, lane, common, &method, &url).await,
                    Err(e) => return redis_failed(record, e),
                },
                None => once(session, args, lane, common, &method, &url).await,
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
        let Some(backoff) = policy.next_delay(attempts, outcome, seed) else {
            break r;
        };
        // A retried attempt's exchange is archived too: it happened.
        if let Ok(got) = &r {
            record.warc.extend_from_slice(&got.warc);
        }
        asyncio::time::sleep(backoff).await;
    };
    record.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    record.attempts = attempts;
    match result {
        Ok(got) => {
            record.final_url = Some(got.final_url);
            record.status = Some(got.status);
            record.bytes = got.bytes;
            record.content_type = got.content_type;
            record.truncated = got.truncated;
            record.warc.extend_from_slice(&got.warc);
            match got.saved {
                Some(Ok(name)) => record.saved_as = Some(name),
                Some(Err(e)) => record.error = Some(("save".to_owned(), e)),
                None => {}
            }
            if let (Some(found), Some(info), Some(bounds)) =
                (got.links, record.crawl.as_mut(), common.bounds.as_ref())
            {
                info.links = Some(found.count);
                record.follow = found
                    .follow
                    .into_iter()
                    .filter(|u| bounds.contains(u))
                    .collect();
            }
        }
        Err(e) => record.error = Some((e.kind().to_owned(), e.detail())),
    }
    record
}

/// Whether a response is HTML worth parsing for links.
fn is_html(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|t| {
        let t = t.trim_start().to_ascii_lowercase();
        t.starts_with("text/html") || t.starts_with("application/xhtml+xml")
    })
}

/// The most redirects `--warc` follows in list mode (the session's own limit otherwise).
const MAX_HOPS: usize = 10;

async fn once(
    session: &ClientSession,
    args: &Args,
    lane: &Lane,
    common: &Common,
    method: &Method,
    url: &url::Url,
) -> Result<Got, Error> {
    let mut url = url.clone();
    let mut warc = Vec::new();
    let mut hops = 0;
    loop {
        let mut resp = session.request(method.clone(), &url).send().await?;
        let status = resp.status().as_u16();
        let final_url = redact(resp.url());
        let content_type = resp.content_type().map(str::to_owned);
        let mut retry_headers = asyncio_http::HeaderMap::new();
        if let Some(v) = resp.headers().get(asyncio_http::header::RETRY_AFTER) {
            retry_headers.insert(asyncio_http::header::RETRY_AFTER, v.clone());
        }
        let location = resp
            .headers()
            .get(asyncio_http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| resp.url().join(l).ok());
        let response_head = common.payloads.as_ref().map(|_| response_head(&resp));
        let encoding = resp
            .headers()
            .get(asyncio_http::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let peer = resp.remote_addr();
        // The body, up to `--max-bytes`: a longer one is cut there (the status stands).
        let limit = args.max_bytes.unwrap_or(u64::MAX);
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = resp.chunk().await? {
            let room = limit.saturating_sub(body.len() as u64);
            if chunk.len() as u64 > room {
                body.extend_from_slice(&chunk[..room as usize]);
                truncated = true;
                break; // dropping the response closes the connection
            }
            body.extend_from_slice(&chunk);
        }
        drop(resp);
        if let (Some(payloads), Some(head)) = (&common.payloads, response_head) {
            let exchange = crate::warc::Exchange {
                url: url.as_str(),
                ip: peer.map(|p| p.ip()),
                request: request_head(args, method, &url),
                response_head: head,
                body: &body,
            };
            warc.extend(crate::warc::records(&exchange, payloads));
        }
        let redirect = matches!(status, 301 | 302 | 303 | 307 | 308) && location.is_some();
        if redirect && common.bounds.is_none() && hops < MAX_HOPS {
            // `--warc` in list mode: every hop is its own exchange in the archive.
            hops += 1;
            url = location.expect("checked above");
            continue;
        }
        let links = if common.bounds.is_none() {
            None
        } else if redirect {
            // A crawl queues a redirect's target like a link.
            let target = crate::links::normalise(location.expect("checked above"));
            Some(crate::links::Found {
                count: 1,
                follow: vec![target],
            })
        } else if is_html(content_type.as_deref()) && (200..300).contains(&status) {
            let plain = if args.warc.is_some() {
                asyncio_http::client::decompress(encoding.as_deref(), &body, 64 << 20)
                    .unwrap_or_default()
            } else {
                std::mem::take(&mut body)
            };
            let found = crate::links::extract(&url, &plain);
            if args.warc.is_none() {
                body = plain;
            }
            Some(found)
        } else {
            None
        };
        let saved = match &lane.saver {
            Some(saver) => Some(saver.save(&url, &body).await),
            None => None,
        };
        return Ok(Got {
            status,
            final_url,
            bytes: body.len() as u64,
            content_type,
            retry_headers,
            saved,
            truncated,
            links,
            warc,
        });
    }
}

/// The request as the client sent it, for the archive: the request line, `Host`, and the
/// session's headers.
fn request_head(args: &Args, method: &Method, url: &url::Url) -> String {
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_owned(),
    };
    let mut s = format!(
        "{method} {target} HTTP/1.1\r\nhost: {host}\r\nuser-agent: {}\r\naccept-encoding: gzip, deflate, br, zstd\r\n",
        args.user_agent
    );
    for h in &args.headers {
        if let Some((k, v)) = h.split_once(':') {
            s.push_str(&format!(
                "{}: {}\r\n",
                k.trim().to_ascii_lowercase(),
                v.trim()
            ));
        }
    }
    s.push_str("\r\n");
    s
}

/// The status line and headers as received (see [`crate::warc`] on transfer framing).
fn response_head(resp: &asyncio_http::Response) -> String {
    let version = match resp.version() {
        asyncio_http::Version::HTTP_10 => "HTTP/1.0",
        asyncio_http::Version::HTTP_2 => "HTTP/2",
        _ => "HTTP/1.1",
    };
    let mut s = format!("{version} {} {}\r\n", resp.status().as_u16(), resp.reason());
    for (name, value) in resp.headers() {
        let name = if name == asyncio_http::header::TRANSFER_ENCODING {
            "x-crawler-transfer-encoding"
        } else {
            name.as_str()
        };
        s.push_str(name);
        s.push_str(": ");
        s.push_str(&String::from_utf8_lossy(value.as_bytes()));
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s
}
