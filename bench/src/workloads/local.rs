//! The thread-per-core peers (monoio with io_uring and with its epoll "legacy" driver, glommio,
//! compio) and smol's `LocalExecutor`, driven through one small trait so every workload is written once for all of them.
//! Each runtime is built the way its README shows and uses its own spawn, sleep and timeout;
//! channels are `local-sync`'s bounded channel, the `!Send` channel these runtimes pair with.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use super::support::timed;
use super::Measurement;

pub(crate) trait LocalRuntime {
    type Handle<T: 'static>: Future;
    /// Builds the runtime (not timed) and runs `f` on it (timed).
    fn run<F: Future>(f: F) -> (Measurement, F::Output);
    fn spawn<F: Future + 'static>(f: F) -> Self::Handle<F::Output>;
    fn output<T: 'static>(o: <Self::Handle<T> as Future>::Output) -> T;
    fn detach<F: Future + 'static>(f: F);
    fn sleep(d: Duration) -> impl Future<Output = ()>;
    fn timeout<F: Future>(d: Duration, f: F) -> impl Future<Output = Option<F::Output>>;
    /// The yield the `lock` workloads hold their lock across: `futures-lite`'s (wake itself,
    /// return `Pending` once). On monoio it does not yield: a task that woke itself during its
    /// poll goes to the *front* of monoio's queue (`LocalScheduler::yield_now` is a
    /// `push_front`) and runs again at once; the workload reports it (0 % hand-overs, no
    /// interleaved yields) and leaves such a run out of the ratios. A zero sleep, the only
    /// other yield monoio has, waits for its timer's millisecond tick: 1,000 s for the run.
    fn yield_now() -> impl Future<Output = ()> {
        futures_lite::future::yield_now()
    }
}

pub(crate) struct Monoio;
pub(crate) struct MonoioLegacy;
pub(crate) struct Glommio;
pub(crate) struct Compio;
pub(crate) struct Smol;

/// smol's single-thread executor for this thread, leaked so spawned tasks can be `'static`.
fn smol_executor() -> &'static async_executor::LocalExecutor<'static> {
    thread_local! {
        static EX: &'static async_executor::LocalExecutor<'static> =
            Box::leak(Box::new(async_executor::LocalExecutor::new()));
    }
    EX.with(|ex| *ex)
}

impl LocalRuntime for Smol {
    type Handle<T: 'static> = async_executor::Task<T>;
    fn run<F: Future>(f: F) -> (Measurement, F::Output) {
        let ex = smol_executor();
        timed(|| async_io::block_on(ex.run(f)))
    }
    fn spawn<F: Future + 'static>(f: F) -> Self::Handle<F::Output> {
        smol_executor().spawn(f)
    }
    fn output<T: 'static>(o: T) -> T {
        o
    }
    fn detach<F: Future + 'static>(f: F) {
        smol_executor().spawn(f).detach();
    }
    async fn sleep(d: Duration) {
        async_io::Timer::after(d).await;
    }
    async fn timeout<F: Future>(d: Duration, f: F) -> Option<F::Output> {
        use futures_lite::FutureExt;
        async { Some(f.await) }
            .or(async {
                async_io::Timer::after(d).await;
                None
            })
            .await
    }
}

macro_rules! monoio_impl {
    ($ty:ty, $driver:ty) => {
        impl LocalRuntime for $ty {
            type Handle<T: 'static> = monoio::task::JoinHandle<T>;
            fn run<F: Future>(f: F) -> (Measurement, F::Output) {
                let mut rt = monoio::RuntimeBuilder::<$driver>::new()
                    .enable_timer()
                    .build()
                    .expect("monoio runtime");
                timed(|| rt.block_on(f))
            }
            fn spawn<F: Future + 'static>(f: F) -> Self::Handle<F::Output> {
                monoio::spawn(f)
            }
            fn output<T: 'static>(o: T) -> T {
                o
            }
            fn detach<F: Future + 'static>(f: F) {
                drop(monoio::spawn(f));
            }
            fn sleep(d: Duration) -> impl Future<Output = ()> {
                monoio::time::sleep(d)
            }
            async fn timeout<F: Future>(d: Duration, f: F) -> Option<F::Output> {
                monoio::time::timeout(d, f).await.ok()
            }
        }
    };
}

monoio_impl!(Monoio, monoio::IoUringDriver);
monoio_impl!(MonoioLegacy, monoio::LegacyDriver);

impl LocalRuntime for Glommio {
    type Handle<T: 'static> = glommio::Task<T>;
    fn run<F: Future>(f: F) -> (Measurement, F::Output) {
        let ex = glommio::LocalExecutorBuilder::default()
            .make()
            .expect("glommio executor");
        timed(|| ex.run(f))
    }
    fn spawn<F: Future + 'static>(f: F) -> Self::Handle<F::Output> {
        glommio::spawn_local(f)
    }
    fn output<T: 'static>(o: T) -> T {
        o
    }
    fn detach<F: Future + 'static>(f: F) {
        drop(glommio::spawn_local(f).detach());
    }
    fn sleep(d: Duration) -> impl Future<Output = ()> {
        glommio::timer::sleep(d)
    }
    async fn timeout<F: Future>(d: Duration, f: F) -> Option<F::Output> {
        glommio::timer::timeout(d, async { Ok(f.await) }).await.ok()
    }
}

impl LocalRuntime for Compio {
    type Handle<T: 'static> = compio::runtime::JoinHandle<T>;
    fn run<F: Future>(f: F) -> (Measurement, F::Output) {
        let rt = compio::runtime::Runtime::new().expect("compio runtime");
        timed(|| rt.block_on(f))
    }
    fn spawn<F: Future + 'static>(f: F) -> Self::Handle<F::Output> {
        compio::runtime::spawn(f)
    }
    fn output<T: 'static>(o: Result<T, Box<dyn std::any::Any + Send>>) -> T {
        o.unwrap_or_else(|p| std::panic::resume_unwind(p))
    }
    fn detach<F: Future + 'static>(f: F) {
        compio::runtime::spawn(f).detach();
    }
    fn sleep(d: Duration) -> impl Future<Output = ()> {
        compio::time::sleep(d)
    }
    async fn timeout<F: Future>(d: Duration, f: F) -> Option<F::Output> {
        compio::time::timeout(d, f).await.ok()
    }
}

/// Runs `workload` on `runtime` if it is one of this module's peers.
pub(crate) fn run(workload: &str, runtime: &str) -> Option<Measurement> {
    Some(match runtime {
        "monoio" => workload_on::<Monoio>(workload),
        "monoio-legacy" => workload_on::<MonoioLegacy>(workload),
        "glommio" => workload_on::<Glommio>(workload),
        "compio" => workload_on::<Compio>(workload),
        "smol" => workload_on::<Smol>(workload),
        _ => return None,
    })
}

fn workload_on<R: LocalRuntime>(workload: &str) -> Measurement {
    match workload {
        "spawn" => spawn::<R>(),
        "pingpong" => pingpong::<R>(),
        "timeouts" => timeouts::<R>(),
        "timers" => timers::<R>(),
        "idle-tasks" => idle_tasks::<R>(),
        "lateness" => lateness::<R>(),
        "queue" => super::toolkit::queue_async_channel::<Peer<R>>(),
        "lock" | "lock-unfair" => super::toolkit::lock_async_lock::<Peer<R>>(),
        "gather" => super::toolkit::gather_join_all::<Peer<R>>(),
        other => panic!("unknown workload {other}"),
    }
}

fn spawn<R: LocalRuntime>() -> Measurement {
    let n = super::spawn::N;
    let (m, sum) = R::run(async {
        let hs: Vec<_> = (0..n).map(|i| R::spawn(async move { i })).collect();
        let mut sum = 0;
        for h in hs {
            sum += R::output::<u64>(h.await);
        }
        sum
    });
    assert_eq!(sum, n * (n - 1) / 2);
    m
}

fn pingpong<R: LocalRuntime>() -> Measurement {
    let n = super::pingpong::N;
    let (mut m, last) = R::run(async {
        let (ping_tx, mut ping_rx) = local_sync::mpsc::bounded::channel::<u64>(1);
        let (pong_tx, mut pong_rx) = local_sync::mpsc::bounded::channel::<u64>(1);
        let echo = R::spawn(async move {
            while let Some(v) = ping_rx.recv().await {
                if pong_tx.send(v).await.is_err() {
                    break;
                }
            }
        });
        let mut last = 0;
        for i in 0..n {
            assert!(ping_tx.send(i).await.is_ok(), "echo alive");
            last = pong_rx.recv().await.expect("echo alive");
        }
        drop(ping_tx);
        R::output::<()>(echo.await);
        last
    });
    assert_eq!(last, n - 1);
    m.channel = Some("local-sync bounded(1)".to_owned());
    m
}

fn timeouts<R: LocalRuntime>() -> Measurement {
    let n = super::timeouts::N;
    let (m, ok) = R::run(async {
        let mut ok = 0u64;
        for _ in 0..n {
            let yield_once = futures_lite::future::yield_now();
            if R::timeout(Duration::from_secs(10), yield_once)
                .await
                .is_some()
            {
                ok += 1;
            }
        }
        ok
    });
    assert_eq!(ok, n);
    m
}

fn timers<R: LocalRuntime>() -> Measurement {
    let delays = super::timers::delays();
    let (m, n) = R::run(async {
        let hs: Vec<_> = delays
            .iter()
            .map(|&d| R::spawn(async move { R::sleep(d).await }))
            .collect();
        let mut n = 0;
        for h in hs {
            R::output::<()>(h.await);
            n += 1;
        }
        n
    });
    assert_eq!(n, super::timers::N);
    m
}

fn lateness<R: LocalRuntime>() -> Measurement {
    let delays = super::lateness::delays();
    let (m, late) = R::run(async {
        let mut late = Vec::with_capacity(delays.len());
        for &d in &delays {
            let deadline = std::time::Instant::now() + d;
            R::sleep(d).await;
            late.push(std::time::Instant::now().saturating_duration_since(deadline));
        }
        late
    });
    super::lateness::finish(m, late)
}

fn idle_tasks<R: LocalRuntime>() -> Measurement {
    let n = super::idle_tasks::N;
    let (mut m, grown) = R::run(async {
        let before = crate::cpu::rss_bytes();
        let parked = Rc::new(Cell::new(0u64));
        for _ in 0..n {
            let parked = parked.clone();
            R::detach(async move {
                parked.set(parked.get() + 1);
                R::sleep(Duration::from_secs(3600)).await;
            });
        }
        // Wait with a short sleep, not a yield: monoio keeps re-polling a main future that
        // wakes itself and never reaches its queued tasks.
        while parked.get() < n {
            R::sleep(Duration::from_millis(1)).await;
        }
        crate::cpu::rss_bytes().saturating_sub(before)
    });
    m.bytes_per_task = Some(grown as f64 / n as f64);
    // Tearing down a million parked tasks is not part of the measurement, and some runtimes
    // take long over it: report and leave.
    super::support::print_child(&m);
    std::process::exit(0);
}

/// A local peer seen through the toolkit workloads' interface.
struct Peer<R>(std::marker::PhantomData<R>);

impl<R: LocalRuntime> super::toolkit::Toolkit for Peer<R> {
    type Handle<T: 'static> = R::Handle<T>;
    fn run<F: Future>(f: F) -> (Measurement, F::Output) {
        R::run(f)
    }
    fn spawn<F: Future + 'static>(f: F) -> Self::Handle<F::Output> {
        R::spawn(f)
    }
    fn output<T: 'static>(o: <Self::Handle<T> as Future>::Output) -> T {
        R::output::<T>(o)
    }
    fn yield_now() -> impl Future<Output = ()> {
        R::yield_now()
    }
}
