//! ThreadSafeQueue: loops and plain threads connected, cancellation, shutdown, join.

mod common;

use std::thread;
use std::time::Duration;

use asyncio::sync::{GetError, PutError, ThreadSafeQueue};
use asyncio::time::{timeout, yield_now};
use common::virtual_loop;

#[test]
fn it_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<ThreadSafeQueue<String>>();
}

#[test]
fn two_loops_on_two_threads_exchange_items_and_a_thread_joins() {
    let q = ThreadSafeQueue::new(8);
    let producer = {
        let q = q.clone();
        thread::spawn(move || {
            asyncio::run(async move {
                for i in 0..1000u64 {
                    q.put(i).await.unwrap();
                }
            })
        })
    };
    let consumer = {
        let q = q.clone();
        thread::spawn(move || {
            asyncio::run(async move {
                let mut sum = 0;
                for _ in 0..1000 {
                    sum += q.get().await.unwrap();
                    q.task_done().unwrap();
                }
                sum
            })
        })
    };
    producer.join().unwrap();
    q.join_blocking(); // a plain thread waits for every item to be processed
    assert_eq!(consumer.join().unwrap(), 999 * 1000 / 2);
    assert!(q.empty());
}

#[test]
fn a_plain_thread_blocks_on_a_loop_producer() {
    let q = ThreadSafeQueue::new(1);
    let reader = {
        let q = q.clone();
        thread::spawn(move || {
            let mut got = Vec::new();
            while let Ok(v) = q.get_blocking() {
                got.push(v);
            }
            got
        })
    };
    asyncio::run(async {
        for i in 0..20 {
            q.put(i).await.unwrap();
        }
        q.shutdown(false);
    });
    assert_eq!(reader.join().unwrap(), (0..20).collect::<Vec<_>>());
    assert_eq!(q.put_nowait(1), Err(PutError::ShutDown(1)));
}

/// A thread blocked putting into a full queue is woken by each `get` on a loop (the queue
/// notifies blocked threads only when there are some: this one must not be missed).
#[test]
fn a_plain_thread_blocked_on_a_full_queue_is_woken_by_a_loop_consumer() {
    let q = ThreadSafeQueue::new(1);
    let writer = {
        let q = q.clone();
        thread::spawn(move || {
            for i in 0..200 {
                q.put_blocking(i).unwrap();
            }
            q.join_blocking();
        })
    };
    let got = asyncio::run(async {
        let mut got = Vec::new();
        while got.len() < 200 {
            got.push(q.get().await.unwrap());
            q.task_done().unwrap();
        }
        got
    });
    writer.join().unwrap();
    assert_eq!(got, (0..200).collect::<Vec<_>>());
}

#[test]
fn cancelled_gets_lose_no_item_and_pass_their_wake_up_on() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let q: ThreadSafeQueue<u32> = ThreadSafeQueue::new(0);
        assert!(timeout(Duration::from_secs(1), q.get()).await.is_err());
        let (q1, q2) = (q.clone(), q.clone());
        let first = asyncio::spawn(async move { q1.get().await });
        let second = asyncio::spawn(async move { q2.get().await });
        yield_now().await;
        q.put(5).await.unwrap(); // wakes `first`
        first.cancel();
        assert!(first.await.unwrap_err().is_cancelled());
        assert_eq!(second.await.unwrap(), Ok(5));
    });
}

#[test]
fn shutdown_wakes_a_blocked_thread_and_immediate_drops_items() {
    let q: ThreadSafeQueue<u8> = ThreadSafeQueue::new(0);
    let blocked = {
        let q = q.clone();
        thread::spawn(move || q.get_blocking())
    };
    q.shutdown(false);
    assert_eq!(blocked.join().unwrap(), Err(GetError::ShutDown));

    let q: ThreadSafeQueue<u8> = ThreadSafeQueue::new(0);
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    q.shutdown(true);
    q.join_blocking(); // the dropped items count as done
    assert_eq!(q.get_nowait(), Err(GetError::ShutDown));
}
