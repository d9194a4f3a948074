//! The loop's callback API: ordering, batches, stop, cancellation.

mod common;

use std::time::Duration;

use asyncio::EventLoop;
use common::{virtual_loop, Log};

#[test]
fn call_soon_runs_fifo_and_stop_lets_the_batch_finish() {
    // Seed 001's event_handler program: the second handler stops the loop.
    let lp = EventLoop::new();
    let log = Log::default();
    for (i, stop) in [(1, false), (2, true), (3, false)] {
        let (lp2, log2) = (lp.clone(), log.clone());
        lp.call_soon(move || {
            log2.push(format!("handler {i}"));
            if stop {
                lp2.stop();
            }
        });
    }
    let (lp2, log2) = (lp.clone(), log.clone());
    lp.call_soon(move || {
        let log3 = log2.clone();
        // Scheduled during the batch: must not run in this iteration.
        lp2.call_soon(move || log3.push("next iteration"));
    });
    lp.run_forever();
    assert_eq!(log.take(), ["handler 1", "handler 2", "handler 3"]);
    assert!(!lp.is_running());
    // The callback scheduled during the stopped batch runs when the loop runs again.
    lp.stop();
    lp.run_forever();
    assert_eq!(log.take(), ["next iteration"]);
    lp.close();
    assert!(lp.is_closed());
}

#[test]
fn callbacks_scheduled_in_a_batch_wait_for_the_next_iteration() {
    let lp = EventLoop::new();
    let log = Log::default();
    let (lp2, log2) = (lp.clone(), log.clone());
    lp.call_soon(move || {
        log2.push("a");
        let log3 = log2.clone();
        lp2.call_soon(move || log3.push("c"));
    });
    let log2 = log.clone();
    lp.call_soon(move || log2.push("b"));
    lp.run_until_complete(asyncio::time::yield_now());
    lp.run_until_complete(asyncio::time::yield_now());
    assert_eq!(log.take(), ["a", "b", "c"]);
}

#[test]
fn timers_with_equal_deadlines_run_in_scheduling_order() {
    let lp = virtual_loop();
    let log = Log::default();
    let when = lp.time() + Duration::from_millis(100);
    // Scheduled far ahead first (upper wheel levels), then near (lower levels): order must hold.
    for i in 0..5 {
        let log2 = log.clone();
        lp.call_at(when, move || log2.push(format!("t{i}")));
    }
    let (lp2, log2) = (lp.clone(), log.clone());
    lp.call_later(Duration::from_millis(99), move || {
        let log3 = log2.clone();
        lp2.call_at(when, move || log3.push("late-scheduled"));
    });
    let log2 = log.clone();
    lp.call_later(Duration::from_millis(50), move || log2.push("earlier"));
    lp.run_until_complete(asyncio::time::sleep(Duration::from_millis(200)));
    assert_eq!(
        log.take(),
        ["earlier", "t0", "t1", "t2", "t3", "t4", "late-scheduled"]
    );
}

#[test]
fn cancelled_handles_never_run_and_drop_their_closure() {
    let lp = virtual_loop();
    let log = Log::default();
    let dropped = common::DropCounter::default();
    let g = dropped.guard();
    let log2 = log.clone();
    let soon = lp.call_soon(move || {
        let _g = g;
        log2.push("soon");
    });
    let log2 = log.clone();
    let later = lp.call_later(Duration::from_secs(1), move || log2.push("later"));
    assert_eq!(later.when(), lp.time() + Duration::from_secs(1));
    soon.cancel();
    later.cancel();
    assert!(soon.cancelled() && later.cancelled());
    assert_eq!(dropped.count(), 1, "cancel drops the closure at once");
    lp.run_until_complete(asyncio::time::sleep(Duration::from_secs(2)));
    assert!(log.take().is_empty());
}

/// Logs each report of the exception handler as "kind: panic message".
fn log_panics(lp: &EventLoop, log: &Log) {
    let log = log.clone();
    lp.set_exception_handler(move |_, ctx| {
        log.push(format!(
            "{:?}: {}",
            ctx.kind,
            ctx.panic_message.clone().unwrap_or_default()
        ));
    });
}

#[test]
fn a_panicking_callback_reaches_the_exception_handler_and_the_loop_goes_on() {
    let lp = EventLoop::new();
    let log = Log::default();
    log_panics(&lp, &log);
    lp.call_soon(|| panic!("boom"));
    let log2 = log.clone();
    lp.call_soon(move || log2.push("after"));
    lp.run_until_complete(asyncio::time::yield_now());
    assert_eq!(log.take(), ["CallbackPanic: boom", "after"]);
}

#[test]
fn run_forever_after_stop_runs_one_iteration() {
    let lp = EventLoop::new();
    let log = Log::default();
    let log2 = log.clone();
    lp.call_soon(move || log2.push("ran"));
    lp.stop();
    lp.run_forever();
    assert_eq!(log.take(), ["ran"]);
}

#[test]
fn closed_loop_refuses_work_and_close_is_idempotent() {
    let lp = EventLoop::new();
    lp.close();
    lp.close();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        lp.call_soon(|| {});
    }));
    assert!(r.is_err());
    assert!(lp.remote().call_soon_threadsafe(|| {}).is_err());
}

#[test]
#[should_panic(expected = "event loop stopped before the future completed")]
fn run_until_complete_panics_when_stopped_early() {
    let lp = EventLoop::new();
    let lp2 = lp.clone();
    lp.call_soon(move || lp2.stop());
    lp.run_until_complete(asyncio::time::sleep(Duration::from_secs(60)));
}

#[test]
fn nested_loops_on_one_thread_are_refused() {
    let outer = EventLoop::new();
    let inner = EventLoop::new();
    let r = outer.run_until_complete(async move {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            inner.run_until_complete(async {});
        }))
        .is_err()
    });
    assert!(r);
}

#[test]
fn threadsafe_callbacks_sent_before_a_call_soon_run_before_it() {
    let lp = asyncio::EventLoop::new();
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let remote = lp.remote();
    let o = order.clone();
    std::thread::spawn(move || {
        remote
            .call_soon_threadsafe(move || o.lock().unwrap().push("sent from a thread"))
            .unwrap();
    })
    .join()
    .unwrap();
    let (o, lp2) = (order.clone(), lp.clone());
    lp.call_soon(move || {
        o.lock().unwrap().push("scheduled after");
        lp2.stop();
    });
    lp.run_forever();
    assert_eq!(
        *order.lock().unwrap(),
        ["sent from a thread", "scheduled after"]
    );
}

/// How many busy iterations pass between a descriptor turning readable and its reader
/// running, with the loop checking I/O every `interval` busy iterations. A task yields in a
/// loop to keep the loop busy, counting its turns; a byte is written after its first turn.
fn turns_until_reader_runs(interval: u32) -> u64 {
    use std::cell::Cell;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::rc::Rc;
    let lp = EventLoop::builder()
        .io_check_interval(interval)
        .build()
        .unwrap();
    let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let turns = Rc::new(Cell::new(0u64));
    let seen_at = Rc::new(Cell::new(None));
    {
        let (turns, seen_at) = (turns.clone(), seen_at.clone());
        lp.add_reader(a.as_raw_fd(), move || {
            if seen_at.get().is_none() {
                seen_at.set(Some(turns.get()));
            }
        })
        .unwrap();
    }
    let (t, s) = (turns.clone(), seen_at.clone());
    lp.run_until_complete(async move {
        // Let the reader's watcher start and wait, then make it readable.
        asyncio::time::yield_now().await;
        asyncio::time::yield_now().await;
        b.write_all(b"x").unwrap();
        let written_at = t.get();
        while s.get().is_none() {
            t.set(t.get() + 1);
            asyncio::time::yield_now().await;
        }
        s.get().unwrap() - written_at
    })
}

#[test]
#[cfg_attr(miri, ignore = "real sockets: Miri has no ioctl on a socketpair")]
fn io_is_checked_every_iteration_with_an_interval_of_one() {
    // The reader runs on the very next iteration, busy or not (CPython's loop's order).
    assert!(turns_until_reader_runs(1) <= 2);
    // By default I/O waits up to the interval while the loop stays busy.
    let default = turns_until_reader_runs(61);
    assert!(default > 2 && default <= 62, "{default}");
}

/// A [`RawCallback`](asyncio::event_loop::RawCallback) behind a `Box`: logs when it runs and
/// when it is dropped, so a leak or a double drop shows (and Miri checks the pointer work).
struct Boxed {
    name: &'static str,
    log: Log,
    panics: bool,
}

impl Drop for Boxed {
    fn drop(&mut self) {
        self.log.push(format!("drop {}", self.name));
    }
}

struct BoxedCallback(Box<Boxed>);

impl BoxedCallback {
    /// # Safety
    /// `ptr` is a leaked `Box<Boxed>`, taken back once.
    unsafe fn from_raw(ptr: std::ptr::NonNull<()>) -> Box<Boxed> {
        // SAFETY: as the caller promises.
        unsafe { Box::from_raw(ptr.cast::<Boxed>().as_ptr()) }
    }
}

// SAFETY: `into_raw` gives the box up as its pointer; `run_raw` and `drop_raw` take the same
// box back.
unsafe impl asyncio::event_loop::RawCallback for BoxedCallback {
    fn into_raw(self) -> std::ptr::NonNull<()> {
        std::ptr::NonNull::from(Box::leak(self.0)).cast()
    }

    unsafe fn run_raw(ptr: std::ptr::NonNull<()>) {
        // SAFETY: the trait's contract: `ptr` came from `into_raw`, taken back once.
        let this = unsafe { Self::from_raw(ptr) };
        this.log.push(format!("run {}", this.name));
        assert!(!this.panics, "raw {} panicked", this.name);
    }

    unsafe fn drop_raw(ptr: std::ptr::NonNull<()>) {
        // SAFETY: as in `run_raw`.
        drop(unsafe { Self::from_raw(ptr) });
    }
}

fn boxed(name: &'static str, log: &Log) -> BoxedCallback {
    BoxedCallback(Box::new(Boxed {
        name,
        log: log.clone(),
        panics: false,
    }))
}

#[test]
fn raw_callbacks_keep_fifo_with_closures_and_are_dropped_once() {
    let lp = EventLoop::new();
    let log = Log::default();
    lp.call_soon_raw(boxed("a", &log));
    let log2 = log.clone();
    lp.call_soon(move || log2.push("closure"));
    lp.call_soon_raw(boxed("b", &log));
    lp.run_until_complete(asyncio::time::yield_now());
    assert_eq!(
        log.take(),
        ["run a", "drop a", "closure", "run b", "drop b"]
    );
    // Closing the loop drops what never ran, once.
    lp.call_soon_raw(boxed("never", &log));
    lp.close();
    assert_eq!(log.take(), ["drop never"]);
}

#[test]
fn a_panicking_raw_callback_is_dropped_and_reported() {
    let lp = EventLoop::new();
    let log = Log::default();
    log_panics(&lp, &log);
    let mut cb = boxed("p", &log);
    cb.0.panics = true;
    lp.call_soon_raw(cb);
    lp.call_soon_raw(boxed("after", &log));
    lp.run_until_complete(asyncio::time::yield_now());
    assert_eq!(
        log.take(),
        [
            "run p",
            "drop p",
            "CallbackPanic: raw p panicked",
            "run after",
            "drop after"
        ]
    );
}

#[test]
fn raw_timers_fire_in_order_and_cancel_drops_them() {
    let lp = virtual_loop();
    let log = Log::default();
    let now = lp.time();
    let late = lp.call_at_raw(now + Duration::from_secs(2), boxed("late", &log));
    let early = lp.call_at_raw(now + Duration::from_secs(1), boxed("early", &log));
    let cancelled = lp.call_at_raw(now + Duration::from_secs(1), boxed("cancelled", &log));
    assert_eq!(early.when(), now + Duration::from_secs(1));
    assert!(cancelled.cancel());
    assert_eq!(log.take(), ["drop cancelled"]);
    assert!(!cancelled.cancel(), "a second cancel finds nothing");
    lp.run_until_complete(asyncio::time::sleep(Duration::from_secs(3)));
    assert_eq!(
        log.take(),
        ["run early", "drop early", "run late", "drop late"]
    );
    assert!(!late.cancel(), "a fired timer cannot be cancelled");
    assert!(log.take().is_empty());
    // A pending raw timer is dropped when the loop closes.
    lp.call_at_raw(lp.time() + Duration::from_secs(1), boxed("pending", &log));
    lp.close();
    assert_eq!(log.take(), ["drop pending"]);
}

#[test]
fn tasks_closures_raw_callbacks_and_the_main_future_share_one_fifo() {
    // The ready queue keeps a task's turn and the main future's in its one-word slots and the
    // other items beside them: the order of scheduling must still be the order of running.
    let lp = EventLoop::new();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        let core = asyncio::get_running_loop();
        let (a, b, c) = (l.clone(), l.clone(), l.clone());
        let t1 = asyncio::spawn(async move { a.push("task 1") });
        core.call_soon(move || b.push("closure"));
        core.call_soon_raw(boxed("raw", &l));
        let t2 = asyncio::spawn(async move { c.push("task 2") });
        // The main future's own turn comes after everything queued before its yield.
        asyncio::time::yield_now().await;
        l.push("main");
        t1.await.unwrap();
        t2.await.unwrap();
    });
    assert_eq!(
        log.take(),
        ["task 1", "closure", "run raw", "drop raw", "task 2", "main"]
    );
}
