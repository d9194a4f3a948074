//! Seed 001, examples 3 and 4 (the same program twice): `create_task` on a loop that is not
//! running yet, `run_until_complete(task)`, `close()`, then the task's result.

use std::time::Duration;

use asyncio::EventLoop;

async fn sample_task(task_seconds: u64) -> &'static str {
    println!("Task takes {task_seconds} seconds to complete");
    asyncio::time::sleep(Duration::from_secs(task_seconds)).await;
    "task has been completed"
}

fn main() {
    let sample_event = EventLoop::new();
    println!("Creation of tasks started");
    let mut task_object_loop = sample_event.spawn(sample_task(3));
    let result = sample_event.run_until_complete(&mut task_object_loop);
    sample_event.close();
    println!("Task status: {}", result.expect("the task completed"));
}
