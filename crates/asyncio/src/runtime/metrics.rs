//! A loop's counters: kept in plain cells on the loop's thread (no atomics on the hot path),
//! and published for other threads at the points where the loop checks I/O anyway (before it
//! blocks, and at every 8th periodic check of a busy loop), so at most once per iteration.

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::runtime::sync::Mutex;

/// What the loop counts as it runs (its own thread only).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) polls: Cell<u64>,
    pub(crate) callbacks: Cell<u64>,
    pub(crate) iterations_published: Cell<u64>,
    /// Time spent blocked waiting for I/O or a timer.
    pub(crate) idle: Cell<Duration>,
    /// Time inside `run_forever`/`run_until_complete`, runs before the current one.
    pub(crate) ran: Cell<Duration>,
    /// When the current run began.
    pub(crate) run_start: Cell<Option<Instant>>,
    /// Timer batches fired, and how late the earliest timer of each was.
    pub(crate) timer_batches: Cell<u64>,
    pub(crate) lateness_total: Cell<Duration>,
    pub(crate) lateness_max: Cell<Duration>,
}

impl Counters {
    pub(crate) fn run_started(&self) {
        self.run_start.set(Some(Instant::now()));
    }

    pub(crate) fn run_ended(&self) {
        if let Some(start) = self.run_start.take() {
            self.ran.set(self.ran.get() + start.elapsed());
        }
    }

    /// Time inside runs until `now`, the current one included.
    pub(crate) fn running_at(&self, now: Instant) -> Duration {
        self.ran.get()
            + self
                .run_start
                .get()
                .map_or(Duration::ZERO, |s| now.saturating_duration_since(s))
    }

    pub(crate) fn timers_fired_late_by(&self, late: Duration) {
        self.timer_batches.set(self.timer_batches.get() + 1);
        self.lateness_total.set(self.lateness_total.get() + late);
        if late > self.lateness_max.get() {
            self.lateness_max.set(late);
        }
    }
}

/// One reading of a loop's figures (the public [`LoopMetrics`](crate::event_loop::LoopMetrics)
/// is made from it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) tasks_alive: u64,
    pub(crate) tasks_spawned: u64,
    pub(crate) polls: u64,
    pub(crate) callbacks: u64,
    pub(crate) iterations: u64,
    pub(crate) busy: Duration,
    pub(crate) idle: Duration,
    pub(crate) ready_depth: u64,
    pub(crate) remote_depth: u64,
    pub(crate) timers_armed: u64,
    pub(crate) io_sources: u64,
    pub(crate) blocking_threads: u64,
    pub(crate) blocking_queue: u64,
    pub(crate) timer_batches: u64,
    pub(crate) lateness_total: Duration,
    pub(crate) lateness_max: Duration,
    /// When it was taken.
    pub(crate) at: Option<Instant>,
}

/// The last snapshot a loop published, for other threads.
#[derive(Debug, Default)]
pub(crate) struct Published(Mutex<Snapshot>);

impl Published {
    pub(crate) fn store(&self, s: Snapshot) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = s;
    }

    pub(crate) fn load(&self) -> Snapshot {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
