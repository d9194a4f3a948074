//! The Runtime of loops: spawning onto loops, servers on every loop, panics, shutdown, and the
//! CPU pool.

use std::io::Read;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::cores::{current_loop_index, RuntimeHandle};
use asyncio::event_loop::ExceptionKind;
use asyncio::future::ThreadSafePromise;
use asyncio::io::AsyncWriteExt;
use asyncio::streams::Server;
use asyncio::sync::ThreadSafeQueue;
use asyncio::Runtime;

fn runtime(loops: usize) -> Runtime {
    Runtime::builder().loops(loops).build().unwrap()
}

#[test]
fn spawn_on_builds_a_non_send_future_on_that_loop() {
    let rt = runtime(3);
    let h = rt.handle();
    let got = rt.block_on(async move {
        let mut out = Vec::new();
        for i in 0..3 {
            let handle = h
                .spawn_on(i, move || async move {
                    let here = Rc::new(current_loop_index());
                    asyncio::time::yield_now().await;
                    (*here, std::thread::current().name().map(str::to_owned))
                })
                .unwrap();
            assert_eq!(handle.loop_index(), i);
            out.push(handle.await.unwrap());
        }
        out
    });
    assert_eq!(got[0].0, Some(0));
    assert_eq!(got[1], (Some(1), Some("asyncio-loop-1".to_owned())));
    assert_eq!(got[2], (Some(2), Some("asyncio-loop-2".to_owned())));
    assert_eq!(current_loop_index(), None, "outside block_on");
    rt.shutdown(Duration::from_secs(1)).unwrap();
}

#[test]
fn spawn_spreads_live_tasks_over_the_least_busy_loops() {
    let rt = runtime(2);
    let h = rt.handle();
    let per_loop = rt.block_on(async move {
        // A queue shut down is a gate every waiter passes at once.
        let gate = ThreadSafeQueue::<()>::new(0);
        let mut handles = Vec::new();
        for _ in 0..100 {
            let gate = gate.clone();
            // Each task stays alive until the gate opens, so the loads grow as they are spawned.
            handles.push(
                h.spawn(async move {
                    let _ = gate.get().await;
                    current_loop_index().unwrap()
                })
                .unwrap(),
            );
        }
        gate.shutdown(false);
        let mut per_loop = [0usize; 2];
        for handle in handles {
            let i = handle.await.unwrap();
            per_loop[i] += 1;
        }
        per_loop
    });
    assert_eq!(
        per_loop,
        [50, 50],
        "least busy alternates while every task lives"
    );
}

#[test]
fn for_each_loop_runs_on_every_loop() {
    let rt = runtime(3);
    let h = rt.handle();
    let seen = rt.block_on(async move {
        let mut seen = Vec::new();
        for handle in h.for_each_loop(|i| (i, current_loop_index())).unwrap() {
            seen.push(handle.await.unwrap());
        }
        seen
    });
    assert_eq!(seen, [(0, Some(0)), (1, Some(1)), (2, Some(2))]);
}

/// Serves a line with the loop's index on every connection.
async fn loop_index_server(h: &RuntimeHandle) -> asyncio::cores::ServerGroup {
    h.serve("127.0.0.1:0".parse().unwrap(), |listener| {
        Server::serve(vec![listener], |_r, mut w| async move {
            let i = current_loop_index().unwrap();
            let _ = w.write_all(format!("{i}\n").as_bytes()).await;
        })
    })
    .await
    .unwrap()
}

/// Opens `n` connections from a plain thread and counts the loops that answered.
fn count_loops(addr: std::net::SocketAddr, n: usize, loops: usize) -> Vec<usize> {
    let mut per_loop = vec![0; loops];
    for _ in 0..n {
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        let mut s = String::new();
        c.read_to_string(&mut s).unwrap();
        per_loop[s.trim().parse::<usize>().unwrap()] += 1;
    }
    per_loop
}

#[test]
fn reuseport_connections_reach_every_loop() {
    let rt = runtime(2);
    let h = rt.handle();
    let per_loop = rt.block_on(async move {
        let group = loop_index_server(&h).await;
        assert!(group.is_reuseport());
        let addr = group.local_addr();
        // The kernel hashes each connection's addresses: 64 connections all landing on one of
        // two loops has a chance of 2^-63.
        let counts = asyncio::blocking::to_thread(move || count_loops(addr, 64, 2))
            .await
            .unwrap();
        assert_eq!(group.shutdown(Duration::from_secs(1)).await, 0);
        counts
    });
    assert_eq!(per_loop.iter().sum::<usize>(), 64);
    assert!(per_loop.iter().all(|&n| n > 0), "{per_loop:?}");
}

#[test]
fn without_reuseport_loop_zero_hands_connections_out_in_turn() {
    let rt = Runtime::builder()
        .loops(3)
        .reuseport(false)
        .build()
        .unwrap();
    let h = rt.handle();
    let per_loop = rt.block_on(async move {
        let group = loop_index_server(&h).await;
        assert!(!group.is_reuseport());
        let addr = group.local_addr();
        let counts = asyncio::blocking::to_thread(move || count_loops(addr, 30, 3))
            .await
            .unwrap();
        group.close();
        group.wait_closed().await;
        counts
    });
    assert_eq!(per_loop, [10, 10, 10]);
}

#[test]
fn a_panic_on_one_loop_is_reported_there_and_the_others_keep_serving() {
    let rt = runtime(2);
    let h = rt.handle();
    let reports = Arc::new(Mutex::new(Vec::new()));
    let per_loop = rt.block_on({
        let reports = reports.clone();
        async move {
            for waiter in h
                .for_each_loop(move |i| {
                    let reports = reports.clone();
                    asyncio::get_running_loop().set_exception_handler(move |_, ctx| {
                        reports.lock().unwrap().push((i, ctx.kind));
                    });
                })
                .unwrap()
            {
                waiter.await.unwrap();
            }
            let group = loop_index_server(&h).await;
            // A detached task that panics on loop 1: nobody reads its error.
            h.spawn_on(1, || async {
                asyncio::spawn(async { panic!("boom on loop 1") });
            })
            .unwrap()
            .await
            .unwrap();
            // A panic someone awaits reaches them instead.
            let err = h
                .spawn_on(1, || async { panic!("awaited boom") })
                .unwrap()
                .await
                .unwrap_err();
            assert!(err.is_panic());
            let addr = group.local_addr();
            asyncio::blocking::to_thread(move || count_loops(addr, 64, 2))
                .await
                .unwrap()
        }
    });
    assert!(per_loop.iter().all(|&n| n > 0), "{per_loop:?}");
    assert_eq!(
        *reports.lock().unwrap(),
        [(1, ExceptionKind::UnretrievedTaskPanic)]
    );
    rt.shutdown(Duration::from_secs(1)).unwrap();
}

struct CountDrop(Arc<AtomicUsize>);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn shutdown_keeps_the_output_of_tasks_that_finish_within_the_grace() {
    let rt = runtime(2);
    let h = rt.handle();
    let out = Arc::new(Mutex::new(Vec::new()));
    let gate = ThreadSafeQueue::<()>::new(0);
    for i in 0..20 {
        let out = out.clone();
        let gate = gate.clone();
        drop(h.spawn_on(i % 2, move || async move {
            let _ = gate.get().await;
            asyncio::time::yield_now().await;
            out.lock().unwrap().push(i);
        }));
    }
    // Opened from another thread while shutdown waits for the tasks.
    let opener = std::thread::spawn(move || gate.shutdown(false));
    rt.shutdown(Duration::from_secs(30)).unwrap();
    opener.join().unwrap();
    let mut got = out.lock().unwrap().clone();
    got.sort_unstable();
    assert_eq!(got, (0..20).collect::<Vec<_>>());
    assert!(h.is_closed());
    assert!(h.spawn(async {}).is_err(), "no spawning after shutdown");
}

#[test]
fn shutdown_cancels_what_outlives_the_grace_on_every_loop() {
    let rt = runtime(2);
    let h = rt.handle();
    let dropped = Arc::new(AtomicUsize::new(0));
    for i in 0..4 {
        // Created before the task first runs: a task cancelled before its first step drops
        // it too.
        let guard = CountDrop(dropped.clone());
        drop(h.spawn_on(i % 2, move || async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }));
    }
    rt.shutdown(Duration::from_millis(50)).unwrap();
    assert_eq!(dropped.load(Ordering::SeqCst), 4);
}

#[test]
fn a_loop_thread_that_dies_is_reported_by_shutdown_and_to_loop_zero() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            if !std::thread::panicking() {
                panic!("destructor panicked while loop 1 closed");
            }
        }
    }
    let rt = runtime(2);
    let h = rt.handle();
    rt.block_on(async {
        // Closing a loop drops its pending timers' callbacks, outside any task: a panic there
        // escapes the loop.
        h.spawn_on(1, || async {
            let bomb = PanicOnDrop;
            asyncio::get_running_loop().call_later(Duration::from_secs(3600), move || drop(bomb));
        })
        .unwrap()
        .await
        .unwrap();
    });
    let err = rt.shutdown(Duration::ZERO).unwrap_err();
    assert_eq!(err.died.len(), 1);
    assert_eq!(err.died[0].index, 1);
    assert!(err.died[0].message.contains("destructor panicked"), "{err}");
}

#[test]
fn the_cpu_pool_runs_while_the_blocking_pool_is_saturated() {
    let lp = asyncio::EventLoop::new();
    lp.set_default_executor(Some(
        asyncio::blocking::ThreadPool::builder()
            .max_threads(1)
            .build(),
    ));
    let release = ThreadSafePromise::<()>::new();
    let result = lp.run_until_complete({
        let release = release.clone();
        async move {
            // The one blocking thread is held, and more blocking calls queue behind it.
            let held = asyncio::blocking::to_thread(move || release.wait());
            let queued = asyncio::blocking::to_thread(|| 1);
            let cpu = asyncio::blocking::run_cpu(|| (1..=100u64).sum::<u64>())
                .await
                .unwrap();
            (cpu, held, queued)
        }
    });
    let (cpu, held, queued) = result;
    assert_eq!(cpu, 5050);
    release.set(());
    lp.run_until_complete(async move {
        held.await.unwrap();
        assert_eq!(queued.await.unwrap(), 1);
    });
}

#[test]
fn a_spawn_with_whose_loop_closes_before_it_runs_ends_cancelled() {
    let lp = asyncio::EventLoop::new();
    let handle = lp.remote().spawn_with(|| async { 1 }).unwrap();
    // The loop never ran the callback: closing drops it, and the waiter must not hang.
    lp.close();
    assert!(handle.wait().unwrap_err().is_cancelled());
}

#[test]
fn spawns_between_loops_arrive_in_batches_and_all_complete() {
    let rt = runtime(2);
    let h = rt.handle();
    let sum = rt.block_on(async move {
        // From loop 0 to loop 1 only: 1,000 spawns without a yield in between (four full
        // batches and a rest sent at the end of the turn).
        let handles: Vec<_> = (0..1000u64)
            .map(|i| h.spawn_on(1, move || async move { i }).unwrap())
            .collect();
        let mut sum = 0;
        for handle in handles {
            assert_eq!(handle.loop_index(), 1);
            sum += handle.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 999 * 1000 / 2);
}

#[test]
fn with_many_loops_spawn_samples_and_still_reaches_every_loop() {
    let rt = runtime(6);
    let h = rt.handle();
    let per_loop = rt.block_on(async move {
        let gate = ThreadSafeQueue::<()>::new(0);
        let handles: Vec<_> = (0..600)
            .map(|_| {
                let gate = gate.clone();
                h.spawn(async move {
                    let _ = gate.get().await;
                    current_loop_index().unwrap()
                })
                .unwrap()
            })
            .collect();
        gate.shutdown(false);
        let mut per_loop = [0usize; 6];
        for handle in handles {
            per_loop[handle.await.unwrap()] += 1;
        }
        per_loop
    });
    // Two random choices keep every loop within a small margin of the mean (100).
    assert!(
        per_loop.iter().all(|&n| (50..=150).contains(&n)),
        "{per_loop:?}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn pinned_loops_run_on_their_own_cpu() {
    fn cpus_of_this_thread() -> Vec<usize> {
        // SAFETY: a zeroed cpu_set_t is a valid out-parameter of the size passed.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(
                libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set),
                0
            );
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| libc::CPU_ISSET(c, &set))
                .collect()
        }
    }
    // Built on a thread of its own: pinning loop 0 pins the building thread.
    std::thread::spawn(move || {
        let allowed = cpus_of_this_thread();
        let rt = Runtime::builder()
            .loops(2)
            .pin_threads(true)
            .build()
            .unwrap();
        let h = rt.handle();
        let seen = rt.block_on(async move {
            let mut seen = Vec::new();
            for w in h.for_each_loop(|_| cpus_of_this_thread()).unwrap() {
                seen.push(w.await.unwrap());
            }
            seen
        });
        assert_eq!(seen, [vec![allowed[0]], vec![allowed[1 % allowed.len()]]]);
    })
    .join()
    .unwrap();
}
