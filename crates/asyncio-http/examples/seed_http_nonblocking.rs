//! Seed 000, "Non-blocking HTTP Calls": the same two tasks with an asyncio `Queue` and an
//! aiohttp-style `ClientSession`: while one waits for a page the other fetches, so the total
//! is about half the blocking version's. The sites are served locally, 100 ms per page.

#[path = "support/site.rs"]
mod site;

use asyncio::sync::Queue;
use asyncio_http::ClientSession;

async fn task(name: &str, work_queue: Queue<String>) {
    let session = ClientSession::new();
    while !work_queue.empty() {
        let url = work_queue.get().await.unwrap();
        println!("Task {name} getting URL: {url}");
        let start = asyncio::time::now();
        let response = session.get(&url).send().await.unwrap();
        response.text().await.unwrap();
        println!(
            "Task {name} elapsed time: {:.1}",
            start.elapsed().as_secs_f64()
        );
    }
}

#[asyncio::main]
async fn main() {
    let base = site::start();
    let work_queue = Queue::new(0);
    for s in site::SITES {
        work_queue.put(format!("{base}/{s}")).await.unwrap();
    }
    let start = asyncio::time::now();
    let one = asyncio::spawn(task("One", work_queue.clone()));
    let two = asyncio::spawn(task("Two", work_queue.clone()));
    let _ = asyncio::gather!(one, two).await;
    println!("\nTotal elapsed time: {:.1}", start.elapsed().as_secs_f64());
}
