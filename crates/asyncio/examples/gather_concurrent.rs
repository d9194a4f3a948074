//! Seed 004, 1.2: the same two tasks run concurrently with `gather` (3 s in all, the maximum).

use std::time::Duration;

use asyncio::time::sleep;

async fn task1() {
    println!("Task 1 started");
    sleep(Duration::from_secs(3)).await; // Simulating a time-consuming operation
    println!("Task 1 completed");
}

async fn task2() {
    println!("Task 2 started");
    sleep(Duration::from_secs(2)).await; // Simulating another time-consuming operation
    println!("Task 2 completed");
}

#[asyncio::main]
async fn main() {
    asyncio::gather!(task1(), task2()).await; // Runs both tasks concurrently
}
