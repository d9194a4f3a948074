//! Seed 002: the smallest asyncio program — `asyncio.run(main())` with one sleep.

use std::time::Duration;

#[asyncio::main]
async fn main() {
    println!("Hello ...");
    asyncio::time::sleep(Duration::from_secs(1)).await;
    println!("... World!");
}
