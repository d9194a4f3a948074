//! `idle-tasks`: 1,000,000 tasks parked on a long sleep; resident memory per task.
//!
//! Each task counts itself when first polled, just before it parks; once all have counted, the
//! resident set is read and compared with the one before spawning.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{rt, Measurement};
use crate::cpu::rss_bytes;

pub(crate) const N: u64 = 1_000_000;
const PARK: Duration = Duration::from_secs(3600);

pub(crate) fn run(runtime: &str) -> Measurement {
    let (mut m, grown) = match runtime {
        "asyncio-rs" => rt::asyncio(async {
            let before = rss_bytes();
            let parked = Rc::new(Cell::new(0u64));
            for _ in 0..N {
                let parked = parked.clone();
                drop(asyncio::spawn(async move {
                    parked.set(parked.get() + 1);
                    asyncio::time::sleep(PARK).await;
                }));
            }
            while parked.get() < N {
                asyncio::time::yield_now().await;
            }
            rss_bytes().saturating_sub(before)
        }),
        "tokio-ct" | "tokio-mt" => {
            let runtime = rt::tokio_named(runtime);
            rt::tokio(runtime, async {
                let before = rss_bytes();
                let parked = Arc::new(AtomicU64::new(0));
                for _ in 0..N {
                    let parked = parked.clone();
                    drop(tokio::spawn(async move {
                        parked.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(PARK).await;
                    }));
                }
                while parked.load(Ordering::Relaxed) < N {
                    tokio::task::yield_now().await;
                }
                rss_bytes().saturating_sub(before)
            })
        }
        other => panic!("idle-tasks: unknown runtime {other}"),
    };
    m.bytes_per_task = Some(grown as f64 / N as f64);
    m
}

/// The `idle-tasks` workload.
pub(crate) const IDLE_TASKS: super::Workload = super::Workload {
    name: "idle-tasks",
    info: super::Info {
        count: N as f64,
        unit: "tasks/s",
        description: "1,000,000 tasks parked on a long sleep; resident bytes per task",
    },
    supports: super::support::core_runtime,
    run: |runtime| super::support::or_peer("idle-tasks", runtime, run),
};
