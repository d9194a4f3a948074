//! [`Runtime`] (owned by the thread that built it; loop 0 lives there) and [`RuntimeHandle`]
//! (`Send + Sync`, for every thread and every loop).

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::Duration;

use super::context;
use super::server::GroupInner;
use super::Builder;
use crate::event_loop::{
    cancel_remaining, run_interruptible, EventLoop, ExceptionContext, LoopClosed, RemoteHandle,
    RemoteJoinHandle,
};
use crate::runtime::task::raw::panic_message;

/// A loop's count of live tasks spawned through the runtime, alone on its cache line (loops
/// on different cores update their own counters).
#[repr(align(64))]
#[derive(Default)]
pub(crate) struct Load(pub(crate) AtomicUsize);

/// What every loop and handle of one runtime share.
pub(crate) struct RtShared {
    pub(crate) remotes: Vec<RemoteHandle>,
    pub(crate) loads: Vec<Load>,
    /// Set by `shutdown`: no more spawning through the runtime.
    pub(crate) closed: AtomicBool,
    /// Per worker loop: set by its drain task just before it stops the loop for good.
    pub(crate) drained: Vec<AtomicBool>,
    pub(crate) died: Mutex<Vec<LoopDied>>,
    pub(crate) servers: Mutex<Vec<Weak<GroupInner>>>,
    pub(crate) reuseport: bool,
}

/// A loop's thread ended by a panic that escaped the loop (the loop's own exception handler
/// catches panics in tasks and callbacks; this is what is left: a panic while closing, for
/// example in a destructor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopDied {
    /// The loop's index.
    pub index: usize,
    /// The panic's message.
    pub message: String,
}

impl fmt::Display for LoopDied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "loop {} died: {}", self.index, self.message)
    }
}

/// What [`Runtime::shutdown`] reports when a loop's thread died.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownError {
    /// Every loop that died, in index order.
    pub died: Vec<LoopDied>,
}

impl fmt::Display for ShutdownError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all: Vec<String> = self.died.iter().map(ToString::to_string).collect();
        f.write_str(&all.join("; "))
    }
}

impl std::error::Error for ShutdownError {}

/// A `Runtime` of event loops, one per core: loop 0 runs on the thread that calls
/// [`block_on`](Self::block_on) (as `asyncio.run`'s loop does), loops 1.. on threads of their
/// own, which run until [`shutdown`](Self::shutdown).
///
/// The runtime is not `Send` (loop 0 belongs to the thread that built it); its
/// [`handle`](Self::handle) is, and reaches every loop from anywhere. Dropping the runtime
/// shuts it down with no grace: every task left is cancelled, as at the end of
/// `asyncio.run`.
///
/// See the [module docs](super) for an example.
pub struct Runtime {
    lead: EventLoop,
    handle_sigint: bool,
    handle: RuntimeHandle,
    threads: RefCell<Vec<Option<std::thread::JoinHandle<()>>>>,
}

/// A `Send + Sync + Clone` handle to a [`Runtime`]'s loops: spawning, servers, and a
/// [`RemoteHandle`] per loop.
#[derive(Clone)]
pub struct RuntimeHandle {
    pub(crate) shared: Arc<RtShared>,
}

impl Runtime {
    /// A builder (loops, thread names, pinning, loop settings).
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// A runtime with one loop per available core and default settings.
    ///
    /// # Errors
    /// As [`Builder::build`].
    pub fn new() -> io::Result<Self> {
        Builder::new().build()
    }

    pub(crate) fn from_builder(b: Builder) -> io::Result<Self> {
        let n = b
            .loops
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        // The CPUs this process may use, read before pinning the building thread changes them.
        let cpus = Arc::new(if b.pin_threads {
            crate::sys::allowed_cpus()
        } else {
            Vec::new()
        });
        if b.pin_threads {
            pin(0, &cpus);
        }
        let lead = b.event_loop.clone().build()?;
        let mut remotes = vec![lead.remote()];
        let mut threads = Vec::with_capacity(n - 1);
        let mut starters = Vec::with_capacity(n - 1);
        for index in 1..n {
            let (remote_tx, remote_rx) = mpsc::channel::<io::Result<RemoteHandle>>();
            let (start_tx, start_rx) = mpsc::channel::<Arc<RtShared>>();
            let loop_builder = b.event_loop.clone();
            let pin_threads = b.pin_threads;
            let cpus = cpus.clone();
            let thread = std::thread::Builder::new()
                .name(format!("{}-{index}", b.thread_name))
                .spawn(move || {
                    if pin_threads {
                        pin(index, &cpus);
                    }
                    let lp = match loop_builder.build() {
                        Ok(lp) => lp,
                        Err(e) => {
                            let _ = remote_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = remote_tx.send(Ok(lp.remote()));
                    // The runtime is built once every loop exists; without it, the build failed.
                    if let Ok(shared) = start_rx.recv() {
                        worker(lp, shared, index);
                    }
                })?;
            let remote = remote_rx
                .recv()
                .map_err(|_| io::Error::other("a loop thread ended while starting"))??;
            remotes.push(remote);
            threads.push(Some(thread));
            starters.push(start_tx);
        }
        let shared = Arc::new(RtShared {
            loads: (0..n).map(|_| Load::default()).collect(),
            drained: (0..n).map(|_| AtomicBool::new(false)).collect(),
            remotes,
            closed: AtomicBool::new(false),
            died: Mutex::new(Vec::new()),
            servers: Mutex::new(Vec::new()),
            reuseport: b.reuseport,
        });
        for start in starters {
            let _ = start.send(shared.clone());
        }
        Ok(Self {
            lead,
            handle_sigint: b.handle_sigint,
            handle: RuntimeHandle { shared },
            threads: RefCell::new(threads),
        })
    }

    /// How many loops the runtime has.
    pub fn loops(&self) -> usize {
        self.handle.loops()
    }

    /// A `Send` handle to the runtime.
    pub fn handle(&self) -> RuntimeHandle {
        self.handle.clone()
    }

    /// Loop 0 (the one [`block_on`](Self::block_on) runs), for its exception handler, debug
    /// settings and the like.
    pub fn lead_loop(&self) -> &EventLoop {
        &self.lead
    }

    /// Runs `future` on loop 0, on the calling thread, and returns its output; the other
    /// loops run on their threads all along. Loop 0 runs only inside `block_on` (like the
    /// loop of `asyncio.Runner`): what is sent to it meanwhile waits for the next call.
    ///
    /// Ctrl-C behaves as under [`asyncio::run`](crate::run), for every loop: on the main
    /// thread, when nothing else handles `SIGINT`, the first Ctrl-C drops `future`, cancels the
    /// tasks of every loop (their destructors run), joins the loop threads and ends the process
    /// by `SIGINT`.
    ///
    /// # Panics
    /// If `future` panics, or as [`EventLoop::run_until_complete`].
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = context::enter(self.handle.shared.clone(), 0);
        if !self.handle_sigint {
            return self.lead.run_until_complete(future);
        }
        match run_interruptible(&self.lead, future) {
            Some(v) => v,
            None => {
                self.stop_all(Duration::ZERO);
                crate::sys::reraise_default(libc::SIGINT);
                panic!("interrupted by Ctrl-C");
            }
        }
    }

    /// Shuts every loop down: spawning through the runtime stops (it returns
    /// [`LoopClosed`]), servers started with [`RuntimeHandle::serve`] stop accepting, tasks get
    /// `grace` to finish, then whatever still runs is cancelled (destructors run) and the
    /// loops close and their threads are joined. Output of tasks that finished in time is
    /// where they put it.
    ///
    /// # Errors
    /// [`ShutdownError`] if a loop's thread died, at any time in the runtime's life.
    pub fn shutdown(self, grace: Duration) -> Result<(), ShutdownError> {
        self.stop_all(grace);
        let died = std::mem::take(&mut *lock(&self.handle.shared.died));
        if died.is_empty() {
            Ok(())
        } else {
            Err(ShutdownError { died })
        }
    }

    fn stop_all(&self, grace: Duration) {
        let shared = &self.handle.shared;
        if shared.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let groups: Vec<_> = lock(&shared.servers).drain(..).collect();
        for group in groups.iter().filter_map(Weak::upgrade) {
            group.close();
        }
        for index in 1..shared.remotes.len() {
            let rt = shared.clone();
            let sent = shared.remotes[index].call_soon_threadsafe(move || {
                crate::task::spawn_named("runtime.drain", async move {
                    super::drain::drain(grace, 1).await;
                    rt.drained[index].store(true, Ordering::Release);
                    crate::get_running_loop().stop();
                });
            });
            if sent.is_err() {
                shared.drained[index].store(true, Ordering::Release);
            }
        }
        if !self.lead.is_closed() && !self.lead.is_running() {
            let _enter = context::enter(shared.clone(), 0);
            self.lead.run_until_complete(super::drain::drain(grace, 0));
            cancel_remaining(&self.lead);
            self.lead.close();
        }
        for thread in self.threads.borrow_mut().iter_mut() {
            if let Some(t) = thread.take() {
                // The thread records its own death (a panic escaping the loop).
                let _ = t.join();
            }
        }
        for group in groups.iter().filter_map(Weak::upgrade) {
            group.forget_members();
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Do not run loop 0 while unwinding: stop the workers and leave.
            self.handle.shared.closed.store(true, Ordering::Release);
            for index in 1..self.handle.shared.remotes.len() {
                self.handle.shared.drained[index].store(true, Ordering::Release);
                self.handle.shared.remotes[index].stop();
            }
            return;
        }
        self.stop_all(Duration::ZERO);
        for died in lock(&self.handle.shared.died).iter() {
            tracing::error!("{died}");
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("loops", &self.loops())
            .finish()
    }
}

/// A worker loop's thread: runs until its drain task marks it drained, then cancels what is
/// left and closes. A panic escaping the loop is recorded and reported to loop 0.
fn worker(lp: EventLoop, shared: Arc<RtShared>, index: usize) {
    let _enter = context::enter(shared.clone(), index);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        while !shared.drained[index].load(Ordering::Acquire) {
            lp.run_forever();
        }
        cancel_remaining(&lp);
        lp.close();
    }));
    if let Err(payload) = outcome {
        let died = LoopDied {
            index,
            message: panic_message(&*payload),
        };
        tracing::error!("{died}");
        lock(&shared.died).push(died.clone());
        let _ = shared.remotes[0].call_soon_threadsafe(move || {
            crate::get_running_loop()
                .call_exception_handler(&ExceptionContext::loop_died(died.index, &died.message));
        });
        if !lp.is_closed() && !lp.is_running() {
            lp.close();
        }
    }
}

/// Pins loop `index`'s thread to the `index`-th CPU the process may use (cycling).
fn pin(index: usize, cpus: &[usize]) {
    let Some(&cpu) = cpus.get(index % cpus.len().max(1)) else {
        tracing::warn!(
            index,
            "cannot tell which CPUs the process may use; not pinned"
        );
        return;
    };
    if let Err(e) = crate::sys::pin_current_thread(cpu) {
        tracing::warn!(error = %e, index, cpu, "could not pin the loop's thread");
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RuntimeHandle {
    /// The handle of the runtime whose loop runs on this thread (tokio's `Handle::current`),
    /// or `None` outside a runtime's loops.
    pub fn current() -> Option<Self> {
        context::current().map(|(shared, _)| Self { shared })
    }

    /// How many loops.
    pub fn loops(&self) -> usize {
        self.shared.remotes.len()
    }

    /// The [`RemoteHandle`] of loop `index` (`call_soon_threadsafe`, `spawn`, `stop`).
    ///
    /// # Panics
    /// If `index` is not below [`loops`](Self::loops).
    pub fn remote(&self, index: usize) -> &RemoteHandle {
        &self.shared.remotes[index]
    }

    /// Every loop's [`RemoteHandle`], by index.
    pub fn remotes(&self) -> &[RemoteHandle] {
        &self.shared.remotes
    }

    /// Whether [`Runtime::shutdown`] began (spawning fails from then on).
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Each loop's figures, as it last published them (see
    /// [`LoopMetrics`](crate::event_loop::LoopMetrics)), in loop order.
    pub fn metrics(&self) -> Vec<crate::event_loop::LoopMetrics> {
        self.shared
            .remotes
            .iter()
            .map(RemoteHandle::metrics)
            .collect()
    }

    /// Runs `f(index)` on every loop (to set up per-loop state, say), each on its own loop's
    /// thread in the loop's next turn. The handles give each call's result.
    ///
    /// # Errors
    /// [`LoopClosed`] if the runtime is shutting down.
    pub fn for_each_loop<F, R>(&self, f: F) -> Result<Vec<RemoteJoinHandle<R>>, LoopClosed>
    where
        F: Fn(usize) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        if self.is_closed() {
            return Err(LoopClosed);
        }
        let f = Arc::new(f);
        (0..self.loops())
            .map(|i| {
                let f = f.clone();
                self.shared.remotes[i].spawn_with(move || std::future::ready(f(i)))
            })
            .collect()
    }
}

impl fmt::Debug for RuntimeHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeHandle")
            .field("loops", &self.loops())
            .field("closed", &self.is_closed())
            .finish()
    }
}
