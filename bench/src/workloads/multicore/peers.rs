//! The multi-core peers: glommio, monoio and compio as thread-per-core (a runtime per thread,
//! an `SO_REUSEPORT` listener each), smol with its work-stealing `Executor` on two threads.

use std::sync::{Arc, Barrier};

use super::super::local::{Compio, Glommio, LocalRuntime, Monoio};
use super::super::Measurement;
use super::{announce, reuseport_listeners, LOOPS};

/// `spawn-mc` on a peer.
pub(crate) fn spawn(runtime: &str, n: u64) -> (Measurement, u64) {
    match runtime {
        "smol" => smol_spawn(n),
        "glommio" => per_thread_spawn::<Glommio>(n),
        "monoio" => per_thread_spawn::<Monoio>(n),
        "compio" => per_thread_spawn::<Compio>(n),
        other => panic!("spawn-mc: unknown runtime {other}"),
    }
}

/// smol's multi-threaded executor: one spawner, two threads running the executor.
fn smol_spawn(n: u64) -> (Measurement, u64) {
    let ex = Arc::new(async_executor::Executor::new());
    let (stop_tx, stop_rx) = async_channel::bounded::<()>(1);
    let helper = {
        let ex = ex.clone();
        std::thread::spawn(move || async_io::block_on(ex.run(stop_rx.recv())))
    };
    let (m, sum) = super::super::support::timed(|| {
        async_io::block_on(ex.run(async {
            let handles: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await;
            }
            sum
        }))
    });
    drop(stop_tx);
    let _ = helper.join();
    (m, sum)
}

/// A thread-per-core runtime: each of two threads spawns its half locally (these runtimes
/// have no spawning across threads). Timed from a barrier once both runtimes exist.
fn per_thread_spawn<R: LocalRuntime>(n: u64) -> (Measurement, u64) {
    let barrier = Arc::new(Barrier::new(LOOPS + 1));
    let threads: Vec<_> = (0..LOOPS as u64)
        .map(|t| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let (_, sum) = R::run(async move {
                    barrier.wait();
                    let lo = t * n / LOOPS as u64;
                    let hi = (t + 1) * n / LOOPS as u64;
                    let hs: Vec<_> = (lo..hi).map(|i| R::spawn(async move { i })).collect();
                    let mut sum = 0;
                    for h in hs {
                        sum += R::output::<u64>(h.await);
                    }
                    sum
                });
                sum
            })
        })
        .collect();
    barrier.wait();
    super::super::support::timed(|| threads.into_iter().map(|t| t.join().expect("thread")).sum())
}

/// `--serve-echo-mc` on a peer: its single-loop echo server on each of two threads, each with
/// its own `SO_REUSEPORT` listener.
pub(crate) fn serve_echo(runtime: &str) {
    let mut listeners = reuseport_listeners(LOOPS);
    announce(listeners[0].local_addr().expect("addr").port());
    let runtime_name = runtime.to_owned();
    let last = listeners.pop().expect("a listener");
    let others: Vec<_> = listeners
        .into_iter()
        .map(|l| {
            let r = runtime_name.clone();
            std::thread::spawn(move || super::super::echo::peers::serve(&r, l))
        })
        .collect();
    super::super::echo::peers::serve(runtime, last);
    drop(others);
}
