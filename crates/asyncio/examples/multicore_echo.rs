//! An echo server on every core: a `Runtime` of loops, one `SO_REUSEPORT` listener per loop,
//! and one Ctrl-C for all of them (the first drops every loop's tasks, their cleanup runs,
//! then the program ends by `SIGINT`).
//!
//! ```text
//! cargo run --example multicore_echo     # then: nc 127.0.0.1 <port>, and Ctrl-C
//! ```

use asyncio::io::AsyncWriteExt;
use asyncio::streams::Server;

/// Prints when dropped: the cleanup asyncio would run in `finally:` blocks.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        println!("cleanup: {}", self.0);
    }
}

fn main() -> std::io::Result<()> {
    let rt = asyncio::Runtime::builder().loops(2).build()?;
    let handle = rt.handle();
    rt.block_on(async move {
        let group = handle
            .serve("127.0.0.1:0".parse().unwrap(), |listener| {
                Server::serve(vec![listener], |mut reader, mut writer| async move {
                    while let Ok(line) = reader.readline().await {
                        if line.is_empty() || writer.write_all(&line).await.is_err() {
                            break;
                        }
                    }
                })
            })
            .await?;
        // A long-running task on every loop: Ctrl-C cancels each on its own loop.
        let started: Vec<_> = handle
            .remotes()
            .iter()
            .enumerate()
            .map(|(i, remote)| {
                remote.spawn_with(move || async move {
                    asyncio::spawn(async move {
                        let _cleanup = Cleanup(format!("loop {i} task cancelled"));
                        std::future::pending::<()>().await;
                    });
                })
            })
            .collect();
        for s in started {
            s.map_err(std::io::Error::other)?
                .await
                .map_err(std::io::Error::other)?;
        }
        println!("ready {}", group.local_addr());
        group.wait_closed().await;
        Ok(())
    })
}
