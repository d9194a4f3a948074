//! Seed 004, 5: errors inside coroutines. Python raises `ValueError` and catches it with
//! `try/except`; Rust returns `Err` and matches on it.

use std::time::Duration;

#[derive(Debug)]
struct ValueError(&'static str);

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

async fn risky_task() -> Result<(), ValueError> {
    asyncio::time::sleep(Duration::from_secs(1)).await;
    Err(ValueError("Something went wrong!"))
}

#[asyncio::main]
async fn main() {
    match risky_task().await {
        Ok(()) => {}
        Err(e) => println!("Caught an error: {e}"),
    }
}
