//! `timeouts`: a future that yields once, wrapped in a 10 s timeout, 1,000,000 times in a row —
//! so the timer is really armed and then cancelled.

use std::time::Duration;

use super::{rt, Measurement};

pub(crate) const N: u64 = 1_000_000;
const LIMIT: Duration = Duration::from_secs(10);

pub(crate) fn run(runtime: &str) -> Measurement {
    let (m, ok) = match runtime {
        "asyncio-rs" => rt::asyncio(async {
            let mut ok = 0u64;
            for _ in 0..N {
                if asyncio::time::timeout(LIMIT, asyncio::time::yield_now())
                    .await
                    .is_ok()
                {
                    ok += 1;
                }
            }
            ok
        }),
        "tokio-ct" | "tokio-mt" => {
            let runtime = rt::tokio_named(runtime);
            rt::tokio(runtime, async {
                let mut ok = 0u64;
                for _ in 0..N {
                    if tokio::time::timeout(LIMIT, tokio::task::yield_now())
                        .await
                        .is_ok()
                    {
                        ok += 1;
                    }
                }
                ok
            })
        }
        other => panic!("timeouts: unknown runtime {other}"),
    };
    assert_eq!(ok, N);
    m
}

/// The `timeouts` workload.
pub(crate) const TIMEOUTS: super::Workload = super::Workload {
    name: "timeouts",
    info: super::Info {
        count: N as f64,
        unit: "ops/s",
        description: "1,000,000 × a future that yields once, inside a 10 s timeout",
    },
    supports: super::support::core_runtime,
    run: |runtime| super::support::or_peer("timeouts", runtime, run),
};
