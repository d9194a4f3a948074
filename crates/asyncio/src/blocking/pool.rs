//! The shared pool of threads for blocking calls: threads start on demand, up to a limit, and
//! exit after a while without work.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

type Job = Box<dyn FnOnce() + Send>;

/// At most this many threads run blocking calls at once; more calls wait their turn.
const MAX_THREADS: usize = 128;
/// A thread with nothing to do for this long exits.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

struct State {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
}

pub(crate) struct Pool {
    state: Mutex<State>,
    work: Condvar,
}

impl Pool {
    /// The process-wide default pool.
    pub(crate) fn global() -> &'static Pool {
        static POOL: OnceLock<Pool> = OnceLock::new();
        POOL.get_or_init(|| Pool {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                threads: 0,
                idle: 0,
            }),
            work: Condvar::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `job`, starting a thread when none is idle and the limit allows.
    pub(crate) fn submit(&'static self, job: Job) {
        let mut s = self.lock();
        s.jobs.push_back(job);
        if s.idle > 0 {
            s.idle -= 1;
            drop(s);
            self.work.notify_one();
            return;
        }
        if s.threads < MAX_THREADS {
            s.threads += 1;
            let n = s.threads;
            drop(s);
            let started = std::thread::Builder::new()
                .name(format!("asyncio-blocking-{n}"))
                .spawn(move || self.worker());
            if started.is_err() {
                // The job stays queued for a running thread; with none, it waits for the next
                // submission to try again.
                self.lock().threads -= 1;
            }
        }
    }

    fn worker(&'static self) {
        let mut s = self.lock();
        loop {
            if let Some(job) = s.jobs.pop_front() {
                drop(s);
                job();
                s = self.lock();
                continue;
            }
            s.idle += 1;
            let (guard, timeout) = self
                .work
                .wait_timeout(s, KEEP_ALIVE)
                .unwrap_or_else(|e| e.into_inner());
            s = guard;
            if timeout.timed_out() && s.jobs.is_empty() {
                // Nobody claimed this thread (a claim decrements `idle` for us).
                s.idle -= 1;
                s.threads -= 1;
                return;
            }
            if timeout.timed_out() {
                s.idle -= 1;
            }
        }
    }
}
