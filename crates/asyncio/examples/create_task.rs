//! Seed 004, 3.2: `create_task` schedules coroutines; awaiting one does not stop the other.

use std::time::Duration;

async fn task(name: &str, duration: u64) {
    println!("Starting {name}");
    asyncio::time::sleep(Duration::from_secs(duration)).await;
    println!("Finished {name}");
}

#[asyncio::main]
async fn main() {
    let t1 = asyncio::spawn(task("Task 1", 3));
    let t2 = asyncio::spawn(task("Task 2", 2));

    t1.await.unwrap(); // Waits for Task 1
    t2.await.unwrap(); // Waits for Task 2
}
