//! Seed 004's "database queries", concurrently: three slow queries one after another, then
//! the same three at once (each on its own connection), against a PostgreSQL server.
//!
//! ```text
//! cargo run -p asyncio-ecosystem --example database_queries -- "host=127.0.0.1 user=postgres"
//! ```

use std::time::{Duration, Instant};

use asyncio_ecosystem::postgres::connect;

/// A query that takes `secs` on the server; returns when it started and ended there (seconds
/// since the epoch, by the server's clock).
async fn slow_query(
    config: &tokio_postgres::Config,
    secs: f64,
) -> Result<(f64, f64), asyncio_ecosystem::postgres::Error> {
    let (client, _cancel) = connect(config, Duration::from_secs(10)).await?;
    let row = client
        .query_one(
            "SELECT extract(epoch FROM clock_timestamp())::FLOAT8,
                    pg_sleep($1),
                    extract(epoch FROM clock_timestamp())::FLOAT8",
            &[&secs],
        )
        .await?;
    Ok((row.get(0), row.get(2)))
}

#[asyncio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(conn) = std::env::args().nth(1) else {
        eprintln!("usage: database_queries \"host=127.0.0.1 user=postgres\"");
        std::process::exit(2);
    };
    let config: tokio_postgres::Config = conn.parse()?;

    let t = Instant::now();
    for _ in 0..3 {
        slow_query(&config, 0.3).await?;
    }
    println!("one after another: {:.2} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let spans = asyncio::task::gather((0..3).map(|_| slow_query(&config, 0.3))).await;
    println!("at once: {:.2} s", t.elapsed().as_secs_f64());
    let spans = spans.into_iter().collect::<Result<Vec<_>, _>>()?;
    // On the server's clock: did every query start before any of them ended?
    let last_start = spans.iter().map(|s| s.0).fold(f64::MIN, f64::max);
    let first_end = spans.iter().map(|s| s.1).fold(f64::MAX, f64::min);
    if last_start < first_end {
        println!("the 3 queries ran at once on the server");
    } else {
        println!("the queries did not overlap");
    }
    Ok(())
}
