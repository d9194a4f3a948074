//! Seed 004, 2.2: `await` suspends the coroutine without blocking the loop.

use std::time::Duration;

async fn delayed_message() {
    println!("Message will appear after 2 seconds...");
    asyncio::time::sleep(Duration::from_secs(2)).await; // Non-blocking sleep
    println!("Hello, world!");
}

fn main() {
    asyncio::run(delayed_message());
}
