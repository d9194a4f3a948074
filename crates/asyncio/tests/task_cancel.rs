//! Cancellation: what `Task::cancel` does to a task that is sleeping, running, done; drop
//! counters prove each future is dropped exactly once.

mod common;

use std::time::Duration;

use asyncio::time::{sleep, yield_now};
use common::{virtual_loop, DropCounter, Log};

#[test]
fn cancelling_a_sleeping_task_drops_its_future_once() {
    let lp = virtual_loop();
    let drops = DropCounter::default();
    let d = drops.clone();
    lp.run_until_complete(async move {
        let g = d.guard();
        let t = asyncio::spawn(async move {
            let _g = g;
            sleep(Duration::from_secs(60)).await;
            "finished"
        });
        sleep(Duration::from_secs(1)).await;
        assert!(t.cancel());
        assert!(t.cancelling());
        let err = t.task().clone();
        let out = t.await;
        assert!(out.unwrap_err().is_cancelled());
        assert!(err.is_cancelled() && err.is_done());
        assert!(!err.cancel(), "cancelling a done task reports false");
    });
    assert_eq!(drops.count(), 1);
}

#[test]
fn cancel_takes_effect_at_the_next_suspension_of_a_running_task() {
    let lp = virtual_loop();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        let t = asyncio::spawn(async move {
            asyncio::current_task().unwrap().cancel();
            l.push("still running after cancel()");
            yield_now().await;
            l.push("never reached");
        });
        assert!(t.await.unwrap_err().is_cancelled());
    });
    assert_eq!(log.take(), ["still running after cancel()"]);
}

#[test]
fn a_task_that_cancels_itself_and_finishes_without_suspending_ends_cancelled() {
    // asyncio: a task whose cancel() was requested ends cancelled even if its coroutine returns.
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let t = asyncio::spawn(async {
            asyncio::current_task().unwrap().cancel();
            7
        });
        assert!(t.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn closing_the_loop_drops_every_pending_future_once() {
    let lp = virtual_loop();
    let drops = DropCounter::default();
    for _ in 0..100 {
        let g = drops.guard();
        drop(lp.spawn(async move {
            let _g = g;
            sleep(Duration::from_secs(3600)).await;
        }));
    }
    lp.run_until_complete(sleep(Duration::from_secs(1)));
    assert_eq!(drops.count(), 0);
    lp.close();
    assert_eq!(drops.count(), 100);
}

#[test]
fn asyncio_run_cancels_leftover_tasks_and_runs_their_destructors() {
    let drops = DropCounter::default();
    let d = drops.clone();
    let out = asyncio::run(async move {
        for _ in 0..10 {
            let g = d.guard();
            drop(asyncio::spawn(async move {
                let _g = g;
                std::future::pending::<()>().await;
            }));
        }
        yield_now().await;
        "main done"
    });
    assert_eq!(out, "main done");
    assert_eq!(drops.count(), 10);
}

#[test]
fn cancelling_a_scheduled_task_before_its_first_poll() {
    let lp = virtual_loop();
    let drops = DropCounter::default();
    let d = drops.clone();
    lp.run_until_complete(async move {
        let g = d.guard();
        let t = asyncio::spawn(async move {
            let _g = g;
            unreachable!("never polled");
        });
        t.cancel();
        assert!(t.await.unwrap_err().is_cancelled());
    });
    assert_eq!(drops.count(), 1);
}

#[test]
fn a_panic_in_a_destructor_during_cancellation_is_reported_as_the_tasks_panic() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("destructor exploded");
        }
    }
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let t = asyncio::spawn(async {
            let _b = Bomb;
            sleep(Duration::from_secs(10)).await;
        });
        yield_now().await;
        t.cancel();
        let err = t.await.unwrap_err();
        assert_eq!(err.panic_message(), Some("destructor exploded"));
    });
}
