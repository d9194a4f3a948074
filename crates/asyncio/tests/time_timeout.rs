//! Timeouts: `timeout`, `timeout_at`, and the reschedulable `TimeoutScope`.

mod common;

use std::time::Duration;

use asyncio::time::{now, sleep, timeout, timeout_at, TimeoutScope};
use common::{virtual_loop, DropCounter};

#[test]
fn an_expired_timeout_cancels_the_inner_future_once() {
    let lp = virtual_loop();
    let drops = DropCounter::default();
    let d = drops.clone();
    lp.run_until_complete(async move {
        let g = d.guard();
        let t0 = now();
        let r = timeout(Duration::from_secs(5), async move {
            let _g = g;
            sleep(Duration::from_secs(60)).await;
        })
        .await;
        assert!(r.is_err());
        assert_eq!(now() - t0, Duration::from_secs(5));
        assert_eq!(r.unwrap_err().to_string(), "deadline has elapsed");
    });
    assert_eq!(drops.count(), 1);
}

#[test]
fn the_output_wins_when_it_is_ready_first_and_at_the_deadline() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        assert_eq!(timeout(Duration::from_secs(5), async { 3 }).await, Ok(3));
        // Both due at the same instant: the output wins.
        let r = timeout(Duration::from_secs(5), async {
            sleep(Duration::from_secs(5)).await;
            4
        })
        .await;
        assert_eq!(r, Ok(4));
        let r = timeout_at(
            now() + Duration::from_secs(1),
            sleep(Duration::from_secs(2)),
        )
        .await;
        assert!(r.is_err());
    });
}

#[test]
fn a_timeout_around_a_task_handle_leaves_the_task_running() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let mut t = asyncio::spawn(async {
            sleep(Duration::from_secs(10)).await;
            "late"
        });
        assert!(timeout(Duration::from_secs(1), &mut t).await.is_err());
        assert!(
            !t.is_done(),
            "timing out the await does not cancel the task"
        );
        assert_eq!(t.await, Ok("late"));
    });
}

#[test]
fn a_scope_can_be_rescheduled_from_inside() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let t0 = now();
        let scope = TimeoutScope::after(Duration::from_secs(1));
        let inner = scope.clone();
        let r = scope
            .run(async move {
                inner.reschedule(Some(now() + Duration::from_secs(10)));
                sleep(Duration::from_secs(5)).await;
                // Bring it in: expires 1 s from now, while sleeping another 5.
                inner.reschedule(Some(now() + Duration::from_secs(1)));
                sleep(Duration::from_secs(5)).await;
            })
            .await;
        assert!(r.is_err());
        assert!(scope.expired());
        assert_eq!(now() - t0, Duration::from_secs(6));

        let never = TimeoutScope::at(None);
        assert_eq!(never.run(sleep(Duration::from_secs(3600))).await, Ok(()));
        assert!(!never.expired());
    });
}
