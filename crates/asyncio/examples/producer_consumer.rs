//! Seed 004, 4: a producer and a consumer on an `asyncio.Queue`; the main task waits for the
//! producer, then `join()`s the queue (every item marked done with `task_done()`), then cancels
//! the consumer, which is parked forever in `get()`.

use std::time::Duration;

use asyncio::sync::Queue;

async fn producer(queue: Queue<u32>) {
    for i in 0..3 {
        asyncio::time::sleep(Duration::from_secs(1)).await;
        queue.put(i).await.expect("open queue"); // Add items to the queue
        println!("Produced {i}");
    }
}

async fn consumer(queue: Queue<u32>) {
    loop {
        let item = queue.get().await.expect("open queue");
        println!("Consumed {item}");
        queue.task_done().expect("one task_done per get");
    }
}

#[asyncio::main]
async fn main() {
    let queue = Queue::new(0);
    let prod_task = asyncio::spawn(producer(queue.clone()));
    let cons_task = asyncio::spawn(consumer(queue.clone()));

    prod_task.await.expect("the producer finishes");
    queue.join().await; // Ensures all tasks are processed
    cons_task.cancel(); // Stop the consumer
}
