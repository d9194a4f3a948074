//! `lateness`: 200 sleeps in a row of a pseudo-random 0.5–3 ms each (fixed seed) on an idle
//! loop; how late each one wakes, measured on the real clock. Reports the median and p99 in µs.

use std::time::{Duration, Instant};

use super::{rt, Measurement};
use crate::rng::Rng;

pub(crate) const N: u64 = 200;

pub(crate) fn delays() -> Vec<Duration> {
    let mut rng = Rng::new(0x1A7E);
    (0..N)
        .map(|_| Duration::from_micros(500 + rng.next() % 2500))
        .collect()
}

/// Fills in the percentiles from the lateness samples.
pub(crate) fn finish(mut m: Measurement, mut late: Vec<Duration>) -> Measurement {
    late.sort_unstable();
    let at = |q: f64| late[((late.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
    m.p50_us = Some(at(0.5));
    m.p99_us = Some(at(0.99));
    m
}

pub(crate) fn run(runtime: &str) -> Measurement {
    let delays = delays();
    let (m, late) = match runtime {
        "asyncio-rs" => rt::asyncio(async {
            let mut late = Vec::with_capacity(delays.len());
            for &d in &delays {
                let deadline = Instant::now() + d;
                asyncio::time::sleep(d).await;
                late.push(Instant::now().saturating_duration_since(deadline));
            }
            late
        }),
        "tokio-ct" | "tokio-mt" => rt::tokio(rt::tokio_named(runtime), async {
            let mut late = Vec::with_capacity(delays.len());
            for &d in &delays {
                let deadline = Instant::now() + d;
                tokio::time::sleep(d).await;
                late.push(Instant::now().saturating_duration_since(deadline));
            }
            late
        }),
        other => panic!("lateness: unknown runtime {other}"),
    };
    finish(m, late)
}

/// The `lateness` workload.
pub(crate) const LATENESS: super::Workload = super::Workload {
    name: "lateness",
    info: super::Info {
        count: N as f64,
        unit: "sleeps/s",
        description: "200 sleeps in a row of 0.5–3 ms on an idle loop; how late each wakes",
    },
    supports: super::support::core_runtime,
    run: |runtime| super::support::or_peer("lateness", runtime, run),
};
