//! Seed 004, 3.1: tasks complete in order of their delays, not of their start (the seed's
//! `asyncio.gather`; spawned and awaited here until `gather` lands in issue 3).

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
    let (a, b) = (asyncio::spawn(task1()), asyncio::spawn(task2()));
    a.await.unwrap();
    b.await.unwrap();
}
