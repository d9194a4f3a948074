//! Spawning through a runtime: onto a chosen loop ([`RuntimeHandle::spawn_on`]) or the least
//! busy one ([`RuntimeHandle::spawn`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use super::context;
use super::outbox;
use super::runtime::{RtShared, RuntimeHandle};
use crate::event_loop::{LoopClosed, RemoteHandle, RemoteJoinHandle};
use crate::runtime::task::{JoinHandle, TaskError};

pin_project_lite::pin_project! {
    /// A future counted in its loop's load while it lives.
    struct Counted<F> {
        #[pin]
        future: F,
        index: usize,
    }

    impl<F> PinnedDrop for Counted<F> {
        fn drop(this: Pin<&mut Self>) {
            let index = this.index;
            // Tasks end on their own loop's thread, whose runtime context names the counter.
            context::with_current(|rt| {
                if let Some((rt, i)) = rt {
                    if i == index {
                        rt.loads[index].0.fetch_sub(1, Ordering::Relaxed);
                    }
                }
            });
        }
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}

/// The handle of a task spawned through a [`RuntimeHandle`]: await it for the output (or the
/// [`TaskError`]), on any loop of the runtime; [`wait`](Self::wait) blocks a plain thread.
///
/// A task that landed on the spawning loop is an ordinary local task (no cross-thread
/// promise); that is also why the handle is not `Send`.
///
/// # Cancel safety
/// Cancel-safe: dropping the await leaves the output for a later await; the task keeps
/// running (dropping the handle detaches it, as asyncio does).
pub struct SpawnHandle<T> {
    index: usize,
    inner: Inner<T>,
}

enum Inner<T> {
    Local(JoinHandle<T>),
    Remote(RemoteJoinHandle<T>),
}

impl<T> SpawnHandle<T> {
    /// The loop the task runs on.
    pub fn loop_index(&self) -> usize {
        self.index
    }

    /// Requests cancellation of the task (it ends cancelled at its next await).
    pub fn cancel(&self) {
        match &self.inner {
            Inner::Local(h) => {
                h.task().cancel();
            }
            Inner::Remote(h) => h.cancel(),
        }
    }

    /// Whether the task has ended.
    pub fn is_done(&self) -> bool {
        match &self.inner {
            Inner::Local(h) => h.task().is_done(),
            Inner::Remote(h) => h.is_done(),
        }
    }

    /// Blocks the calling thread until the task ends. Never call it on a loop's thread (for a
    /// task on that same loop it could never end).
    ///
    /// # Errors
    /// The task's [`TaskError`].
    ///
    /// # Panics
    /// For a task on the calling thread's own loop.
    pub fn wait(self) -> Result<T, TaskError> {
        match self.inner {
            Inner::Local(_) => panic!("SpawnHandle::wait on the task's own loop would never end"),
            Inner::Remote(h) => h.wait(),
        }
    }
}

/// Cancels a task spawned through a runtime: from [`SpawnHandle::canceller`].
#[derive(Clone)]
pub struct Canceller(CancelInner);

#[derive(Clone)]
enum CancelInner {
    Local(crate::Task),
    Remote(crate::event_loop::RemoteCanceller),
}

impl Canceller {
    /// Requests cancellation of the task (it ends cancelled at its next await).
    pub fn cancel(&self) {
        match &self.0 {
            CancelInner::Local(t) => {
                t.cancel();
            }
            CancelInner::Remote(c) => c.cancel(),
        }
    }
}

impl fmt::Debug for Canceller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Canceller")
    }
}

impl<T: Send + 'static> SpawnHandle<T> {
    /// A handle that cancels the task without holding its output (tokio's `AbortHandle`),
    /// for when the `SpawnHandle` itself is being awaited elsewhere.
    pub fn canceller(&self) -> Canceller {
        Canceller(match &self.inner {
            Inner::Local(h) => CancelInner::Local(h.task().clone()),
            Inner::Remote(h) => CancelInner::Remote(h.canceller()),
        })
    }
}

impl<T> Future for SpawnHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().inner {
            Inner::Local(h) => Pin::new(h).poll(cx),
            Inner::Remote(h) => Pin::new(h).poll(cx),
        }
    }
}

impl<T> fmt::Debug for SpawnHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpawnHandle")
            .field("loop", &self.index)
            .field("done", &self.is_done())
            .finish()
    }
}

impl RuntimeHandle {
    /// Spawns on loop `index` the future `make` builds there (glommio's and monoio's shape):
    /// the future need not be `Send`; only `make` and the output cross threads. On loop
    /// `index`'s own thread the future is built and spawned at once. From another loop of the
    /// runtime, spawns are sent in batches when the sending loop's turn ends (as `call_soon`
    /// callbacks run), or every 256 spawns; from a plain thread, at once.
    ///
    /// # Errors
    /// [`LoopClosed`] once the runtime shuts down.
    ///
    /// # Panics
    /// If `index` is not below [`loops`](Self::loops).
    #[track_caller]
    pub fn spawn_on<M, F>(
        &self,
        index: usize,
        make: M,
    ) -> Result<SpawnHandle<F::Output>, LoopClosed>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        assert!(
            index < self.loops(),
            "no loop {index} in a runtime of {}",
            self.loops()
        );
        self.spawn_from(self.current_index(), index, make)
    }

    /// [`spawn_on`](Self::spawn_on) with the calling loop already known.
    #[track_caller]
    fn spawn_from<M, F>(
        &self,
        here: Option<usize>,
        index: usize,
        make: M,
    ) -> Result<SpawnHandle<F::Output>, LoopClosed>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        if self.is_closed() {
            return Err(LoopClosed);
        }
        self.shared.loads[index].0.fetch_add(1, Ordering::Relaxed);
        if here == Some(index) {
            let future = Counted {
                future: make(),
                index,
            };
            return Ok(SpawnHandle {
                index,
                inner: Inner::Local(crate::spawn(future)),
            });
        }
        let (callback, handle) = RemoteHandle::prepare_spawn_with(move || Counted {
            future: make(),
            index,
        });
        match outbox::send(&self.shared, index, callback, here.is_some()) {
            Ok(()) => Ok(SpawnHandle {
                index,
                inner: Inner::Remote(handle),
            }),
            Err(e) => {
                self.shared.loads[index].0.fetch_sub(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Spawns a `Send` future on the least busy loop (the one with the fewest live tasks
    /// spawned through the runtime; the calling loop when it ties; above 4 loops, the least
    /// busy of the calling loop and two picked at random), like `tokio::spawn` on a
    /// multi-threaded runtime — except that the task stays on that loop for its whole life.
    ///
    /// # Errors
    /// [`LoopClosed`] once the runtime shuts down.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Result<SpawnHandle<F::Output>, LoopClosed>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let here = self.current_index();
        let index = self.least_busy(here);
        self.spawn_from(here, index, move || future)
    }

    /// The loop of this runtime this thread runs right now, if any.
    fn current_index(&self) -> Option<usize> {
        context::with_current(|rt| match rt {
            Some((rt, i)) if std::ptr::eq::<RtShared>(&**rt, &*self.shared) => Some(i),
            _ => None,
        })
        .filter(|_| crate::runtime::context::try_running_core().is_some())
    }

    fn least_busy(&self, here: Option<usize>) -> usize {
        let loads = &self.shared.loads;
        let load = |i: usize| loads[i].0.load(Ordering::Relaxed);
        let mut best = here.unwrap_or(0);
        let mut best_load = load(best);
        if loads.len() <= SCAN_ALL {
            for i in 0..loads.len() {
                if load(i) < best_load {
                    best = i;
                    best_load = load(i);
                }
            }
            return best;
        }
        // Many loops: two random choices (and the calling loop) instead of reading every
        // counter — nearly as balanced, at a constant cost.
        for _ in 0..2 {
            let i = (next_random() % loads.len() as u64) as usize;
            if load(i) < best_load {
                best = i;
                best_load = load(i);
            }
        }
        best
    }
}

/// Up to this many loops, `spawn` reads every loop's load; above, it samples two.
const SCAN_ALL: usize = 4;

/// A per-thread xorshift: cheap, and good enough to sample loops.
fn next_random() -> u64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let seed = std::ptr::from_ref(&SCAN_ALL) as u64 ^ std::process::id() as u64;
            seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1
        });
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x
    })
}

/// [`RuntimeHandle::spawn`] on the runtime of the calling loop (tokio's `tokio::spawn` inside
/// a multi-threaded runtime).
///
/// # Errors
/// [`LoopClosed`] once the runtime shuts down.
///
/// # Panics
/// Outside a runtime's loops.
#[track_caller]
pub fn spawn<F>(future: F) -> Result<SpawnHandle<F::Output>, LoopClosed>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    RuntimeHandle::current()
        .expect("asyncio::cores::spawn outside a Runtime's loops")
        .spawn(future)
}
