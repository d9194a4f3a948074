//! Tasks: spawning, awaiting, detaching, introspection.

mod common;

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use asyncio::task::{Builder, TaskState};
use asyncio::time::sleep;
use common::{virtual_loop, DropCounter, Log};

#[test]
fn spawned_tasks_run_concurrently_and_return_outputs() {
    let lp = virtual_loop();
    let (a, b, elapsed) = lp.run_until_complete(async {
        let start = asyncio::time::now();
        let t1 = asyncio::spawn(async {
            sleep(Duration::from_secs(3)).await;
            1
        });
        let t2 = asyncio::spawn(async {
            sleep(Duration::from_secs(2)).await;
            2
        });
        (
            t1.await.unwrap(),
            t2.await.unwrap(),
            asyncio::time::now() - start,
        )
    });
    assert_eq!((a, b), (1, 2));
    assert_eq!(elapsed, Duration::from_secs(3), "the maximum, not the sum");
}

#[test]
fn dropping_the_handle_does_not_cancel() {
    let lp = virtual_loop();
    let done = Rc::new(Cell::new(false));
    let d = done.clone();
    lp.run_until_complete(async move {
        drop(asyncio::spawn(async move {
            sleep(Duration::from_secs(1)).await;
            d.set(true);
        }));
        sleep(Duration::from_secs(2)).await;
    });
    assert!(done.get());
}

#[test]
fn tasks_start_in_the_next_iteration_in_spawn_order() {
    let lp = virtual_loop();
    let log = Log::default();
    let log2 = log.clone();
    lp.run_until_complete(async move {
        let mut hs = Vec::new();
        for i in 0..3 {
            let l = log2.clone();
            hs.push(asyncio::spawn(async move { l.push(format!("task {i}")) }));
        }
        log2.push("spawned");
        for h in hs {
            h.await.unwrap();
        }
    });
    assert_eq!(log.take(), ["spawned", "task 0", "task 1", "task 2"]);
}

#[test]
fn panics_become_task_errors_and_the_loop_keeps_running() {
    let lp = virtual_loop();
    let (err, after) = lp.run_until_complete(async {
        let bad = asyncio::spawn(async {
            sleep(Duration::from_millis(1)).await;
            panic!("task failed: {}", 42);
        });
        let err = bad.await.unwrap_err();
        let ok = asyncio::spawn(async { "still running" }).await.unwrap();
        (err, ok)
    });
    assert!(err.is_panic());
    assert_eq!(err.panic_message(), Some("task failed: 42"));
    assert_eq!(after, "still running");
}

#[test]
fn unretrieved_panics_reach_the_exception_handler_with_the_task_name() {
    let lp = virtual_loop();
    let log = Log::default();
    let log2 = log.clone();
    lp.set_exception_handler(move |_, ctx| {
        let name = ctx.task.as_ref().map(|t| t.name()).unwrap_or_default();
        log2.push(format!(
            "{}|{}|{}",
            ctx.message,
            name,
            ctx.panic_message.clone().unwrap_or_default()
        ));
    });
    lp.run_until_complete(async {
        // Detached before it panics: reported when it ends.
        drop(
            Builder::new()
                .name("detached")
                .spawn(async { panic!("one") }),
        );
        // Handle kept, then dropped without reading the error: reported at the drop.
        let kept = Builder::new().name("kept").spawn(async { panic!("two") });
        sleep(Duration::from_millis(1)).await;
        assert!(kept.is_panicked());
        drop(kept);
        // Read: not reported.
        let read = asyncio::spawn(async { panic!("three") });
        assert!(read.await.is_err());
    });
    assert_eq!(
        log.take(),
        [
            "Task exception was never retrieved|detached|one",
            "Task exception was never retrieved|kept|two"
        ]
    );
}

#[test]
fn names_ids_current_task_and_all_tasks() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        assert!(
            asyncio::current_task().is_none(),
            "the main future is not a task"
        );
        let t = Builder::new().name("worker").spawn(async {
            let me = asyncio::current_task().unwrap();
            assert_eq!(me.state(), TaskState::Running);
            me.name()
        });
        let unnamed = asyncio::spawn(sleep(Duration::from_secs(1)));
        assert!(unnamed.name().starts_with("Task-"));
        assert!(t.id() < unnamed.id());
        assert_eq!(asyncio::all_tasks().len(), 2);
        assert_eq!(t.state(), TaskState::Scheduled);
        let dump = asyncio::get_running_loop().dump_tasks();
        assert!(
            dump.contains("worker") && dump.contains("task_spawn.rs"),
            "{dump}"
        );
        assert_eq!(t.task().clone().await_name().await, "worker");
        asyncio::time::yield_now().await;
        assert_eq!(unnamed.state(), TaskState::Waiting);
        unnamed.set_name("renamed");
        assert_eq!(unnamed.name(), "renamed");
        unnamed.await.unwrap();
        assert!(asyncio::all_tasks().is_empty());
    });
}

trait AwaitName {
    async fn await_name(self) -> String;
}

impl AwaitName for asyncio::Task {
    async fn await_name(self) -> String {
        while !self.is_done() {
            asyncio::time::yield_now().await;
        }
        self.name()
    }
}

#[test]
fn done_callbacks_are_scheduled_after_the_task_ends() {
    let lp = virtual_loop();
    let log = Log::default();
    let log2 = log.clone();
    lp.run_until_complete(async move {
        let t = asyncio::spawn(sleep(Duration::from_secs(1)));
        let l = log2.clone();
        t.add_done_callback(move |task| l.push(format!("done: {}", task.state())));
        log2.push("registered");
        sleep(Duration::from_secs(2)).await;
        // On a finished task the callback is scheduled right away.
        let l = log2.clone();
        t.add_done_callback(move |_| l.push("late"));
        asyncio::time::yield_now().await;
    });
    assert_eq!(log.take(), ["registered", "done: finished", "late"]);
}

#[test]
fn spawn_on_a_loop_that_is_not_running_yet() {
    // Seed 001's third program: create_task, then run_until_complete(task), then read it.
    let lp = virtual_loop();
    let mut task = lp.spawn(async {
        sleep(Duration::from_secs(3)).await;
        "task has been completed"
    });
    let result = lp.run_until_complete(&mut task);
    lp.close();
    assert_eq!(result, Ok("task has been completed"));
    assert!(task.is_done());
}

#[test]
fn try_take_reads_a_finished_output_once() {
    let lp = virtual_loop();
    lp.run_until_complete(async {
        let mut t = asyncio::spawn(async { 5 });
        assert!(t.try_take().is_none());
        asyncio::time::yield_now().await;
        asyncio::time::yield_now().await;
        assert_eq!(t.try_take(), Some(Ok(5)));
        assert_eq!(t.try_take(), None);
    });
}

#[test]
fn futures_and_outputs_are_dropped_exactly_once_on_every_path() {
    // The cell keeps the future and then the output in one place, told apart by flags: each
    // path below must drop what it holds once, never twice, never not at all.
    let lp = virtual_loop();
    let (taken, unread, detached, never_run, future) = (
        DropCounter::default(),
        DropCounter::default(),
        DropCounter::default(),
        DropCounter::default(),
        DropCounter::default(),
    );
    let (t, u, d, f) = (
        taken.clone(),
        unread.clone(),
        detached.clone(),
        future.clone(),
    );
    let never_run_guard = never_run.guard();
    lp.run_until_complete(async move {
        let (held, out) = (f.guard(), t.guard());
        let output = asyncio::spawn(async move {
            let _held = held;
            out
        })
        .await
        .unwrap();
        assert_eq!(f.count(), 1, "the future is dropped when it ends");
        assert_eq!(t.count(), 0, "the output was moved out, not dropped");
        drop(output);
        assert_eq!(t.count(), 1);

        let out = u.guard();
        let h = asyncio::spawn(async move { out });
        asyncio::time::yield_now().await;
        assert!(h.is_done());
        assert_eq!(u.count(), 0, "kept until the handle goes");
        drop(h);
        assert_eq!(u.count(), 1);

        let out = d.guard();
        drop(asyncio::spawn(async move {
            asyncio::time::yield_now().await;
            out
        }));
        sleep(Duration::from_secs(1)).await;
        assert_eq!(
            d.count(),
            1,
            "a detached task's output is dropped as it ends"
        );

        // Spawned and never run: the loop closes with it still queued.
        drop(asyncio::spawn(async move {
            let _g = never_run_guard;
        }));
    });
    assert_eq!(never_run.count(), 0, "still queued");
    lp.close();
    drop(lp);
    assert_eq!(
        (
            taken.count(),
            unread.count(),
            detached.count(),
            never_run.count(),
            future.count()
        ),
        (1, 1, 1, 1, 1)
    );
}

/// A waker that counts its wake-ups.
struct CountingWaker(std::sync::atomic::AtomicUsize);

impl std::task::Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn the_latest_awaiter_is_woken_whether_or_not_it_is_a_task() {
    // A task of the loop is kept as the awaiter in the header, any other waker beside it: a
    // handle polled by one and then the other must wake only the last, once.
    use std::future::Future;
    use std::sync::atomic::Ordering::SeqCst;
    use std::sync::Arc;
    use std::task::{Context, Poll};

    let lp = virtual_loop();
    let woken = lp.run_until_complete(async {
        let mut h = asyncio::spawn(sleep(Duration::from_secs(1)));
        // Polled by this task: the task is the awaiter.
        std::future::poll_fn(|cx| {
            assert!(Pin::new(&mut h).poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        // Then by a foreign waker, which replaces it.
        let foreign = Arc::new(CountingWaker(0.into()));
        let waker = std::task::Waker::from(foreign.clone());
        assert!(Pin::new(&mut h)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        // This task must not be woken by the end: it sleeps past it and checks.
        let before = asyncio::time::now();
        sleep(Duration::from_secs(2)).await;
        assert_eq!(asyncio::time::now() - before, Duration::from_secs(2));
        assert!(h.is_done());
        let woken = foreign.0.load(SeqCst);
        // And back to a task awaiter on a second handle: the foreign waker is dropped.
        let mut h2 = asyncio::spawn(sleep(Duration::from_secs(1)));
        assert!(Pin::new(&mut h2)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        // Ours, the `Waker`'s, and the stored clone.
        assert_eq!(Arc::strong_count(&foreign), 3, "stored once");
        h2.await.unwrap();
        assert_eq!(
            Arc::strong_count(&foreign),
            2,
            "replaced by the task, dropped"
        );
        assert_eq!(
            foreign.0.load(SeqCst),
            woken,
            "the replaced waker is not woken"
        );
        woken
    });
    assert_eq!(woken, 1);
}
