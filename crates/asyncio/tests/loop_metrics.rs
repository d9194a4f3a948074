//! Per-loop metrics: the counts follow a known workload, other threads read what the loop
//! published, and a `Runtime` reports every loop.

use std::time::Duration;

#[test]
fn counts_follow_a_known_workload() {
    asyncio::run(async {
        let lp = asyncio::get_running_loop();
        let before = lp.metrics();
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                asyncio::spawn(async {
                    asyncio::time::yield_now().await;
                    asyncio::time::yield_now().await;
                })
            })
            .collect();
        let during = lp.metrics();
        assert_eq!(during.tasks_alive, before.tasks_alive + 10);
        assert!(during.ready_depth >= 10, "{during:?}");
        for t in tasks {
            t.await.unwrap();
        }
        for _ in 0..5 {
            lp.call_soon(|| {});
        }
        asyncio::time::yield_now().await;
        let after = lp.metrics();
        assert_eq!(after.tasks_spawned, before.tasks_spawned + 10);
        assert_eq!(after.tasks_alive, before.tasks_alive);
        assert!(after.polls >= before.polls + 30, "{before:?} → {after:?}");
        assert!(
            after.callbacks >= before.callbacks + 5,
            "{before:?} → {after:?}"
        );
        assert!(after.iterations > before.iterations);
    });
}

#[test]
fn timers_sockets_and_lateness_are_seen() {
    asyncio::run(async {
        let lp = asyncio::get_running_loop();
        let before = lp.metrics();
        let sleeper = asyncio::spawn(asyncio::time::sleep(Duration::from_secs(60)));
        asyncio::time::yield_now().await;
        assert_eq!(lp.metrics().timers_armed, before.timers_armed + 1);
        sleeper.cancel();
        let listener = asyncio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        assert!(lp.metrics().io_sources > before.io_sources);
        drop(listener);
        for _ in 0..3 {
            asyncio::time::sleep(Duration::from_millis(2)).await;
        }
        let after = lp.metrics();
        assert!(after.timer_batches >= before.timer_batches + 3, "{after:?}");
        assert!(after.timer_lateness_max >= after.timer_lateness_mean());
        assert!(after.idle > before.idle, "the loop waited for the sleeps");
    });
}

#[test]
fn other_threads_read_what_the_loop_published() {
    asyncio::run(async {
        let remote = asyncio::get_running_loop().remote();
        let tasks: Vec<_> = (0..100).map(|_| asyncio::spawn(async {})).collect();
        for t in tasks {
            t.await.unwrap();
        }
        let spawned = asyncio::get_running_loop().metrics().tasks_spawned;
        // The loop blocks waiting for this thread, and publishes before it blocks: the
        // figures arrive (the thread asks until they do, for at most 5 s).
        let seen = asyncio::blocking::to_thread(move || {
            let until = std::time::Instant::now() + Duration::from_secs(5);
            loop {
                let m = remote.metrics();
                if m.tasks_spawned >= spawned || std::time::Instant::now() > until {
                    return m;
                }
                std::thread::yield_now();
            }
        })
        .await
        .unwrap();
        assert!(seen.tasks_spawned >= spawned, "{seen:?}");
        assert!(seen.taken_at.is_some());
        assert!(seen.busy > Duration::ZERO);
    });
}

#[test]
fn a_runtime_reports_every_loop() {
    let rt = asyncio::Runtime::builder().loops(2).build().unwrap();
    let handle = rt.handle();
    rt.block_on(async {
        let on_second = handle.spawn_on(1, || async { 7 }).unwrap();
        assert_eq!(on_second.await.unwrap(), 7);
    });
    // Loop 1 publishes when it next waits, right after the task: ask until it has (bounded).
    let until = std::time::Instant::now() + Duration::from_secs(5);
    let all = loop {
        let all = handle.metrics();
        if all[1].tasks_spawned >= 1 || std::time::Instant::now() > until {
            break all;
        }
        std::thread::yield_now();
    };
    assert_eq!(all.len(), 2);
    assert!(all[1].tasks_spawned >= 1, "{all:?}");
    rt.shutdown(Duration::from_secs(1)).unwrap();
}
