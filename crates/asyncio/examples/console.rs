//! A program to watch with tokio-console: a producer and three workers sharing a queue, a
//! ticker, and blocking jobs on the thread pool, for as many seconds as the first argument says
//! (30 by default).
//!
//! ```text
//! cargo run -p asyncio --features console --example console &
//! tokio-console            # connects to 127.0.0.1:6669
//! ```
//!
//! The two lines it takes: `console-subscriber` in `[dependencies]` (with asyncio's `console`
//! feature on), and `console_subscriber::init()` first thing in `main`. console-subscriber also
//! asks for `--cfg console_without_tokio_unstable` in the build's rustflags: this workspace's
//! `.cargo/config.toml` sets it.

use std::time::Duration;

use asyncio::sync::Queue;
use asyncio::task::Builder;
use asyncio::time::sleep;

fn main() {
    console_subscriber::init();
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    asyncio::run(async move {
        let queue: Queue<u64> = Queue::new(16);
        let workers: Vec<_> = (0..3)
            .map(|w| {
                let queue = queue.clone();
                Builder::new()
                    .name(format!("worker-{w}"))
                    .spawn(async move {
                        while let Ok(job) = queue.get().await {
                            // Some jobs need the thread pool, the rest only wait.
                            if job % 4 == 0 {
                                asyncio::blocking::to_thread(move || {
                                    std::thread::sleep(Duration::from_millis(20 * (job % 5 + 1)))
                                })
                                .await
                                .unwrap();
                            } else {
                                sleep(Duration::from_millis(30 * (job % 7 + 1))).await;
                            }
                            queue.task_done().unwrap();
                        }
                    })
            })
            .collect();
        let ticker = Builder::new().name("ticker").spawn(async {
            let mut interval = asyncio::time::interval(Duration::from_millis(250));
            loop {
                interval.tick().await;
            }
        });
        let producer = Builder::new().name("producer").spawn({
            let queue = queue.clone();
            async move {
                for job in 0.. {
                    if queue.put(job).await.is_err() {
                        return;
                    }
                    sleep(Duration::from_millis(10)).await;
                }
            }
        });
        sleep(Duration::from_secs(seconds)).await;
        producer.task().cancel();
        ticker.task().cancel();
        queue.join().await;
        queue.shutdown(false);
        for w in workers {
            let _ = w.await;
        }
    });
}
