//! Promise (asyncio.Future's role) and ThreadSafePromise.

mod common;

use std::time::Duration;

use asyncio::future::{InvalidStateError, Promise, PromiseError, ThreadSafePromise};
use common::{virtual_loop, Log};

#[test]
fn set_result_wakes_the_awaiter_and_runs_done_callbacks_soon() {
    let lp = virtual_loop();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        let p: Promise<u32, String> = Promise::new();
        let l2 = l.clone();
        p.add_done_callback(move |p| l2.push(format!("callback sees {:?}", p.result())));
        let setter = p.clone();
        asyncio::get_running_loop().call_later(Duration::from_secs(1), move || {
            setter.set_result(9).unwrap();
            assert_eq!(setter.set_result(10), Err(InvalidStateError));
        });
        let v = p.clone().await;
        l.push(format!("awaited {v:?}"));
        asyncio::time::yield_now().await;
        assert_eq!(p.clone().await, Err(PromiseError::Taken));
    });
    assert_eq!(
        log.take(),
        // Registration order, as asyncio: the callback came first, so it sees the value.
        ["callback sees Some(Ok(9))", "awaited Ok(9)"]
    );
}

#[test]
fn errors_and_cancellation() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let p: Promise<(), &str> = Promise::new();
        p.set_error("bad").unwrap();
        assert_eq!(p.result(), Some(Err(PromiseError::Failed("bad"))));
        assert_eq!(p.await, Err(PromiseError::Failed("bad")));

        let c: Promise<u8, ()> = Promise::new();
        assert!(c.cancel());
        assert!(!c.cancel());
        assert!(c.is_cancelled() && c.is_done());
        assert_eq!(c.await, Err(PromiseError::Cancelled));
    });
}

#[test]
fn threadsafe_promise_wait_and_timeout() {
    let p: ThreadSafePromise<u8> = ThreadSafePromise::new();
    assert_eq!(p.wait_timeout(Duration::from_millis(1)), None);
    let p2 = p.clone();
    std::thread::spawn(move || assert!(p2.set(3)));
    assert_eq!(p.wait(), 3);
    assert!(!p.set(4), "set twice is refused");
}
