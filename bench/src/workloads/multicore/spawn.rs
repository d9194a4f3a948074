//! `spawn-mc`: 1,000,000 `Send` tasks each returning a number, spread over two loops, all
//! awaited and summed.

use super::super::support::timed;
use super::super::{rt, Measurement};
use super::LOOPS;

pub(crate) const N: u64 = 1_000_000;
const SUM: u64 = N * (N - 1) / 2;

pub(crate) fn run(runtime: &str) -> Measurement {
    let (m, sum) = match runtime {
        "asyncio-rs" => on_runtime(|handle| async move {
            let handles: Vec<_> = (0..N)
                .map(|i| handle.spawn(async move { i }).expect("open"))
                .collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.expect("task");
            }
            sum
        }),
        // The thread-per-core peers' job: each loop spawns its half locally.
        "asyncio-rs-per-loop" => on_runtime(|handle| async move {
            let halves: Vec<_> = (0..LOOPS as u64)
                .map(|t| {
                    handle
                        .spawn_on(t as usize, move || async move {
                            let lo = t * N / LOOPS as u64;
                            let hi = (t + 1) * N / LOOPS as u64;
                            let hs: Vec<_> =
                                (lo..hi).map(|i| asyncio::spawn(async move { i })).collect();
                            let mut sum = 0;
                            for h in hs {
                                sum += h.await.expect("task");
                            }
                            sum
                        })
                        .expect("open")
                })
                .collect();
            let mut sum = 0;
            for h in halves {
                sum += h.await.expect("half");
            }
            sum
        }),
        "tokio-mt" => rt::tokio(rt::tokio_mt(), async {
            // Spawned from a worker, as a server's tasks are (the local queue and LIFO slot).
            tokio::spawn(async {
                let handles: Vec<_> = (0..N).map(|i| tokio::spawn(async move { i })).collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await.expect("task");
                }
                sum
            })
            .await
            .expect("spawner")
        }),
        #[cfg(feature = "peers")]
        other => super::peers::spawn(other, N),
        #[cfg(not(feature = "peers"))]
        other => panic!("spawn-mc: unknown runtime {other}"),
    };
    assert_eq!(sum, SUM);
    m
}

/// Runs `make(handle)`'s future on a fresh 2-loop runtime, timed (building the runtime and
/// shutting it down are not).
fn on_runtime<F: std::future::Future>(
    make: impl FnOnce(asyncio::cores::RuntimeHandle) -> F,
) -> (Measurement, F::Output) {
    let rt = asyncio::Runtime::builder()
        .loops(LOOPS)
        .build()
        .expect("runtime");
    let future = make(rt.handle());
    let r = timed(|| rt.block_on(future));
    drop(rt);
    r
}
