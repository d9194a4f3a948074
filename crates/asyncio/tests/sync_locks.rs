//! Semaphore, BoundedSemaphore, Lock, Mutex, Event: FIFO waiters, cancellation that passes
//! grants on, asyncio's errors.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use asyncio::sync::{
    Barrier, BoundedSemaphore, BrokenBarrierError, Condition, Event, Lock, Mutex, ReleaseError,
    Semaphore,
};
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

#[test]
fn condition_notify_wakes_in_order_and_releases_the_lock_while_waiting() {
    let lp = virtual_loop();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        let cond = Condition::new();
        let hs: Vec<_> = (0..3)
            .map(|i| {
                let (c, l) = (cond.clone(), l.clone());
                asyncio::spawn(async move {
                    let g = c.acquire().await;
                    let _g = c.wait(g).await;
                    l.push(format!("w{i}"));
                })
            })
            .collect();
        yield_now().await;
        assert!(!cond.locked(), "waiters released the lock");
        cond.notify(2);
        sleep(Duration::from_secs(1)).await;
        assert_eq!(l.take(), ["w0", "w1"]);
        // A notified waiter that is cancelled passes the notification on.
        cond.notify_all();
        for h in hs {
            h.await.unwrap();
        }
        // wait_for checks its predicate under the lock.
        let flag = Rc::new(Cell::new(false));
        let (c, f) = (cond.clone(), flag.clone());
        let waiter = asyncio::spawn(async move {
            let g = c.acquire().await;
            drop(c.wait_for(g, || f.get()).await);
        });
        yield_now().await;
        cond.notify_all(); // predicate still false: keeps waiting
        sleep(Duration::from_secs(1)).await;
        assert!(!waiter.is_done());
        flag.set(true);
        cond.notify_all();
        waiter.await.unwrap();
    });
    assert_eq!(log.take(), ["w2"]);
}

#[test]
fn a_cancelled_notified_condition_waiter_passes_the_notification_on() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let cond = Condition::new();
        let (c1, c2) = (cond.clone(), cond.clone());
        let first = asyncio::spawn(async move {
            let g = c1.acquire().await;
            drop(c1.wait(g).await);
        });
        let second = asyncio::spawn(async move {
            let g = c2.acquire().await;
            drop(c2.wait(g).await);
        });
        yield_now().await;
        cond.notify(1); // to `first`
        first.cancel();
        assert!(first.await.unwrap_err().is_cancelled());
        second.await.unwrap(); // got the notification instead
    });
}

#[test]
fn barrier_rounds_abort_and_cancelled_parties() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let b = Barrier::new(2);
        assert_eq!(b.parties(), 2);
        for _round in 0..2 {
            let b2 = b.clone();
            let other = asyncio::spawn(async move { b2.wait().await });
            yield_now().await;
            assert_eq!(b.n_waiting(), 1);
            let mine = b.wait().await.unwrap();
            let theirs = other.await.unwrap().unwrap();
            assert_eq!((theirs, mine), (0, 1));
        }
        // A party that leaves no longer counts.
        assert!(timeout(Duration::from_secs(1), b.wait()).await.is_err());
        assert_eq!(b.n_waiting(), 0);
        // Abort breaks the waiters and later calls.
        let b2 = b.clone();
        let waiting = asyncio::spawn(async move { b2.wait().await });
        yield_now().await;
        b.abort();
        assert_eq!(waiting.await.unwrap(), Err(BrokenBarrierError));
        assert!(b.broken());
        assert_eq!(b.wait().await, Err(BrokenBarrierError));
    });
}

#[test]
fn rwlock_shares_reads_excludes_writes_and_does_not_starve_writers() {
    let lp = virtual_loop();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        let lock = Rc::new(asyncio::sync::RwLock::new(0u32));
        let r1 = lock.read().await;
        let r2 = lock.read().await; // shared
        assert_eq!(*r1 + *r2, 0);
        // A writer queues behind the readers; a reader arriving after it queues behind it.
        let (lw, ll) = (lock.clone(), l.clone());
        let writer = asyncio::spawn(async move {
            *lw.write().await += 1;
            ll.push("write");
        });
        let (lr, ll) = (lock.clone(), l.clone());
        let late_reader = asyncio::spawn(async move {
            let v = *lr.read().await;
            ll.push(format!("read {v}"));
        });
        yield_now().await;
        assert!(!writer.is_done());
        drop((r1, r2));
        writer.await.unwrap();
        late_reader.await.unwrap();
        // A writer cancelled after being let in hands its turn on.
        let held = lock.write().await;
        let lw = lock.clone();
        let w1 = asyncio::spawn(async move { drop(lw.write().await) });
        let (lr, ll) = (lock.clone(), l.clone());
        let r = asyncio::spawn(async move {
            let v = *lr.read().await;
            ll.push(format!("after cancel {v}"));
        });
        yield_now().await;
        drop(held); // w1 is let in
        w1.cancel();
        assert!(w1.await.unwrap_err().is_cancelled());
        r.await.unwrap();
    });
    assert_eq!(log.take(), ["write", "read 1", "after cancel 1"]);
}

#[test]
fn an_unfair_lock_lets_the_releaser_take_it_back_and_still_serves_waiters() {
    let lp = virtual_loop();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        for unfair in [false, true] {
            let lock = if unfair {
                Lock::new_unfair()
            } else {
                Lock::new()
            };
            let held = lock.acquire().await;
            let (lk, l2) = (lock.clone(), l.clone());
            let waiter = asyncio::spawn(async move {
                drop(lk.acquire().await);
                l2.push(format!("waiter (unfair: {unfair})"));
            });
            yield_now().await;
            drop(held);
            // Fair: the lock went to the waiter. Unfair: it is free for the first to ask.
            let again = lock.try_acquire();
            assert_eq!(again.is_some(), unfair);
            assert!(lock.locked());
            drop(again);
            waiter.await.unwrap();
            assert!(!lock.locked());
        }
    });
    assert_eq!(
        log.take(),
        ["waiter (unfair: false)", "waiter (unfair: true)"]
    );
}

#[test]
fn an_unfair_waiter_cancelled_after_its_wake_up_wakes_the_next() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let m = Rc::new(Mutex::new_unfair(0));
        let held = m.lock().await;
        let first = asyncio::spawn({
            let m = m.clone();
            async move { *m.lock().await += 1 }
        });
        let second = asyncio::spawn({
            let m = m.clone();
            async move { *m.lock().await += 10 }
        });
        yield_now().await;
        drop(held); // wakes `first` only
        first.cancel(); // before it polls: its wake-up must pass to `second`
        assert!(first.await.unwrap_err().is_cancelled());
        // Virtual time: a lost wake-up shows as this timeout, not as a hang.
        timeout(Duration::from_secs(60), second)
            .await
            .expect("the second waiter was never woken")
            .unwrap();
        assert_eq!(*m.lock().await, 10);
    });
}

#[test]
fn an_unfair_semaphore_wakes_a_waiter_per_free_permit() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let sem = Semaphore::new_unfair(0);
        let done = Rc::new(Cell::new(0));
        let hs: Vec<_> = (0..3)
            .map(|_| {
                let (sem, done) = (sem.clone(), done.clone());
                asyncio::spawn(async move {
                    sem.acquire().await.forget();
                    done.set(done.get() + 1);
                })
            })
            .collect();
        yield_now().await;
        sem.release();
        sem.release();
        // Both free permits reach waiters; the third waiter keeps waiting.
        for _ in 0..3 {
            yield_now().await;
        }
        assert_eq!(done.get(), 2);
        assert_eq!(sem.available_permits(), 0);
        sem.release();
        for h in hs {
            h.await.unwrap();
        }
        assert_eq!(done.get(), 3);
    });
}

#[test]
fn an_unfair_mutex_under_contention_loses_no_wake_up() {
    let lp = virtual_loop();
    let total = lp.run_until_complete(async {
        let m = Rc::new(Mutex::new_unfair(0u32));
        let hs: Vec<_> = (0..20)
            .map(|_| {
                let m = m.clone();
                asyncio::spawn(async move {
                    for _ in 0..50 {
                        let mut g = m.lock().await;
                        yield_now().await; // held across a switch: the others queue up
                        *g += 1;
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        let v = *m.lock().await;
        v
    });
    assert_eq!(total, 1000);
}
