//! The run's state: what loop 0 keeps ([`Hub`]: the output, the summary, how the run ends)
//! and what every loop shares ([`Common`]: the lanes' queues, the results on their way back).

use std::cell::{Cell, RefCell};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use asyncio::sync::{Event, ThreadSafeQueue};

use super::mode::{Mode, SharedRun};
use super::outcome::Ending;
use crate::bounds::Bounds;
use crate::fetch::Fetched;
use crate::frontier::{Frontier, Job};
use crate::progress::Progress;
use crate::record::Output;
use crate::summary::Summary;

/// What every loop shares.
pub(crate) struct Common {
    /// One queue per lane (loop); a host's URLs go to one lane unless they may be spread.
    pub(crate) jobs: Vec<ThreadSafeQueue<Job>>,
    /// Every lane's results, on their way to loop 0's writer.
    pub(crate) results: ThreadSafeQueue<Fetched>,
    /// Requests in flight, over all lanes (the progress bar).
    pub(crate) in_flight: AtomicU64,
    /// What the fetches need.
    pub(crate) fetch: crate::fetch::Context,
    /// `--redis`: where the shared job is and its name, for the lanes' own connections.
    pub(crate) shared: Option<(crate::redis_conn::Address, String)>,
}

impl Common {
    /// Stops the intake at once: what is still queued stays unfetched (resume fetches it).
    pub(crate) fn stop_intake(&self) {
        for q in &self.jobs {
            q.shutdown(true);
        }
    }

    /// No more jobs will come: the lanes finish what is queued, then end.
    pub(crate) fn close_queues(&self) {
        for q in &self.jobs {
            q.shutdown(false);
        }
    }
}

/// What loop 0 keeps.
pub(crate) struct Hub {
    pub(crate) mode: Mode,
    pub(crate) output: RefCell<Output>,
    pub(crate) summary: RefCell<Summary>,
    pub(crate) progress: Progress,
    pub(crate) ending: RefCell<Ending>,
    /// Set when the intake must stop: a signal or a failed output.
    pub(crate) stop: Event,
    /// `--warc`: where the lanes' records go.
    pub(crate) warc: Option<RefCell<crate::warc::Writer>>,
    /// Crawl mode and shared jobs: jobs dealt whose result has not been recorded yet (their
    /// pages may still add links).
    pub(crate) outstanding: Cell<u64>,
    /// Set by the writer after each result (the crawl's producer waits on it).
    pub(crate) recorded: Event,
}

impl Hub {
    /// Crawl mode's frontier.
    pub(crate) fn frontier(&self) -> Option<&RefCell<Frontier>> {
        self.mode.frontier()
    }

    /// The shared job this worker takes part in.
    pub(crate) fn shared(&self) -> Option<&SharedRun> {
        self.mode.shared()
    }

    /// Takes in what a result brings besides its line: its page's links (into the frontier,
    /// those within depth) and its WARC records.
    pub(crate) fn keep(&self, common: &Common, fetched: &mut Fetched) -> std::io::Result<()> {
        if let Some(frontier) = self.frontier() {
            let mut f = frontier.borrow_mut();
            for job in follow_jobs(common.fetch.bounds.as_ref(), fetched) {
                f.add(job)?;
            }
        }
        if let Some(w) = &self.warc {
            if !fetched.warc.is_empty() {
                w.borrow_mut().write(&fetched.warc)?;
                fetched.warc = Vec::new();
            }
        }
        Ok(())
    }

    /// One dealt job is settled (crawl mode, or a shared job): the producer may look again.
    pub(crate) fn settle(&self) {
        if !matches!(self.mode, Mode::List { .. }) {
            self.outstanding
                .set(self.outstanding.get().saturating_sub(1));
            self.recorded.set();
        }
    }

    /// Makes durable what the buffered lines depend on: the frontier and the WARC records.
    pub(crate) fn flush_dependencies(&self) -> std::io::Result<()> {
        if let Some(f) = self.frontier() {
            f.borrow_mut().flush()?;
        }
        if let Some(w) = &self.warc {
            w.borrow_mut().flush()?;
        }
        Ok(())
    }

    /// A result could not be written: the run ends (quietly if the reader went away).
    pub(crate) fn write_failed(&self, e: &std::io::Error, common: &Common) {
        let why = if e.kind() == std::io::ErrorKind::BrokenPipe {
            Ending::BrokenPipe
        } else {
            Ending::OutputFailed(format!("cannot write a result: {e}"))
        };
        self.end(why, common);
    }

    /// Ends the run early for `why` (the first reason wins) and stops the intake.
    pub(crate) fn end(&self, why: Ending, common: &Common) {
        let mut ending = self.ending.borrow_mut();
        if *ending == Ending::Done {
            *ending = why;
        }
        drop(ending);
        self.stop.set();
        common.stop_intake();
    }

    /// Whether results can still be recorded (the output has not failed).
    pub(crate) fn recording(&self) -> bool {
        matches!(*self.ending.borrow(), Ending::Done | Ending::Interrupted)
    }
}

/// The jobs of a page's links to follow: those within `--depth`, the page as their parent.
pub(crate) fn follow_jobs(bounds: Option<&Bounds>, fetched: &mut Fetched) -> Vec<Job> {
    let Some(crawl) = &fetched.record.crawl else {
        return Vec::new();
    };
    let depth = crawl.depth + 1;
    if !bounds.is_none_or(|b| b.within_depth(depth)) || fetched.follow.is_empty() {
        return Vec::new();
    }
    let parent: Arc<str> = Arc::from(fetched.record.url.as_str());
    fetched
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
