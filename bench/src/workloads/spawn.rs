//! `spawn`: 1,000,000 tasks each returning a number, all awaited and summed.

use super::{rt, Measurement};

pub(crate) const N: u64 = 1_000_000;
const SUM: u64 = N * (N - 1) / 2;

pub(crate) fn run(runtime: &str) -> Measurement {
    let (m, sum) = match runtime {
        "asyncio-rs" => rt::asyncio(async {
            let handles: Vec<_> = (0..N).map(|i| asyncio::spawn(async move { i })).collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        }),
        "tokio-ct" | "tokio-mt" => {
            let runtime = rt::tokio_named(runtime);
            rt::tokio(runtime, async {
                let handles: Vec<_> = (0..N).map(|i| tokio::spawn(async move { i })).collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await.unwrap();
                }
                sum
            })
        }
        other => panic!("spawn: unknown runtime {other}"),
    };
    assert_eq!(sum, SUM);
    m
}

/// The `spawn` workload.
pub(crate) const SPAWN: super::Workload = super::Workload {
    name: "spawn",
    info: super::Info {
        count: N as f64,
        unit: "tasks/s",
        description: "1,000,000 tasks each returning a number, all awaited and summed",
    },
    supports: super::support::core_runtime,
    run: |runtime| super::support::or_peer("spawn", runtime, run),
};
