//! The loop's figures: read on its thread, or published for other threads.

use std::time::Instant;

use super::super::metrics::Snapshot;
use super::Core;

/// A busy loop publishes its metrics at every this many periodic I/O checks (a loop that
/// blocks publishes before each wait): often enough for a reader, rare enough to cost nothing
/// measurable (a few hundred nanoseconds every 8 × 61 iterations by default).
pub(super) const BUSY_PUBLISH_EVERY: u64 = 8;

impl Core {
    /// The loop's figures now (its own thread).
    pub(crate) fn metrics(&self) -> Snapshot {
        Snapshot {
            remote_depth: self.shared().remote_len() as u64,
            ..self.own_figures()
        }
    }

    /// The figures the loop keeps itself: all but the remote queue's depth, which a reader
    /// on another thread takes from the queue (so publishing locks nothing but the copy).
    fn own_figures(&self) -> Snapshot {
        let c = &self.counters;
        let now = Instant::now();
        let running = c.running_at(now);
        let idle = c.idle.get();
        let pool = self.default_executor.borrow();
        Snapshot {
            tasks_alive: self.tasks.len() as u64,
            tasks_spawned: self.next_task_id.get() - 1,
            polls: c.polls.get(),
            callbacks: c.callbacks.get(),
            iterations: self.iteration.get(),
            busy: running.saturating_sub(idle),
            idle,
            ready_depth: self.ready.borrow().len() as u64,
            remote_depth: 0,
            timers_armed: self.timers.borrow().len() as u64,
            io_sources: self.io_source_count() as u64,
            blocking_threads: pool.as_ref().map_or(0, |p| p.thread_count() as u64),
            blocking_queue: pool.as_ref().map_or(0, |p| p.queued() as u64),
            timer_batches: c.timer_batches.get(),
            lateness_total: c.lateness_total.get(),
            lateness_max: c.lateness_max.get(),
            at: Some(now),
        }
    }

    /// Publishes the figures for other threads (at most once per iteration: before the loop
    /// blocks, and at every 8th periodic I/O check of a busy loop).
    pub(super) fn publish_metrics(&self) {
        let c = &self.counters;
        if c.iterations_published.get() == self.iteration.get() && self.running.get() {
            return;
        }
        c.iterations_published.set(self.iteration.get());
        self.shared().metrics.store(self.own_figures());
    }
}
