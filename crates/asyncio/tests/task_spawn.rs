//! Tasks: spawning, awaiting, detaching, introspection.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use asyncio::task::{Builder, TaskState};
use asyncio::time::sleep;
use common::{virtual_loop, Log};

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
