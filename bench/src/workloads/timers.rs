//! `timers`: 100,000 tasks each sleep a pseudo-random 1..100 ms (fixed seed), all gathered.

use std::time::Duration;

use super::{rt, Measurement};
use crate::rng::Rng;

pub(crate) const N: u64 = 100_000;

pub(crate) fn delays() -> Vec<Duration> {
    let mut rng = Rng::new(0x5EED);
    (0..N)
        .map(|_| Duration::from_millis(1 + rng.next() % 100))
        .collect()
}

pub(crate) fn run(runtime: &str) -> Measurement {
    let delays = delays();
    let (m, n) = match runtime {
        "asyncio-rs" => rt::asyncio(async {
            let hs: Vec<_> = delays
                .iter()
                .map(|&d| asyncio::spawn(async move { asyncio::time::sleep(d).await }))
                .collect();
            let mut n = 0;
            for h in hs {
                h.await.unwrap();
                n += 1;
            }
            n
        }),
        "tokio-ct" | "tokio-mt" => {
            let runtime = rt::tokio_named(runtime);
            rt::tokio(runtime, async {
                let hs: Vec<_> = delays
                    .iter()
                    .map(|&d| tokio::spawn(async move { tokio::time::sleep(d).await }))
                    .collect();
                let mut n = 0;
                for h in hs {
                    h.await.unwrap();
                    n += 1;
                }
                n
            })
        }
        other => panic!("timers: unknown runtime {other}"),
    };
    assert_eq!(n, N);
    m
}

/// The `timers` workload.
pub(crate) const TIMERS: super::Workload = super::Workload {
    name: "timers",
    info: super::Info {
        count: N as f64,
        unit: "timers/s",
        description: "100,000 tasks sleep a pseudo-random 1..100 ms (fixed seed), gathered",
    },
    supports: super::support::core_runtime,
    run: |runtime| super::support::or_peer("timers", runtime, run),
};
