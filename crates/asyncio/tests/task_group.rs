//! TaskGroup: waiting, sibling cancellation on failure, error aggregation, panics, drop,
//! cancel(), start(), deadline.

mod common;

use std::time::Duration;

use asyncio::task::{ChildError, TaskGroup};
use asyncio::time::{now, sleep, yield_now};
use common::{virtual_loop, DropCounter};

#[test]
fn a_group_waits_for_all_children() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let t0 = now();
        let g: TaskGroup<()> = TaskGroup::new();
        let a = g.spawn(async {
            sleep(Duration::from_secs(2)).await;
            Ok(1)
        });
        let b = g.spawn(async {
            sleep(Duration::from_secs(3)).await;
            Ok(2)
        });
        assert_eq!(g.running(), 2);
        assert_eq!(g.wait().await, Ok(()));
        assert_eq!(now() - t0, Duration::from_secs(3));
        assert_eq!((a.await.unwrap(), b.await.unwrap()), (Some(1), Some(2)));
    });
}

#[test]
fn the_first_failure_cancels_the_siblings_and_every_failure_is_reported() {
    let lp = virtual_loop();
    let drops = DropCounter::default();
    let d = drops.clone();
    lp.run_until_complete(async move {
        let t0 = now();
        let g: TaskGroup<&'static str> = TaskGroup::new();
        for _ in 0..3 {
            let guard = d.guard();
            g.spawn(async move {
                let _guard = guard;
                sleep(Duration::from_secs(60)).await;
                Ok(())
            });
        }
        // Two children fail in the same loop iteration: both are reported.
        g.spawn(async {
            sleep(Duration::from_secs(1)).await;
            Err::<(), _>("first")
        });
        g.spawn(async {
            sleep(Duration::from_secs(1)).await;
            Err::<(), _>("second")
        });
        let err = g.wait().await.unwrap_err();
        assert_eq!(
            err.errors,
            [ChildError::Failed("first"), ChildError::Failed("second")]
        );
        assert!(!err.timed_out);
        assert_eq!(
            now() - t0,
            Duration::from_secs(1),
            "siblings did not run to the end"
        );
        assert_eq!(d.count(), 3, "each sibling's future dropped once");
        // Spawning into a failed group starts the child cancelled.
        let late = g.spawn(async { Ok(()) });
        assert!(late.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn a_panicking_child_is_a_failure_with_its_message() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let g: TaskGroup<()> = TaskGroup::new();
        let h = g.spawn(async {
            yield_now().await;
            if true {
                panic!("child exploded");
            }
            Ok(())
        });
        let err = g.wait().await.unwrap_err();
        assert_eq!(err.errors, [ChildError::Panicked("child exploded".into())]);
        assert_eq!(h.await, Ok(None));
    });
}

#[test]
fn dropping_the_group_cancels_its_children() {
    let lp = virtual_loop();
    let drops = DropCounter::default();
    let d = drops.clone();
    lp.run_until_complete(async move {
        let g: TaskGroup<()> = TaskGroup::new();
        let guard = d.guard();
        let h = g.spawn(async move {
            let _guard = guard;
            sleep(Duration::from_secs(60)).await;
            Ok(())
        });
        yield_now().await;
        drop(g);
        assert!(h.await.unwrap_err().is_cancelled());
    });
    assert_eq!(drops.count(), 1);
}

#[test]
fn cancel_ends_the_children_without_a_failure() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let g: TaskGroup<()> = TaskGroup::new();
        let h = g.spawn(async {
            sleep(Duration::from_secs(60)).await;
            Ok(())
        });
        yield_now().await;
        g.cancel();
        assert_eq!(g.wait().await, Ok(()));
        assert!(h.is_cancelled());
    });
}

#[test]
fn start_waits_for_readiness_and_the_child_keeps_running() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let t0 = now();
        let g: TaskGroup<String> = TaskGroup::new();
        let port = g
            .start(|ready| async move {
                sleep(Duration::from_secs(2)).await; // "binding"
                ready.started(8080u16);
                sleep(Duration::from_secs(5)).await; // "serving"
                Ok(())
            })
            .await;
        assert_eq!(port, Some(8080));
        assert_eq!(now() - t0, Duration::from_secs(2));
        assert_eq!(g.running(), 1);
        // A child that fails before reporting: start returns None, wait reports the failure.
        let none = g
            .start(|_ready: asyncio::task::Started<u16>| async {
                Err::<(), _>("could not bind".to_string())
            })
            .await;
        assert_eq!(none, None);
        let err = g.wait().await.unwrap_err();
        assert_eq!(
            err.errors,
            [ChildError::Failed("could not bind".to_string())]
        );
    });
}

#[test]
fn a_group_deadline_cancels_the_stragglers() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let t0 = now();
        let g: TaskGroup<()> = TaskGroup::with_deadline(t0 + Duration::from_secs(5));
        let quick = g.spawn(async {
            sleep(Duration::from_secs(1)).await;
            Ok("quick")
        });
        let slow = g.spawn(async {
            sleep(Duration::from_secs(60)).await;
            Ok("slow")
        });
        let err = g.wait().await.unwrap_err();
        assert!(err.timed_out && err.errors.is_empty());
        assert_eq!(now() - t0, Duration::from_secs(5));
        assert_eq!(quick.await, Ok(Some("quick")));
        assert!(slow.await.unwrap_err().is_cancelled());
    });
}
