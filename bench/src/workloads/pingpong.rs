//! `pingpong`: two tasks pass a token through two one-slot channels, 1,000,000 round trips.

use super::{rt, Measurement};

pub(crate) const N: u64 = 1_000_000;

pub(crate) fn run(runtime: &str) -> Measurement {
    let (mut m, last, channel) = match runtime {
        "asyncio-rs" => {
            let (m, last) = rt::asyncio(async {
                let (ping, pong) = (asyncio::sync::Queue::new(1), asyncio::sync::Queue::new(1));
                let (p2, q2) = (ping.clone(), pong.clone());
                let echo = asyncio::spawn(async move {
                    for _ in 0..N {
                        let v: u64 = p2.get().await.unwrap();
                        q2.put(v).await.unwrap();
                    }
                });
                let mut last = 0;
                for i in 0..N {
                    ping.put(i).await.unwrap();
                    last = pong.get().await.unwrap();
                }
                echo.await.unwrap();
                last
            });
            (m, last, "asyncio::sync::Queue(maxsize=1)")
        }
        "tokio-ct" | "tokio-mt" => {
            let runtime = rt::tokio_named(runtime);
            let (m, last) = rt::tokio(runtime, async {
                let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
                let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
                let echo = tokio::spawn(async move {
                    while let Some(v) = ping_rx.recv().await {
                        pong_tx.send(v).await.unwrap();
                    }
                });
                let mut last = 0;
                for i in 0..N {
                    ping_tx.send(i).await.unwrap();
                    last = pong_rx.recv().await.unwrap();
                }
                drop(ping_tx);
                echo.await.unwrap();
                last
            });
            (m, last, "tokio::sync::mpsc(1)")
        }
        other => panic!("pingpong: unknown runtime {other}"),
    };
    assert_eq!(last, N - 1);
    m.channel = Some(channel.to_owned());
    m
}

/// The `pingpong` workload.
pub(crate) const PINGPONG: super::Workload = super::Workload {
    name: "pingpong",
    info: super::Info {
        count: N as f64,
        unit: "round trips/s",
        description: "two tasks pass a token through two one-slot channels, 1,000,000 round trips",
    },
    supports: super::support::core_runtime,
    run: |runtime| super::support::or_peer("pingpong", runtime, run),
};
