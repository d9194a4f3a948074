//! Behaviour held against asyncio's own (issue 13): each test failed before its fix. Ordering
//! between awaiters and done callbacks, zero and huge durations, nested and re-entrant calls.

mod common;

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

use asyncio::time::{sleep, sleep_until, yield_now};
use common::{virtual_loop, Log};

// ----- nested and re-entrant calls ----------------------------------------------------------

#[test]
fn a_refused_nested_run_until_complete_fails_in_the_task_and_the_outer_run_goes_on() {
    let lp = virtual_loop();
    let out = lp.run_until_complete(async {
        let t = asyncio::spawn(async {
            asyncio::get_running_loop().run_until_complete(async {});
        });
        let err = t.await.unwrap_err();
        assert!(err.is_panic());
        assert!(
            err.panic_message().unwrap().contains("already running"),
            "{err:?}"
        );
        // The main future still gets its wake-ups.
        sleep(Duration::from_secs(1)).await;
        "carried on"
    });
    assert_eq!(out, "carried on");
}

#[test]
fn a_refused_nested_run_from_a_callback_or_a_caught_panic_does_not_hang() {
    let lp = virtual_loop();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    lp.set_exception_handler(move |_, ctx| s.borrow_mut().push(ctx.panic_message.clone()));
    let out = lp.run_until_complete(async {
        let lp = asyncio::get_running_loop();
        let inner = lp.clone();
        lp.call_soon(move || {
            inner.run_until_complete(async {});
        });
        let caught = catch_unwind(AssertUnwindSafe(|| {
            asyncio::get_running_loop().run_forever();
        }));
        assert!(caught.is_err());
        let caught = catch_unwind(AssertUnwindSafe(|| {
            asyncio::get_running_loop().run_until_complete(async { 1 })
        }));
        assert!(caught.is_err());
        sleep(Duration::from_millis(10)).await;
        yield_now().await;
        5
    });
    assert_eq!(out, 5);
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1, "the callback's refusal reached the handler");
    assert!(seen[0].as_deref().unwrap().contains("already running"));
}

// ----- cancellation ---------------------------------------------------------------------------

#[test]
fn a_task_that_cancels_itself_and_returns_ends_cancelled() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let t = asyncio::spawn(async {
            asyncio::current_task().unwrap().cancel();
            5
        });
        let task = t.task().clone();
        assert!(t.await.unwrap_err().is_cancelled());
        assert!(task.is_cancelled());
    });
}

#[test]
fn a_cancelled_tasks_output_is_dropped_not_leaked() {
    let lp = virtual_loop();
    let drops = common::DropCounter::default();
    let d = drops.clone();
    lp.run_until_complete(async move {
        let t = asyncio::spawn(async move {
            asyncio::current_task().unwrap().cancel();
            d.guard()
        });
        assert!(t.await.unwrap_err().is_cancelled());
    });
    assert_eq!(drops.count(), 1);
}

// ----- ordering between awaiters and done callbacks -------------------------------------------

#[test]
fn awaiters_and_done_callbacks_of_a_task_run_in_registration_order() {
    let lp = virtual_loop();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        let tx = asyncio::sync::Event::new();
        let gate = tx.clone();
        let t = asyncio::spawn(async move {
            gate.wait().await;
        });
        let task = t.task().clone();
        let l1 = l.clone();
        task.add_done_callback(move |_| l1.push("callback 1"));
        let l2 = l.clone();
        let awaiter = asyncio::spawn(async move {
            t.await.unwrap();
            l2.push("awaiter");
        });
        yield_now().await; // the awaiter registers
        let l3 = l.clone();
        task.add_done_callback(move |_| l3.push("callback 2"));
        tx.set();
        awaiter.await.unwrap();
        yield_now().await;
    });
    assert_eq!(log.take(), ["callback 1", "awaiter", "callback 2"]);
}

#[test]
fn awaiters_and_done_callbacks_of_a_promise_run_in_registration_order() {
    let lp = virtual_loop();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        let p: asyncio::future::Promise<u32> = asyncio::future::Promise::new();
        let l1 = l.clone();
        p.add_done_callback(move |_| l1.push("callback 1"));
        let waiting = p.clone();
        let l2 = l.clone();
        let awaiter = asyncio::spawn(async move {
            waiting.await.unwrap();
            l2.push("awaiter");
        });
        yield_now().await;
        let l3 = l.clone();
        p.add_done_callback(move |_| l3.push("callback 2"));
        p.set_result(1).unwrap();
        awaiter.await.unwrap();
        yield_now().await;
    });
    assert_eq!(log.take(), ["callback 1", "awaiter", "callback 2"]);
}

// ----- zero and huge durations -----------------------------------------------------------------

/// Counts how many times another task ran while `body` ran.
fn turns_of_another_task(body: impl std::future::Future<Output = ()> + 'static) -> u32 {
    let lp = virtual_loop();
    lp.run_until_complete(async move {
        let turns = Rc::new(std::cell::Cell::new(0u32));
        let stop = Rc::new(std::cell::Cell::new(false));
        let (t, s) = (turns.clone(), stop.clone());
        let other = asyncio::spawn(async move {
            while !s.get() {
                t.set(t.get() + 1);
                yield_now().await;
            }
        });
        yield_now().await;
        let before = turns.get();
        body.await;
        let after = turns.get();
        stop.set(true);
        other.await.unwrap();
        after - before
    })
}

#[test]
fn sleep_zero_yields_once() {
    assert_eq!(turns_of_another_task(sleep(Duration::ZERO)), 1);
}

#[test]
fn sleep_until_a_past_instant_yields_once() {
    let past = Instant::now();
    assert_eq!(turns_of_another_task(sleep_until(past)), 1);
}

#[test]
fn a_polling_loop_on_a_computed_zero_delay_lets_others_run() {
    // asyncio: `while not done: await asyncio.sleep(max(0, deadline - now))` lets the task that
    // sets `done` run.
    let lp = virtual_loop();
    let spins = lp.run_until_complete(async {
        let done = Rc::new(std::cell::Cell::new(false));
        let d = done.clone();
        asyncio::spawn(async move { d.set(true) });
        let mut spins = 0;
        while !done.get() {
            spins += 1;
            assert!(spins < 1000, "spun without yielding");
            sleep(Duration::ZERO).await;
        }
        spins
    });
    assert_eq!(spins, 1);
}

#[test]
fn a_task_awaiting_its_own_handle_fails_at_once() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let slot: Rc<RefCell<Option<asyncio::JoinHandle<()>>>> = Rc::default();
        let s = slot.clone();
        let t = asyncio::spawn(async move {
            yield_now().await;
            let mut me = s.borrow_mut().take().unwrap();
            let _ = (&mut me).await;
        });
        let task = t.task().clone();
        *slot.borrow_mut() = Some(t);
        // The handle is inside the task; watch it through the untyped handle.
        let sleep_done = asyncio::time::timeout(Duration::from_secs(5), async {
            while !task.is_done() {
                yield_now().await;
            }
        })
        .await;
        assert!(sleep_done.is_ok(), "the task is stuck awaiting itself");
        assert!(task.is_panicked());
        assert!(task.panic_message().unwrap().contains("await itself"));
    });
}

#[test]
fn an_interval_with_a_huge_period_does_not_panic() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let mut every = asyncio::time::interval(Duration::MAX);
        let first = every.tick().await;
        assert!(
            asyncio::time::timeout(Duration::from_secs(3600), every.tick())
                .await
                .is_err(),
            "the second tick is decades away"
        );
        assert!(first <= asyncio::time::now());
        let mut skip = asyncio::time::interval(Duration::MAX);
        skip.set_missed_tick_behavior(asyncio::time::MissedTickBehavior::Skip);
        skip.tick().await;
        let mut delay = asyncio::time::interval(Duration::MAX);
        delay.set_missed_tick_behavior(asyncio::time::MissedTickBehavior::Delay);
        delay.tick().await;
    });
}

#[test]
fn interval_first_tick_is_immediate_and_bursts_do_not_yield() {
    // An interval's due ticks are not sleeps: they complete without a turn (tokio's shape).
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let mut every = asyncio::time::interval(Duration::from_secs(1));
        let t0 = every.tick().await;
        asyncio::get_running_loop().advance(Duration::from_secs(3));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        for i in 1..=3 {
            match every.poll_tick(&mut cx) {
                std::task::Poll::Ready(t) => assert_eq!(t, t0 + Duration::from_secs(i)),
                std::task::Poll::Pending => panic!("tick {i} did not burst"),
            }
        }
    });
}

#[test]
fn call_at_deadlines_before_the_loop_existed_run_in_deadline_order() {
    let early = Instant::now();
    let earlier = early - Duration::from_millis(5);
    std::thread::sleep(Duration::from_millis(2));
    let lp = asyncio::EventLoop::new();
    let log = Log::default();
    let (a, b, c) = (log.clone(), log.clone(), log.clone());
    lp.call_at(early, move || a.push("early"));
    lp.call_at(earlier, move || b.push("earlier"));
    let stop = lp.clone();
    lp.call_at(early + Duration::from_millis(1), move || {
        c.push("later");
        stop.stop();
    });
    lp.run_forever();
    assert_eq!(log.take(), ["earlier", "early", "later"]);
}

#[test]
fn call_later_and_sleep_with_huge_durations_are_clamped() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let lp = asyncio::get_running_loop();
        let h = lp.call_later(Duration::MAX, || panic!("never"));
        assert!(h.when() > asyncio::time::now() + Duration::from_secs(86_400 * 365));
        assert!(
            asyncio::time::timeout(Duration::from_secs(1), sleep(Duration::MAX))
                .await
                .is_err()
        );
        assert!(
            asyncio::time::timeout(Duration::MAX, async { 3 }).await == Ok(3),
            "a huge timeout is no timeout"
        );
        h.cancel();
    });
}

#[test]
fn asyncio_run_inside_a_running_loop_fails_in_that_task_only() {
    let lp = virtual_loop();
    let out = lp.run_until_complete(async {
        let t = asyncio::spawn(async { asyncio::run(async { 1 }) });
        let err = t.await.unwrap_err();
        assert!(err
            .panic_message()
            .unwrap()
            .contains("another loop is running"));
        sleep(Duration::from_secs(1)).await;
        2
    });
    assert_eq!(out, 2);
    // The refused loop left nothing behind: this thread can run a loop again.
    assert_eq!(asyncio::run(async { 3 }), 3);
}

#[test]
fn advancing_virtual_time_by_a_huge_duration_saturates() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let fired = Rc::new(std::cell::Cell::new(false));
        let f = fired.clone();
        asyncio::get_running_loop().call_later(Duration::from_secs(3600), move || f.set(true));
        asyncio::time::advance(Duration::MAX).await;
        assert!(fired.get());
        // Time still works after the jump.
        sleep(Duration::from_secs(1)).await;
        asyncio::time::timeout(Duration::from_secs(1), yield_now())
            .await
            .unwrap();
    });
}
