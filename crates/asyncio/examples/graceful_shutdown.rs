//! A server that shuts down gracefully on SIGTERM (what service managers send): it stops
//! accepting, lets open connections finish for a grace period, aborts the rest, and exits 0.
//!
//! ```text
//! cargo run --example graceful_shutdown &
//! kill -TERM %1
//! ```

use std::time::Duration;

use asyncio::signal::{signal, SignalKind};
use asyncio::streams::start_server;

#[asyncio::main]
async fn main() -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let server = start_server(
        |mut r, w| async move {
            while let Ok(line) = r.readline().await {
                if line.is_empty() || w.write(&line).is_err() {
                    break;
                }
            }
        },
        "127.0.0.1:0",
    )
    .await?;
    println!("ready {}", server.local_addr()?);
    term.recv().await;
    println!(
        "SIGTERM: no new connections; {} open",
        server.client_count()
    );
    let aborted = server.shutdown(Duration::from_millis(500)).await;
    println!("stopped ({aborted} aborted after the grace period)");
    Ok(())
}
