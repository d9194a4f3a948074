//! Seed 000, "Concurrency with Non-Blocking calls": two tasks share an `asyncio.Queue` of
//! delays and sleep without blocking the loop; gathered, they take the *longest* path through
//! the work (1.7 s), not the sum (3.2 s) that the blocking version takes.
//!
//! The seed's delays (15, 10, 5, 2 s) are scaled down ten times (1.5, 1.0, 0.5, 0.2 s). The
//! seed's `codetiming.Timer` prints "Task X elapsed time" on `stop()`; `Instant` does the same
//! here. `gather(create_task(a), create_task(b))` is `gather!(spawn(a), spawn(b))`.

use std::time::{Duration, Instant};

use asyncio::sync::Queue;

async fn task(name: &str, work_queue: Queue<f64>) {
    while !work_queue.empty() {
        let delay = work_queue
            .get()
            .await
            .expect("the queue is never shut down");
        println!("Task {name} running");
        let start = Instant::now();
        asyncio::time::sleep(Duration::from_secs_f64(delay)).await;
        println!(
            "Task {name} elapsed time: {:.1}",
            start.elapsed().as_secs_f64()
        );
    }
}

#[asyncio::main]
async fn main() {
    // Create the queue of work
    let work_queue = Queue::new(0);
    // Put some work in the queue
    for work in [1.5, 1.0, 0.5, 0.2] {
        work_queue.put(work).await.expect("open queue");
    }
    // Run the tasks
    let start = Instant::now();
    let (one, two) = asyncio::gather!(
        asyncio::spawn(task("One", work_queue.clone())),
        asyncio::spawn(task("Two", work_queue.clone())),
    )
    .await;
    one.expect("task One");
    two.expect("task Two");
    println!("\nTotal elapsed time: {:.1}", start.elapsed().as_secs_f64());
}
