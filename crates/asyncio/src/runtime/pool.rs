//! [`ThreadPool`]: threads for blocking calls, started on demand up to a limit, exiting after a
//! while without work.
//!
//! Submission takes no lock while the pool is busy: jobs go into a lock-free queue
//! (`crossbeam-queue`'s `SegQueue`) and the submitter only touches the mutex when a parked
//! worker must be woken (tokio's pool takes one mutex per `spawn_blocking`). Idle workers spin
//! briefly before parking, so a steady stream of calls rarely pays for a futex wake-up.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crossbeam_queue::SegQueue;

pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// How many times an idle worker looks at the queue (yielding its core in between) before it
/// parks.
const SPIN_ROUNDS: u32 = 64;

/// Configures a [`ThreadPool`].
///
/// ```
/// use std::time::Duration;
/// let pool = asyncio::blocking::ThreadPool::builder()
///     .max_threads(8)
///     .keep_alive(Duration::from_secs(2))
///     .thread_name("io-worker")
///     .stack_size(256 * 1024)
///     .build();
/// let n = asyncio::run(asyncio::blocking::run_in_executor(Some(&pool), || 6 * 7)).unwrap();
/// assert_eq!(n, 42);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    max_threads: usize,
    keep_alive: Duration,
    name: String,
    stack_size: Option<usize>,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            max_threads: 512,
            keep_alive: Duration::from_secs(10),
            name: "asyncio-blocking".into(),
            stack_size: None,
        }
    }
}

impl Builder {
    /// At most this many threads run at once (default 512, tokio's default; at least 1). More
    /// calls wait their turn in the queue.
    pub fn max_threads(mut self, n: usize) -> Self {
        self.max_threads = n.max(1);
        self
    }

    /// A thread with nothing to do for this long exits (default 10 s).
    pub fn keep_alive(mut self, d: Duration) -> Self {
        self.keep_alive = d;
        self
    }

    /// Thread names: `<name>-<n>` (default `asyncio-blocking`).
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Each thread's stack size in bytes (default: the standard library's).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Builds the pool; no thread starts until the first call.
    pub fn build(self) -> ThreadPool {
        ThreadPool {
            inner: Arc::new(Inner {
                queue: SegQueue::new(),
                threads: AtomicUsize::new(0),
                idle: AtomicUsize::new(0),
                parked: AtomicUsize::new(0),
                busy: AtomicUsize::new(0),
                next_id: AtomicUsize::new(1),
                shutdown: AtomicBool::new(false),
                lock: Mutex::new(()),
                work: Condvar::new(),
                gone: Condvar::new(),
                config: self,
            }),
        }
    }
}

struct Inner {
    queue: SegQueue<Job>,
    /// Live worker threads.
    threads: AtomicUsize,
    /// Workers without a job (spinning or parked): a submitter need not start a thread.
    idle: AtomicUsize,
    /// Workers parked on `work` (changed under `lock`): a submitter must notify.
    parked: AtomicUsize,
    /// Workers running a job.
    busy: AtomicUsize,
    next_id: AtomicUsize,
    shutdown: AtomicBool,
    /// Guards parking only; jobs never go through it.
    lock: Mutex<()>,
    work: Condvar,
    /// Signalled when a worker exits (for `shutdown`).
    gone: Condvar,
    config: Builder,
}

/// A pool of threads for blocking calls (asyncio's default executor, a
/// `concurrent.futures.ThreadPoolExecutor`). Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct ThreadPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadPool")
            .field("threads", &self.thread_count())
            .field("queued", &self.inner.queue.len())
            .field("max_threads", &self.inner.config.max_threads)
            .finish()
    }
}

impl ThreadPool {
    /// A builder.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Live threads.
    pub fn thread_count(&self) -> usize {
        self.inner.threads.load(Ordering::SeqCst)
    }

    /// Jobs waiting for a thread.
    pub fn queued(&self) -> usize {
        self.inner.queue.len()
    }

    /// Queues `job`; returns `false` (dropping it) once the pool is shut down.
    pub(crate) fn submit(&self, job: Job) -> bool {
        let inner = &self.inner;
        if inner.shutdown.load(Ordering::SeqCst) {
            return false;
        }
        inner.queue.push(job);
        if inner.parked.load(Ordering::SeqCst) > 0 {
            let _guard = inner.lock.lock().unwrap_or_else(|e| e.into_inner());
            inner.work.notify_one();
            return true;
        }
        if inner.idle.load(Ordering::SeqCst) > 0 {
            // A spinning worker finds the job on its own.
            return true;
        }
        // Everyone is busy: start a thread if the limit allows.
        let mut n = inner.threads.load(Ordering::SeqCst);
        while n < inner.config.max_threads {
            match inner
                .threads
                .compare_exchange(n, n + 1, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => {
                    self.start_thread();
                    break;
                }
                Err(actual) => n = actual,
            }
        }
        true
    }

    fn start_thread(&self) {
        let inner = self.inner.clone();
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut b = std::thread::Builder::new().name(format!("{}-{id}", inner.config.name));
        if let Some(size) = inner.config.stack_size {
            b = b.stack_size(size);
        }
        if b.spawn(move || worker(&inner)).is_err() {
            // No thread (out of memory or a process limit): queued jobs wait for a running
            // worker or the next submission.
            self.inner.threads.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!("the blocking pool could not start a thread");
        }
    }

    /// Stops taking jobs and waits up to `timeout` for queued and running ones to finish
    /// (asyncio's `shutdown_default_executor`). Returns whether every thread exited in time.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        let inner = &self.inner;
        inner.shutdown.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + timeout;
        let mut guard = inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        inner.work.notify_all();
        while inner.threads.load(Ordering::SeqCst) > 0 {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            guard = inner
                .gone
                .wait_timeout(guard, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            inner.work.notify_all();
        }
        true
    }
}

fn worker(inner: &Inner) {
    loop {
        work_until_idle(inner);
        let _guard = inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        let left = inner.threads.fetch_sub(1, Ordering::SeqCst) - 1;
        inner.gone.notify_all();
        // A job pushed while this thread decided to exit must not be stranded: stay if no
        // other thread can take it.
        let stranded = !inner.queue.is_empty() && !inner.shutdown.load(Ordering::SeqCst);
        if !stranded
            || left >= inner.config.max_threads
            || inner
                .threads
                .compare_exchange(left, left + 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
        {
            return;
        }
    }
}

/// Runs jobs until the pool shuts down or nothing comes for the keep-alive time.
fn work_until_idle(inner: &Inner) {
    loop {
        if let Some(job) = inner.queue.pop() {
            inner.busy.fetch_add(1, Ordering::Relaxed);
            job();
            inner.busy.fetch_sub(1, Ordering::Relaxed);
            continue;
        }
        if inner.shutdown.load(Ordering::SeqCst) {
            break;
        }
        // Spin a little: in a steady stream the next job is usually microseconds away.
        inner.idle.fetch_add(1, Ordering::SeqCst);
        let mut found = false;
        for _ in 0..SPIN_ROUNDS {
            if !inner.queue.is_empty() {
                found = true;
                break;
            }
            std::thread::yield_now();
        }
        if found {
            inner.idle.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        // Park. `parked` is raised under the lock and the queue re-checked after it: a
        // submitter that pushed before seeing `parked == 0` left a job this check sees; one that
        // sees `parked > 0` notifies under the lock, after this thread is waiting.
        let guard = inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        inner.parked.fetch_add(1, Ordering::SeqCst);
        if !inner.queue.is_empty() || inner.shutdown.load(Ordering::SeqCst) {
            inner.parked.fetch_sub(1, Ordering::SeqCst);
            drop(guard);
            inner.idle.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let (guard, timeout) = inner
            .work
            .wait_timeout(guard, inner.config.keep_alive)
            .unwrap_or_else(|e| e.into_inner());
        inner.parked.fetch_sub(1, Ordering::SeqCst);
        inner.idle.fetch_sub(1, Ordering::SeqCst);
        if timeout.timed_out() && inner.queue.is_empty() {
            drop(guard);
            break;
        }
    }
}
