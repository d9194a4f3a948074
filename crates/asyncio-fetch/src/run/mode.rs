//! What kind of run this is, decided once at the start: a list of URLs, a crawl, or a job
//! shared with other workers through Redis.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use super::intake::Intake;
use crate::args::Args;
use crate::bounds::Bounds;
use crate::frontier::{fingerprint, Fingerprints, Frontier, Job};
use crate::redis_conn::Address;
use crate::shared::SharedJob;

/// The kind of run.
pub(crate) enum Mode {
    /// The input's URLs, each fetched once.
    List {
        /// `--resume`: the URLs an earlier run already has lines for.
        done: HashSet<String>,
    },
    /// The seeds' links followed, through a frontier kept on disk beside the output.
    Crawl {
        frontier: RefCell<Frontier>,
        /// `--max-pages`, less the pages earlier runs fetched.
        max_pages: Option<u64>,
    },
    /// A job shared with other workers (`--redis`, `--job`), listing or crawling.
    Shared(SharedRun),
}

impl Mode {
    /// Crawl mode's frontier.
    pub(crate) fn frontier(&self) -> Option<&RefCell<Frontier>> {
        match self {
            Mode::Crawl { frontier, .. } => Some(frontier),
            _ => None,
        }
    }

    /// The shared job this worker takes part in.
    pub(crate) fn shared(&self) -> Option<&SharedRun> {
        match self {
            Mode::Shared(run) => Some(run),
            _ => None,
        }
    }
}

/// A shared job, as this worker takes part in it.
pub(crate) struct SharedRun {
    pub(crate) job: Rc<SharedJob>,
    pub(crate) name: String,
    /// Where the job lives, for the lanes' own connections.
    pub(crate) address: Address,
    /// `--crawl`: the job follows links (its frontier grows).
    pub(crate) crawl: bool,
    pub(crate) max_pages: Option<u64>,
}

impl SharedRun {
    /// Opens the job named by `--redis` and `--job`, if they are given.
    ///
    /// # Errors
    /// A bad Redis URL, or the job cannot be opened.
    pub(crate) async fn open(args: &Args) -> std::io::Result<Option<Self>> {
        let (Some(url), Some(name)) = (&args.redis, &args.job) else {
            return Ok(None);
        };
        let address = Address::parse(url).map_err(std::io::Error::other)?;
        let job = SharedJob::open(&address, name, args.lease())
            .await
            .map_err(std::io::Error::other)?;
        Ok(Some(Self {
            job: Rc::new(job),
            name: name.clone(),
            address,
            crawl: args.crawl,
            max_pages: args.max_pages,
        }))
    }
}

/// The run's mode and limits, read before anything is fetched.
pub(crate) struct Plan {
    pub(crate) mode: Mode,
    /// Crawl mode: this worker's seeds (its sitemaps start from them).
    pub(crate) seeds: Vec<url::Url>,
    /// Crawl mode: the limits of what is followed, drawn around the seeds (a shared job's:
    /// every worker's).
    pub(crate) bounds: Option<Bounds>,
}

impl Plan {
    /// Decides the mode. A crawl reads its seeds from `intake` first (the scope is theirs);
    /// `--resume` reads what the output already has.
    ///
    /// # Errors
    /// The output or the frontier cannot be read, or the shared job's Redis fails.
    pub(crate) async fn open(
        args: &Args,
        intake: &mut Intake,
        shared: Option<SharedRun>,
    ) -> std::io::Result<Self> {
        let done = match (&args.output, args.resume) {
            (Some(p), true) => crate::record::done_urls(p)?,
            _ => HashSet::new(),
        };
        let mut seeds = Vec::new();
        if args.crawl {
            while let Some(url) = intake.next_url().await {
                seeds.push(crate::links::normalise(url));
            }
        }
        let (mode, scope_seeds) = match shared {
            // A shared job's scope is every worker's seeds; they join its frontier like any
            // URL.
            Some(run) if args.crawl => {
                let all = run.job.seeds(&seeds).await.map_err(std::io::Error::other)?;
                run.job
                    .add(seeds.iter().cloned().map(Job::seed))
                    .await
                    .map_err(std::io::Error::other)?;
                (Mode::Shared(run), all)
            }
            Some(run) => (Mode::Shared(run), Vec::new()),
            None if args.crawl => {
                let path = args.output.as_deref().map(Frontier::path_for);
                let fetched: Fingerprints = done.iter().map(|u| fingerprint(u)).collect();
                let mut frontier = Frontier::open(path, args.resume, fetched)?;
                for s in &seeds {
                    frontier.add(Job::seed(s.clone()))?;
                }
                let already = done.len() as u64;
                let mode = Mode::Crawl {
                    frontier: RefCell::new(frontier),
                    max_pages: args.max_pages.map(|m| m.saturating_sub(already)),
                };
                (mode, seeds.clone())
            }
            None => (Mode::List { done }, Vec::new()),
        };
        Ok(Self {
            mode,
            seeds,
            bounds: args
                .crawl
                .then(|| Bounds::new(args.scope, &scope_seeds, args.depth)),
        })
    }
}
