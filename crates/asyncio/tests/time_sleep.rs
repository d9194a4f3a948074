//! Sleeping, intervals and virtual time.

mod common;

use std::time::Duration;

use asyncio::time::{interval, now, sleep, sleep_until, MissedTickBehavior};
use common::{virtual_loop, Log};

#[test]
fn a_minute_of_sleeps_under_virtual_time() {
    let lp = virtual_loop();
    let start = lp.time();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        let mut hs = Vec::new();
        for secs in [60u64, 15, 30, 45] {
            let l = l.clone();
            hs.push(asyncio::spawn(async move {
                sleep(Duration::from_secs(secs)).await;
                l.push(format!("{secs}s at {:?}", now() - start));
            }));
        }
        for h in hs {
            h.await.unwrap();
        }
    });
    assert_eq!(lp.time() - start, Duration::from_secs(60));
    assert_eq!(
        log.take(),
        ["15s at 15s", "30s at 30s", "45s at 45s", "60s at 60s"]
    );
}

#[test]
fn sleep_never_ends_early_on_the_real_clock() {
    asyncio::run(async {
        for ms in [1u64, 3, 7] {
            let start = std::time::Instant::now();
            sleep(Duration::from_millis(ms)).await;
            assert!(start.elapsed() >= Duration::from_millis(ms));
        }
    });
}

#[test]
fn sleep_until_a_past_instant_is_ready_at_once_and_reset_moves_the_deadline() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let t0 = now();
        sleep_until(t0).await;
        assert_eq!(now(), t0);
        let mut s = sleep(Duration::from_secs(100));
        s.reset(t0 + Duration::from_secs(5));
        s.await;
        assert_eq!(now() - t0, Duration::from_secs(5));
    });
}

#[test]
fn a_dropped_sleep_removes_its_timer() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let t0 = now();
        // Polled once (timer armed) then dropped: the loop must not wait for it.
        let r =
            asyncio::time::timeout(Duration::from_secs(1), sleep(Duration::from_secs(1000))).await;
        assert!(r.is_err());
        sleep(Duration::from_secs(2)).await;
        assert_eq!(now() - t0, Duration::from_secs(3));
    });
    // Nothing left: the loop is idle, not waiting for a 1000 s timer.
    let t = lp.time();
    lp.run_until_complete(asyncio::time::yield_now());
    assert_eq!(lp.time(), t);
}

#[test]
fn manual_advance_fires_due_timers() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let t0 = now();
        let fired = std::rc::Rc::new(std::cell::Cell::new(false));
        let f = fired.clone();
        asyncio::get_running_loop().call_later(Duration::from_secs(10), move || f.set(true));
        asyncio::time::advance(Duration::from_secs(10)).await;
        asyncio::time::yield_now().await;
        assert!(fired.get());
        assert_eq!(now() - t0, Duration::from_secs(10));
    });
}

#[test]
fn interval_ticks_and_missed_tick_policies() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let period = Duration::from_secs(10);
        // Ticks at 0 and 10 s, then the task is busy for 25 s, past the 20 and 30 s deadlines.
        for (behavior, expected) in [
            (MissedTickBehavior::Burst, [0u64, 10, 35, 35]),
            (MissedTickBehavior::Delay, [0, 10, 35, 45]),
            (MissedTickBehavior::Skip, [0, 10, 35, 40]),
        ] {
            let base = now();
            let mut every = interval(period);
            every.set_missed_tick_behavior(behavior);
            let mut got = Vec::new();
            for i in 0..4 {
                every.tick().await;
                got.push((now() - base).as_secs());
                if i == 1 {
                    sleep(Duration::from_secs(25)).await;
                }
            }
            assert_eq!(got, expected, "{behavior:?}");
        }
    });
}
