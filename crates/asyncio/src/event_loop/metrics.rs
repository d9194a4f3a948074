//! [`LoopMetrics`]: one loop's figures (tokio's `RuntimeMetrics`, per loop).

use std::time::{Duration, Instant};

use crate::runtime::metrics::Snapshot;

/// One loop's figures, read with [`EventLoop::metrics`](super::EventLoop::metrics) on its
/// thread (exact, now) or [`RemoteHandle::metrics`](super::RemoteHandle::metrics) from any
/// thread (as the loop last published them: before it last blocked, or, while it stays busy,
/// at every 8th of its periodic I/O checks — a few hundred iterations at most — and when a run
/// ended; the remote queue's depth is read at the call).
///
/// The loop counts in plain cells on its own thread; no atomic operation is added to spawning,
/// polling or waking.
///
/// ```
/// asyncio::run(async {
///     let lp = asyncio::get_running_loop();
///     let before = lp.metrics();
///     asyncio::spawn(async {}).await.unwrap();
///     let after = lp.metrics();
///     assert_eq!(after.tasks_spawned, before.tasks_spawned + 1);
///     assert!(after.polls > before.polls);
/// });
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoopMetrics {
    /// Tasks spawned and not yet ended.
    pub tasks_alive: u64,
    /// Tasks spawned since the loop was made.
    pub tasks_spawned: u64,
    /// Task polls run.
    pub polls: u64,
    /// Callbacks run (`call_soon`, timer and I/O callbacks, raw callbacks).
    pub callbacks: u64,
    /// Loop iterations.
    pub iterations: u64,
    /// Time running (inside `run_forever`/`run_until_complete`) and not waiting.
    pub busy: Duration,
    /// Time blocked waiting for I/O, a timer or another thread.
    pub idle: Duration,
    /// Entries in the ready queue (tasks and callbacks to run).
    pub ready_depth: u64,
    /// Entries other threads queued that the loop has not taken yet.
    pub remote_depth: u64,
    /// Timers armed (sleeps, timeouts, `call_later`).
    pub timers_armed: u64,
    /// Descriptors registered with the reactor.
    pub io_sources: u64,
    /// Threads of the loop's default executor (the blocking pool), 0 before it starts.
    pub blocking_threads: u64,
    /// Jobs waiting for a thread of the default executor.
    pub blocking_queue: u64,
    /// Batches of timers fired (timers due together fire together).
    pub timer_batches: u64,
    /// How late the earliest timer of each batch fired, in total (to the wheel's 1 ms tick
    /// for timers more than a tick away): the loop's lateness.
    pub timer_lateness_total: Duration,
    /// The latest a batch fired.
    pub timer_lateness_max: Duration,
    /// When these figures were taken (`None`: the loop has published none yet).
    pub taken_at: Option<Instant>,
}

impl LoopMetrics {
    /// The mean lateness of a timer batch.
    pub fn timer_lateness_mean(&self) -> Duration {
        match self.timer_batches {
            0 => Duration::ZERO,
            n => self.timer_lateness_total / u32::try_from(n).unwrap_or(u32::MAX),
        }
    }
}

impl From<Snapshot> for LoopMetrics {
    fn from(s: Snapshot) -> Self {
        Self {
            tasks_alive: s.tasks_alive,
            tasks_spawned: s.tasks_spawned,
            polls: s.polls,
            callbacks: s.callbacks,
            iterations: s.iterations,
            busy: s.busy,
            idle: s.idle,
            ready_depth: s.ready_depth,
            remote_depth: s.remote_depth,
            timers_armed: s.timers_armed,
            io_sources: s.io_sources,
            blocking_threads: s.blocking_threads,
            blocking_queue: s.blocking_queue,
            timer_batches: s.timer_batches,
            timer_lateness_total: s.lateness_total,
            timer_lateness_max: s.lateness_max,
            taken_at: s.at,
        }
    }
}
