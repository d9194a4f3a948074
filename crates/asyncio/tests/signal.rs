//! Signals: delivery to listeners on any loop, counting, handlers, refusal of unhandleable
//! signals. Each test uses its own signal: they share one process.

use std::cell::Cell;
use std::rc::Rc;

use asyncio::signal::{self, SignalKind};

fn me() -> u32 {
    std::process::id()
}

#[asyncio::test]
async fn a_signal_wakes_a_sleeping_loop() {
    let mut s = signal::signal(SignalKind::user_defined1()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let sender = std::thread::spawn(move || {
        // Sent while the loop waits in the poller.
        rx.recv().unwrap();
        signal::send(me(), SignalKind::user_defined1()).unwrap();
        rx.recv().unwrap();
        signal::send(me(), SignalKind::user_defined1()).unwrap();
    });
    tx.send(()).unwrap();
    assert_eq!(s.recv().await, Some(()));
    tx.send(()).unwrap();
    assert_eq!(s.recv().await, Some(()));
    sender.join().unwrap();
}

#[asyncio::test]
async fn queued_real_time_signals_each_count() {
    // Standard signals merge while pending (the kernel keeps one); real-time ones queue, and
    // every arrival is one item.
    let sig = SignalKind::from_raw(libc::SIGRTMIN() + 3);
    let mut s = signal::signal(sig).unwrap();
    for _ in 0..3 {
        signal::send(me(), sig).unwrap();
    }
    for _ in 0..3 {
        s.recv().await;
    }
}

#[test]
fn every_listening_loop_gets_the_signal() {
    let sig = SignalKind::from_raw(libc::SIGRTMIN() + 1);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let loops: Vec<_> = (0..3)
        .map(|_| {
            let ready = ready_tx.clone();
            std::thread::spawn(move || {
                asyncio::run(async move {
                    let mut s = signal::signal(sig).unwrap();
                    ready.send(()).unwrap();
                    s.recv().await;
                    true
                })
            })
        })
        .collect();
    for _ in 0..3 {
        ready_rx.recv().unwrap();
    }
    signal::send(me(), sig).unwrap();
    for l in loops {
        assert!(l.join().unwrap());
    }
}

#[asyncio::test]
async fn loop_signal_handlers_run_until_removed() {
    let lp = asyncio::get_running_loop();
    let sig = SignalKind::window_change(); // harmless by default: safe to send unhandled
    let calls = Rc::new(Cell::new(0));
    let done = asyncio::sync::Event::new();
    let (c, d) = (calls.clone(), done.clone());
    lp.add_signal_handler(sig, move || {
        c.set(c.get() + 1);
        d.set();
    })
    .unwrap();
    // Let the handler's task start listening before the signal is sent.
    asyncio::time::yield_now().await;
    signal::send(me(), sig).unwrap();
    done.wait().await;
    assert_eq!(calls.get(), 1);
    assert!(lp.remove_signal_handler(sig));
    assert!(!lp.remove_signal_handler(sig));
    // After removal the handler no longer runs; a listener of our own proves the signal came.
    let mut probe = signal::signal(sig).unwrap();
    signal::send(me(), sig).unwrap();
    probe.recv().await;
    asyncio::time::yield_now().await;
    assert_eq!(calls.get(), 1);
}

#[asyncio::test]
async fn signals_that_cannot_be_handled_are_refused() {
    for sig in [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV] {
        let e = signal::signal(SignalKind::from_raw(sig)).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    }
    let e = signal::signal(SignalKind::from_raw(9999)).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
}

#[asyncio::test]
async fn signal_is_a_stream() {
    use futures_core::Stream;
    let sig = SignalKind::from_raw(libc::SIGRTMIN() + 2);
    let mut s = signal::signal(sig).unwrap();
    signal::send(me(), sig).unwrap();
    let item = std::future::poll_fn(|cx| std::pin::Pin::new(&mut s).poll_next(cx)).await;
    assert_eq!(item, Some(()));
}
