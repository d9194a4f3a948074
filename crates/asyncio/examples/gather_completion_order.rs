//! Seed 004, 3.1: with `gather`, tasks complete in order of their delays, not of their start.

use std::time::Duration;

use asyncio::time::sleep;

async fn task1() {
    sleep(Duration::from_secs(3)).await;
    println!("Task 1 completed");
}

async fn task2() {
    sleep(Duration::from_secs(2)).await;
    println!("Task 2 completed");
}

#[asyncio::main]
async fn main() {
    asyncio::gather!(task1(), task2()).await; // Run both tasks in parallel
}
