//! Queue, LifoQueue, PriorityQueue: asyncio's documented behaviour, FIFO waiters, join,
//! shutdown, and cancellation in every waiting state (nothing lost, nothing inserted).

mod common;

use std::time::Duration;

use asyncio::sync::{GetError, LifoQueue, PriorityQueue, PutError, Queue, TaskDoneError};
use asyncio::time::{sleep, timeout, yield_now};
use common::{virtual_loop, DropCounter, Log};

#[test]
fn nowait_operations_and_sizes() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let q = Queue::new(2);
        assert_eq!(q.get_nowait(), Err(GetError::Empty));
        q.put_nowait(1).unwrap();
        q.put_nowait(2).unwrap();
        assert!(q.full());
        assert_eq!(q.put_nowait(3), Err(PutError::Full(3)));
        assert_eq!((q.qsize(), q.maxsize(), q.empty()), (2, 2, false));
        assert_eq!(q.get_nowait(), Ok(1));
        assert_eq!(q.get_nowait(), Ok(2));
        assert!(q.empty() && !q.full());
        let unbounded = Queue::new(0);
        for i in 0..10_000 {
            unbounded.put_nowait(i).unwrap();
        }
        assert!(!unbounded.full());
    });
}

#[test]
fn lifo_and_priority_orders() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let l = LifoQueue::with_store(0);
        let p = PriorityQueue::with_store(0);
        for i in [3, 1, 2] {
            l.put(i).await.unwrap();
            p.put(i).await.unwrap();
        }
        let mut lo = Vec::new();
        let mut po = Vec::new();
        for _ in 0..3 {
            lo.push(l.get().await.unwrap());
            po.push(p.get().await.unwrap());
        }
        assert_eq!(lo, [2, 1, 3]);
        assert_eq!(po, [1, 2, 3]);
    });
}

#[test]
fn waiting_getters_are_served_in_arrival_order() {
    let lp = virtual_loop();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        let q: Queue<u32> = Queue::new(0);
        let mut hs = Vec::new();
        for name in ["a", "b", "c"] {
            let (q, l) = (q.clone(), l.clone());
            hs.push(asyncio::spawn(async move {
                let v = q.get().await.unwrap();
                l.push(format!("{name}={v}"));
            }));
        }
        yield_now().await; // all three wait
        assert_eq!(q.getters_waiting(), 3);
        for v in [10, 20, 30] {
            q.put(v).await.unwrap();
        }
        // A get_nowait cannot steal an item already reserved for a waiting getter.
        assert_eq!(q.get_nowait(), Err(GetError::Empty));
        for h in hs {
            h.await.unwrap();
        }
    });
    assert_eq!(log.take(), ["a=10", "b=20", "c=30"]);
}

#[test]
fn waiting_putters_are_served_in_arrival_order_and_a_full_queue_blocks() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let q = Queue::new(1);
        q.put(0).await.unwrap();
        let mut hs = Vec::new();
        for v in 1..=3 {
            let q = q.clone();
            hs.push(asyncio::spawn(async move { q.put(v).await.unwrap() }));
        }
        yield_now().await;
        // Room is taken by waiting putters first: a newcomer's put_nowait is refused.
        let mut got = Vec::new();
        for i in 0..4 {
            got.push(q.get().await.unwrap());
            if i < 3 {
                assert_eq!(q.put_nowait(99), Err(PutError::Full(99)));
            }
        }
        assert_eq!(got, [0, 1, 2, 3]);
        for h in hs {
            h.await.unwrap();
        }
    });
}

#[test]
fn join_returns_exactly_when_the_last_task_done_arrives() {
    let lp = virtual_loop();
    let log = Log::default();
    let l = log.clone();
    lp.run_until_complete(async move {
        let q = Queue::new(0);
        assert_eq!(q.task_done(), Err(TaskDoneError));
        q.join().await; // nothing put: returns at once
        for i in 0..3 {
            q.put(i).await.unwrap();
        }
        let (q2, l2) = (q.clone(), l.clone());
        let joiner = asyncio::spawn(async move {
            q2.join().await;
            l2.push("joined");
        });
        for i in 0..3 {
            q.get().await.unwrap();
            sleep(Duration::from_secs(1)).await;
            l.push(format!("done {i}"));
            q.task_done().unwrap();
            yield_now().await;
        }
        joiner.await.unwrap();
        assert_eq!(q.task_done(), Err(TaskDoneError));
    });
    assert_eq!(log.take(), ["done 0", "done 1", "done 2", "joined"]);
}

#[test]
fn a_cancelled_get_loses_no_item() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let q: Queue<u32> = Queue::new(0);
        // Waiting, then cancelled before anything is put.
        assert!(timeout(Duration::from_secs(1), q.get()).await.is_err());
        // Granted an item, then cancelled before taking it: the item goes to the next getter.
        let q2 = q.clone();
        let first = asyncio::spawn(async move { q2.get().await });
        let q3 = q.clone();
        let second = asyncio::spawn(async move { q3.get().await });
        yield_now().await;
        q.put(7).await.unwrap(); // reserved for `first`
        first.cancel();
        assert!(first.await.unwrap_err().is_cancelled());
        assert_eq!(second.await.unwrap(), Ok(7));
        assert!(q.empty());
    });
}

#[test]
fn a_cancelled_put_inserts_nothing_and_passes_its_place_on() {
    let lp = virtual_loop();
    let drops = DropCounter::default();
    let d = drops.clone();
    lp.run_until_complete(async move {
        let q = Queue::new(1);
        q.put(d.guard()).await.unwrap();
        // Waiting for room, cancelled: the item is dropped, not put.
        assert!(timeout(Duration::from_secs(1), q.put(d.guard()))
            .await
            .is_err());
        assert_eq!(d.count(), 1);
        assert_eq!(q.qsize(), 1);
        // Granted a place, then cancelled before putting: the place goes to the next putter.
        let q2 = q.clone();
        let g = d.guard();
        let first = asyncio::spawn(async move { q2.put(g).await });
        let q3 = q.clone();
        let g = d.guard();
        let second = asyncio::spawn(async move { q3.put(g).await.is_ok() });
        yield_now().await;
        drop(q.get_nowait().unwrap()); // frees the place, granted to `first`
        first.cancel();
        assert!(first.await.unwrap_err().is_cancelled());
        assert!(second.await.unwrap());
        assert_eq!(q.qsize(), 1, "only the second putter's item is in");
    });
    assert_eq!(drops.count(), 4, "every guard dropped exactly once");
}

#[test]
fn shutdown_semantics() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        // Graceful: puts fail, gets drain then fail, waiting getters wake.
        let q: Queue<u32> = Queue::new(0);
        let q2 = q.clone();
        let waiting = asyncio::spawn(async move { q2.get().await });
        yield_now().await;
        q.shutdown(false);
        assert_eq!(waiting.await.unwrap(), Err(GetError::ShutDown));
        assert!(q.is_shutdown());

        let q: Queue<u32> = Queue::new(1);
        q.put(1).await.unwrap();
        let q2 = q.clone();
        let blocked_put = asyncio::spawn(async move { q2.put(2).await });
        yield_now().await;
        q.shutdown(false);
        assert_eq!(blocked_put.await.unwrap(), Err(PutError::ShutDown(2)));
        assert_eq!(q.put_nowait(3), Err(PutError::ShutDown(3)));
        assert_eq!(q.get().await, Ok(1));
        assert_eq!(q.get().await, Err(GetError::ShutDown));

        // Immediate: items dropped, counted as done, join released.
        let q: Queue<u32> = Queue::new(0);
        for i in 0..3 {
            q.put(i).await.unwrap();
        }
        let q2 = q.clone();
        let joiner = asyncio::spawn(async move { q2.join().await });
        yield_now().await;
        assert!(!joiner.is_done());
        q.shutdown(true);
        joiner.await.unwrap();
        assert_eq!(q.get_nowait(), Err(GetError::ShutDown));
        assert_eq!(q.qsize(), 0);
    });
}
