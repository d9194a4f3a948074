//! gather!, gather, try_gather: order, concurrency, borrowing, fail-fast cancellation.

mod common;

use std::time::Duration;

use asyncio::task::{gather, try_gather};
use asyncio::time::{now, sleep};
use common::{virtual_loop, DropCounter, Log};

#[test]
fn the_macro_keeps_argument_order_runs_concurrently_and_may_borrow() {
    let lp = virtual_loop();
    let log = Log::default();
    let mut local = String::from("borrowed");
    let (a, b, c) = lp.run_until_complete(async {
        let t0 = now();
        let out = asyncio::gather!(
            async {
                log.push("a starts");
                sleep(Duration::from_secs(3)).await;
                log.push("a ends");
                1u8
            },
            async {
                log.push("b starts");
                sleep(Duration::from_secs(1)).await;
                local.push('!');
                log.push("b ends");
                "two"
            },
            async { 3.0f64 },
        )
        .await;
        assert_eq!(
            now() - t0,
            Duration::from_secs(3),
            "the maximum, not the sum"
        );
        out
    });
    assert_eq!((a, b, c), (1, "two", 3.0));
    assert_eq!(local, "borrowed!");
    assert_eq!(log.take(), ["a starts", "b starts", "b ends", "a ends"]);
}

#[test]
fn the_function_returns_outputs_in_input_order() {
    let lp = virtual_loop();
    let out = lp.run_until_complete(gather([3u64, 1, 2].map(|s| async move {
        sleep(Duration::from_secs(s)).await;
        s * 10
    })));
    assert_eq!(out, [30, 10, 20]);
    let empty: Vec<u8> = lp.run_until_complete(gather(Vec::<std::future::Ready<u8>>::new()));
    assert!(empty.is_empty());
}

#[test]
fn try_gather_returns_the_first_error_and_cancels_the_rest() {
    let lp = virtual_loop();
    let drops = DropCounter::default();
    let d = drops.clone();
    lp.run_until_complete(async move {
        let t0 = now();
        let futures = (0..4u64).map(|i| {
            let g = d.guard();
            async move {
                let _g = g;
                sleep(Duration::from_secs(if i == 2 { 1 } else { 10 })).await;
                if i == 2 {
                    Err(format!("task {i} failed"))
                } else {
                    Ok(i)
                }
            }
        });
        let r = try_gather(futures).await;
        assert_eq!(r, Err("task 2 failed".to_owned()));
        assert_eq!(
            now() - t0,
            Duration::from_secs(1),
            "returns at the first error"
        );
        assert_eq!(
            d.count(),
            4,
            "the failed future and the three cancelled ones are dropped"
        );
    });
    assert_eq!(drops.count(), 4);
}
