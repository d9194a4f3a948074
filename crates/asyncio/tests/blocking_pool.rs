//! The thread pool: results and panics reach the awaiting task, limits hold, idle threads exit,
//! shutdown waits, submission from many threads at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use asyncio::blocking::{run_in_executor, to_thread, ThreadPool};

#[asyncio::test]
async fn to_thread_from_many_tasks_at_once() {
    let tasks: Vec<_> = (0..1000u64)
        .map(|i| asyncio::spawn(async move { to_thread(move || i * i).await.unwrap() }))
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap(), (i * i) as u64);
    }
}

#[asyncio::test]
async fn a_panic_reaches_the_awaiting_task_and_the_pool_goes_on() {
    let e = to_thread(|| -> u8 { panic!("disk on fire") })
        .await
        .unwrap_err();
    assert!(e.is_panic());
    assert_eq!(e.panic_message(), Some("disk on fire"));
    assert_eq!(to_thread(|| 7).await.unwrap(), 7);
}

#[asyncio::test]
async fn max_threads_bounds_concurrency_and_names_threads() {
    let pool = ThreadPool::builder()
        .max_threads(2)
        .thread_name("bounded")
        .build();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut calls = Vec::new();
    for _ in 0..12 {
        let (running, peak) = (running.clone(), peak.clone());
        calls.push(run_in_executor(Some(&pool), move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            running.fetch_sub(1, Ordering::SeqCst);
            std::thread::current().name().unwrap_or("").to_owned()
        }));
    }
    for c in calls {
        assert!(c.await.unwrap().starts_with("bounded-"));
    }
    assert!(peak.load(Ordering::SeqCst) <= 2);
    assert!(pool.thread_count() <= 2);
}

#[asyncio::test]
async fn the_loop_default_executor_is_used_by_to_thread() {
    let pool = ThreadPool::builder().thread_name("loop-pool").build();
    asyncio::get_running_loop().set_default_executor(Some(pool));
    let name = to_thread(|| std::thread::current().name().unwrap().to_owned())
        .await
        .unwrap();
    assert!(name.starts_with("loop-pool-"), "{name}");
}

#[test]
fn idle_threads_exit_after_keep_alive() {
    let pool = ThreadPool::builder()
        .keep_alive(Duration::from_millis(20))
        .build();
    asyncio::run(async {
        let calls: Vec<_> = (0..8)
            .map(|_| run_in_executor(Some(&pool), || std::thread::sleep(Duration::from_millis(2))))
            .collect();
        for c in calls {
            c.await.unwrap();
        }
    });
    assert!(pool.thread_count() >= 1);
    // The threads leave on their own once the keep-alive passes (a real-time property).
    let deadline = Instant::now() + Duration::from_secs(10);
    while pool.thread_count() > 0 {
        assert!(Instant::now() < deadline, "threads still alive: {pool:?}");
        std::thread::yield_now();
    }
}

#[test]
fn shutdown_waits_for_running_calls_then_refuses_new_ones() {
    let pool = ThreadPool::builder().build();
    let done = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Barrier::new(2));
    asyncio::run(async {
        let (d, g) = (done.clone(), gate.clone());
        let running = run_in_executor(Some(&pool), move || {
            g.wait();
            std::thread::sleep(Duration::from_millis(20));
            d.fetch_add(1, Ordering::SeqCst);
        });
        gate.wait();
        assert!(pool.shutdown(Duration::from_secs(10)));
        assert_eq!(
            done.load(Ordering::SeqCst),
            1,
            "shutdown waited for the call"
        );
        running.await.unwrap();
        let refused = run_in_executor(Some(&pool), || 1).await.unwrap_err();
        assert!(refused.is_cancelled());
    });
    assert_eq!(pool.thread_count(), 0);
}

#[test]
fn shutdown_gives_up_after_its_timeout() {
    let pool = ThreadPool::builder().build();
    let gate = Arc::new(Barrier::new(2));
    let release = Arc::new(Barrier::new(2));
    let (g, r) = (gate.clone(), release.clone());
    drop(run_in_executor(Some(&pool), move || {
        g.wait();
        r.wait();
    }));
    gate.wait();
    assert!(!pool.shutdown(Duration::from_millis(10)));
    release.wait();
    assert!(pool.shutdown(Duration::from_secs(10)));
}

#[test]
fn many_threads_submit_at_once_and_every_call_runs() {
    let pool = ThreadPool::builder().max_threads(4).build();
    let count = Arc::new(AtomicUsize::new(0));
    let submitters: Vec<_> = (0..8)
        .map(|_| {
            let (pool, count) = (pool.clone(), count.clone());
            std::thread::spawn(move || {
                let calls: Vec<_> = (0..2000)
                    .map(|_| {
                        let c = count.clone();
                        run_in_executor(Some(&pool), move || {
                            c.fetch_add(1, Ordering::Relaxed);
                        })
                    })
                    .collect();
                asyncio::run(async {
                    for c in calls {
                        c.await.unwrap();
                    }
                });
            })
        })
        .collect();
    for s in submitters {
        s.join().unwrap();
    }
    assert_eq!(count.load(Ordering::Relaxed), 16_000);
}
