//! Semaphore, BoundedSemaphore, Lock, Mutex, Event: FIFO waiters, cancellation that passes
//! grants on, asyncio's errors.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use asyncio::sync::{BoundedSemaphore, Event, Lock, Mutex, ReleaseError, Semaphore};
use asyncio::time::{sleep, timeout, yield_now};
use common::{virtual_loop, Log};

#[test]
fn semaphore_waiters_are_served_in_arrival_order() {
    let lp = virtual_loop();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        let sem = Semaphore::new(0);
        let mut hs = Vec::new();
        for name in ["a", "b", "c"] {
            let (sem, l) = (sem.clone(), l.clone());
            hs.push(asyncio::spawn(async move {
                let p = sem.acquire().await;
                l.push(name);
                p.forget();
            }));
        }
        yield_now().await;
        assert!(sem.locked());
        // A newcomer cannot barge in while others wait, even with a permit free.
        sem.release();
        assert!(sem.try_acquire().is_none());
        sem.release();
        sem.release();
        for h in hs {
            h.await.unwrap();
        }
        assert_eq!(sem.available_permits(), 0);
    });
    assert_eq!(log.take(), ["a", "b", "c"]);
}

#[test]
fn a_cancelled_acquire_loses_no_permit() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let sem = Semaphore::new(1);
        let held = sem.acquire().await;
        // Waiting, then cancelled: nothing changes.
        assert!(timeout(Duration::from_secs(1), sem.acquire())
            .await
            .is_err());
        // Granted, then cancelled before taking it: the permit goes to the next waiter.
        let s1 = sem.clone();
        let first = asyncio::spawn(async move { s1.acquire().await.forget() });
        let s2 = sem.clone();
        let second = asyncio::spawn(async move { s2.acquire().await.forget() });
        yield_now().await;
        drop(held); // granted to `first`
        first.cancel();
        assert!(first.await.unwrap_err().is_cancelled());
        second.await.unwrap();
        assert_eq!(
            sem.available_permits(),
            0,
            "the one permit went to `second`"
        );
        sem.release();
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn bounded_semaphore_refuses_extra_releases() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let sem = BoundedSemaphore::new(2);
        assert_eq!(sem.release(), Err(ReleaseError));
        let p = sem.acquire().await;
        p.forget();
        assert_eq!(sem.available_permits(), 1);
        assert_eq!(sem.release(), Ok(()));
        assert_eq!(sem.release(), Err(ReleaseError));
    });
}

#[test]
fn lock_manual_release_and_errors() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let lock = Lock::new();
        assert_eq!(
            lock.release(),
            Err(ReleaseError),
            "releasing an unlocked lock"
        );
        lock.acquire().await.forget();
        assert!(lock.locked());
        assert!(lock.try_acquire().is_none());
        lock.release().unwrap();
        assert!(!lock.locked());
    });
}

#[test]
fn mutex_admits_one_holder_at_a_time_across_awaits() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let m = Rc::new(Mutex::new(Vec::new()));
        let inside = Rc::new(Cell::new(false));
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let (m, inside) = (m.clone(), inside.clone());
                asyncio::spawn(async move {
                    let mut v = m.lock().await;
                    assert!(!inside.replace(true), "two holders at once");
                    sleep(Duration::from_millis(10)).await;
                    v.push(i);
                    inside.set(false);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*m.lock().await, [0, 1, 2, 3, 4], "FIFO order");
    });
}

#[test]
fn event_wakes_every_waiter_and_can_be_cleared() {
    let lp = virtual_loop();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        let ev = Event::new();
        let hs: Vec<_> = (0..3)
            .map(|i| {
                let (ev, l) = (ev.clone(), l.clone());
                asyncio::spawn(async move {
                    ev.wait().await;
                    l.push(format!("w{i}"));
                })
            })
            .collect();
        yield_now().await;
        assert!(!ev.is_set());
        assert!(timeout(Duration::from_secs(1), ev.wait()).await.is_err());
        ev.set();
        ev.clear(); // waiters woken by set() still return
        for h in hs {
            h.await.unwrap();
        }
        assert!(!ev.is_set());
        ev.set();
        ev.wait().await; // already set: at once
    });
    assert_eq!(log.take(), ["w0", "w1", "w2"]);
}
