//! shield, race, wait, as_completed.

mod common;

use std::time::Duration;

use asyncio::task::{as_completed, race, shield, wait, AsCompletedError, ReturnWhen};
use asyncio::time::{now, sleep, timeout};
use common::{virtual_loop, DropCounter};

fn sleeper(secs: u64) -> asyncio::JoinHandle<u64> {
    asyncio::spawn(async move {
        sleep(Duration::from_secs(secs)).await;
        secs
    })
}

#[test]
fn a_shielded_task_survives_the_cancelled_await() {
    let lp = virtual_loop();
    let drops = DropCounter::default();
    let d = drops.clone();
    lp.run_until_complete(async move {
        let g = d.guard();
        let mut inner = shield(async move {
            let _g = g;
            sleep(Duration::from_secs(5)).await;
            "done"
        });
        assert!(timeout(Duration::from_secs(1), &mut inner).await.is_err());
        assert_eq!(d.count(), 0, "the inner future was not dropped");
        assert_eq!(inner.await, Ok("done"));
    });
    assert_eq!(drops.count(), 1);
}

#[test]
fn race_returns_the_winner_and_drops_the_others_once() {
    let lp = virtual_loop();
    let drops = DropCounter::default();
    let d = drops.clone();
    let (i, v) = lp.run_until_complete(async move {
        let t0 = now();
        let r = race([5u64, 2, 9].map(|s| {
            let g = d.guard();
            async move {
                let _g = g;
                sleep(Duration::from_secs(s)).await;
                s
            }
        }))
        .await;
        assert_eq!(now() - t0, Duration::from_secs(2));
        r
    });
    assert_eq!((i, v), (1, 2));
    assert_eq!(drops.count(), 3);
}

#[test]
fn wait_modes_and_timeout() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let t0 = now();
        let (done, pending) =
            wait(vec![sleeper(1), sleeper(3)], ReturnWhen::AllCompleted, None).await;
        assert_eq!((done.len(), pending.len()), (2, 0));
        assert_eq!(now() - t0, Duration::from_secs(3));

        // FIRST_EXCEPTION: returns when one panics.
        let t0 = now();
        let boom = asyncio::spawn(async {
            sleep(Duration::from_secs(2)).await;
            panic!("boom")
        });
        let tasks = vec![sleeper(10), boom];
        let (done, pending) = wait(tasks, ReturnWhen::FirstException, None).await;
        assert_eq!((done.len(), pending.len()), (1, 1));
        assert!(done[0].is_panicked());
        assert_eq!(now() - t0, Duration::from_secs(2));

        // Timeout: returns what is pending, cancels nothing.
        let t0 = now();
        let (done, pending) = wait(
            vec![sleeper(1), sleeper(10)],
            ReturnWhen::AllCompleted,
            Some(Duration::from_secs(4)),
        )
        .await;
        assert_eq!((done.len(), pending.len()), (1, 1));
        assert_eq!(now() - t0, Duration::from_secs(4));
        assert!(!pending[0].is_cancelled());
        let rest = pending.into_iter().next().unwrap();
        assert_eq!(rest.await, Ok(10));
    });
}

#[test]
fn as_completed_yields_in_completion_order_then_times_out() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let straggler = sleeper(100);
        let straggler_task = straggler.task().clone();
        let mut s = as_completed(
            vec![sleeper(3), straggler, sleeper(1)],
            Some(Duration::from_secs(5)),
        );
        assert_eq!(s.next().await, Some(Ok(1)));
        assert_eq!(s.next().await, Some(Ok(3)));
        assert_eq!(s.next().await, Some(Err(AsCompletedError::Timeout)));
        assert_eq!(s.next().await, None);
        assert!(!straggler_task.is_done(), "the timeout cancels nothing");
    });
}
