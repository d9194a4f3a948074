//! asyncio's Ctrl-C behaviour: the first Ctrl-C drops the main future (its cleanup runs) and
//! cancels the other tasks, then the program ends as Ctrl-C ends programs.
//!
//! ```text
//! cargo run --example ctrl_c     # then press Ctrl-C
//! ```

/// Prints when dropped: the cleanup asyncio would run in `finally:` blocks.
struct Cleanup(&'static str);

impl Drop for Cleanup {
    fn drop(&mut self) {
        println!("cleanup: {}", self.0);
    }
}

#[asyncio::main]
async fn main() {
    let _main = Cleanup("main future dropped");
    asyncio::spawn(async {
        let _task = Cleanup("background task cancelled");
        std::future::pending::<()>().await;
    });
    asyncio::time::yield_now().await;
    println!("ready: press Ctrl-C");
    std::future::pending::<()>().await;
}
