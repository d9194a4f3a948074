//! Reaching a loop from other threads: call_soon_threadsafe, remote spawn, stop, wakers.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use asyncio::future::ThreadSafePromise;
use asyncio::EventLoop;

#[test]
fn call_soon_threadsafe_wakes_a_sleeping_loop() {
    let lp = EventLoop::new();
    let remote = lp.remote();
    let (tx, rx) = mpsc::channel();
    let promise = ThreadSafePromise::new();
    let p = promise.clone();
    let worker = thread::spawn(move || {
        // Wait until the loop is asleep in its poller, waiting on the promise.
        rx.recv().unwrap();
        remote
            .call_soon_threadsafe(move || {
                p.set("from the worker");
            })
            .unwrap();
    });
    let got = lp.run_until_complete(async move {
        asyncio::get_running_loop().call_soon(move || tx.send(()).unwrap());
        promise.await
    });
    assert_eq!(got, "from the worker");
    worker.join().unwrap();
}

#[test]
fn remote_spawn_result_from_a_plain_thread_and_stop() {
    let lp = EventLoop::new();
    let remote = lp.remote();
    let worker = thread::spawn(move || {
        let h = remote
            .spawn(async {
                asyncio::time::sleep(Duration::from_millis(1)).await;
                21 * 2
            })
            .unwrap();
        let v = h.wait();
        let panicked = remote
            .spawn(async { panic!("remote boom") })
            .unwrap()
            .wait();
        remote.stop();
        (v, panicked)
    });
    lp.run_forever();
    let (v, panicked) = worker.join().unwrap();
    assert_eq!(v, Ok(42));
    assert_eq!(panicked.unwrap_err().panic_message(), Some("remote boom"));
}

#[test]
fn remote_spawn_awaited_from_another_loop() {
    let (tx, rx) = mpsc::channel();
    let server = thread::spawn(move || {
        let lp = EventLoop::new();
        tx.send(lp.remote()).unwrap();
        lp.run_forever();
        lp.close();
    });
    let remote = rx.recv().unwrap();
    let v = asyncio::run(async {
        let h = remote
            .spawn(async { "computed on the other loop" })
            .unwrap();
        h.await
    });
    assert_eq!(v, Ok("computed on the other loop"));
    remote.stop();
    server.join().unwrap();
}

#[test]
fn remote_cancel_and_closed_loops() {
    let lp = EventLoop::new();
    let remote = lp.remote();
    let r2 = remote.clone();
    let worker = thread::spawn(move || {
        let h = r2
            .spawn(async {
                std::future::pending::<()>().await;
            })
            .unwrap();
        h.cancel();
        let out = h.wait();
        r2.stop();
        out
    });
    lp.run_forever();
    assert!(worker.join().unwrap().unwrap_err().is_cancelled());
    // A task still pending when the loop closes ends as cancelled for its remote waiter.
    let h = remote.spawn(std::future::pending::<()>()).unwrap();
    lp.run_until_complete(asyncio::time::yield_now());
    lp.close();
    assert!(h.wait().unwrap_err().is_cancelled());
    assert!(remote.spawn(async {}).is_err());
}

#[test]
fn wakers_from_other_threads_reach_the_task() {
    let v = asyncio::run(async {
        let mut hs = Vec::new();
        for i in 0..8u64 {
            hs.push(asyncio::spawn(async move {
                let p = ThreadSafePromise::new();
                let p2 = p.clone();
                thread::spawn(move || {
                    p2.set(i * 10);
                });
                p.await
            }));
        }
        let mut sum = 0;
        for h in hs {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(v, 280);
}

#[test]
fn a_threadsafe_callback_cancelled_before_it_runs_never_runs() {
    let lp = EventLoop::new();
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r = ran.clone();
    let remote = lp.remote();
    // Sent and cancelled from another thread before the loop runs.
    let handle = thread::spawn(move || {
        let h = remote
            .call_soon_threadsafe(move || r.store(true, std::sync::atomic::Ordering::SeqCst))
            .unwrap();
        h.cancel();
        h
    })
    .join()
    .unwrap();
    assert!(handle.cancelled());
    lp.run_until_complete(asyncio::time::yield_now());
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
}

#[test]
fn handles_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<asyncio::RemoteHandle>();
}
