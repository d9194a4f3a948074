//! asyncio.run / Runner semantics, debug mode, fairness.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use asyncio::event_loop::ExceptionKind;
use asyncio::{EventLoop, Runner};
use common::Log;

#[test]
fn a_runner_keeps_tasks_alive_between_runs() {
    let runner = Runner::with_loop(common::virtual_loop());
    let counter = Rc::new(Cell::new(0));
    let c = counter.clone();
    runner.run(async move {
        drop(asyncio::spawn(async move {
            loop {
                asyncio::time::sleep(Duration::from_secs(1)).await;
                c.set(c.get() + 1);
            }
        }));
    });
    runner.run(asyncio::time::sleep(Duration::from_millis(3500)));
    assert_eq!(counter.get(), 3);
    runner.close();
    assert!(runner.get_loop().is_closed());
}

#[test]
fn the_main_future_may_borrow_locals_and_its_panic_propagates() {
    let mut local = vec![1, 2, 3];
    asyncio::run(async {
        local.push(4);
    });
    assert_eq!(local, [1, 2, 3, 4]);
    let r = std::panic::catch_unwind(|| asyncio::run(async { panic!("main failed") }));
    assert!(r.is_err());
    // The thread can run a loop again afterwards.
    assert_eq!(asyncio::run(async { 5 }), 5);
}

#[test]
#[cfg_attr(miri, ignore = "measures real time; everything is slow under Miri")]
fn debug_mode_reports_slow_steps_with_the_task_name() {
    // Steps are timed on the real clock: the slow ones spin for 300 ms against a 100 ms
    // threshold, which ordinary steps (microseconds) never approach.
    let lp = EventLoop::builder()
        .debug(true)
        .slow_callback_duration(Duration::from_millis(100))
        .build()
        .unwrap();
    let log = Log::default();
    let l = log.clone();
    lp.set_exception_handler(move |_, ctx| {
        if ctx.kind == ExceptionKind::SlowCallback {
            l.push(
                ctx.task
                    .as_ref()
                    .map(|t| t.name())
                    .unwrap_or_else(|| "callback".into()),
            );
        }
    });
    fn busy(d: Duration) {
        let t = Instant::now();
        while t.elapsed() < d {
            std::hint::spin_loop();
        }
    }
    lp.run_until_complete(async {
        let t = asyncio::task::Builder::new()
            .name("hog")
            .spawn(async { busy(Duration::from_millis(300)) });
        asyncio::spawn(async {}).await.unwrap();
        t.await.unwrap();
        asyncio::get_running_loop().call_soon(|| busy(Duration::from_millis(300)));
        asyncio::time::yield_now().await;
    });
    assert_eq!(log.take(), ["hog", "callback"]);
    assert!(lp.get_debug());
}

#[test]
fn an_always_ready_task_does_not_starve_timers_or_other_tasks() {
    asyncio::run(async {
        let spins = Rc::new(Cell::new(0u64));
        let s = spins.clone();
        let spinner = asyncio::spawn(async move {
            loop {
                s.set(s.get() + 1);
                asyncio::time::yield_now().await;
            }
        });
        let other = asyncio::spawn(async { "other ran" });
        asyncio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(other.await, Ok("other ran"));
        assert!(spins.get() > 0);
        spinner.cancel();
        assert!(spinner.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn main_and_test_macros() {
    #[asyncio::main(virtual_time)]
    async fn main() -> Duration {
        let t0 = asyncio::time::now();
        asyncio::time::sleep(Duration::from_secs(90)).await;
        asyncio::time::now() - t0
    }
    assert_eq!(main(), Duration::from_secs(90));
}

#[asyncio::test(virtual_time)]
async fn the_test_macro_runs_on_virtual_time() {
    let lp = asyncio::get_running_loop();
    assert!(lp.is_virtual_time());
    asyncio::time::sleep(Duration::from_secs(3600)).await;
}
