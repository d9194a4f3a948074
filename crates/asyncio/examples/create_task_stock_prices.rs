//! Seed 002: two `create_task` calls run concurrently; awaiting them one after the other still
//! takes 3 s, not 6.

use std::time::{Duration, Instant};

async fn call_api(message: &str, result: u32, delay: u64) -> u32 {
    println!("{message}");
    asyncio::time::sleep(Duration::from_secs(delay)).await;
    result
}

#[asyncio::main]
async fn main() {
    let start = Instant::now();

    let task_1 = asyncio::spawn(call_api("Get stock price of GOOG...", 300, 3));
    let task_2 = asyncio::spawn(call_api("Get stock price of APPL...", 300, 3));

    let price = task_1.await.unwrap();
    println!("{price}");

    let price = task_2.await.unwrap();
    println!("{price}");

    let end = Instant::now();
    println!(
        "It took {:.1} second(s) to complete.",
        (end - start).as_secs_f64().round()
    );
}
