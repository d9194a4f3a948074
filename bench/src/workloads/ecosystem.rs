//! The ecosystem workloads (issue 14): crates users bring, on asyncio-rs and on tokio's
//! current-thread runtime.
//!
//! - `axum-wrk`: an axum `Router` (hello world) under `wrk -t1 -c100 -d5s`: asyncio-rs serves
//!   it with `compat::hyper::serve`, tokio with `axum::serve`.
//! - `pg-select`: 8 tasks, each on its own connection, 5,000 prepared `SELECT`s each against a
//!   PostgreSQL server the workload starts (initdb + pg_ctl, loopback): asyncio-rs through
//!   `asyncio_ecosystem::postgres::connect`, tokio through `tokio_postgres::connect`.

use std::time::Duration;

use super::{rt, Measurement};

const PG_TASKS: usize = 8;
pub(crate) const PG_QUERIES: usize = 5_000;

pub(crate) fn supports(runtime: &str) -> bool {
    matches!(runtime, "asyncio-rs" | "tokio-ct")
}

pub(crate) fn run(workload: &str, runtime: &str) -> Measurement {
    match workload {
        "axum-wrk" => super::hyper_wrk::run_with(runtime, "--serve-axum"),
        "pg-select" => pg_select(runtime),
        other => panic!("not an ecosystem workload: {other}"),
    }
}

fn router() -> axum::Router {
    axum::Router::new().route("/", axum::routing::get(|| async { "Hello, World!" }))
}

/// `--serve-axum RUNTIME`: serve the router on 127.0.0.1:0, print the port.
pub(crate) fn serve_axum(runtime: &str) {
    match runtime {
        "asyncio-rs" => asyncio::run(async {
            let server = asyncio::compat::hyper::serve(
                "127.0.0.1:0",
                hyper_util::service::TowerToHyperService::new(router()),
            )
            .await
            .expect("serve");
            super::multicore::announce(server.local_addr().expect("addr").port());
            server.serve_forever().await;
        }),
        "tokio-ct" => rt::tokio_ct().block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            super::multicore::announce(listener.local_addr().expect("addr").port());
            axum::serve(listener, router()).await.expect("serve");
        }),
        other => panic!("no axum server for {other}"),
    }
}

fn pg_select(runtime: &str) -> Measurement {
    let Some(pg) = asyncio_ecosystem::pg_server::Pg::start("bench") else {
        eprintln!("pg-select left out: PostgreSQL is not installed (apt-get install postgresql)");
        std::process::exit(3);
    };
    let conn = pg.config();
    let (m, total) = match runtime {
        "asyncio-rs" => {
            let config: tokio_postgres::Config = conn.parse().expect("config");
            rt::asyncio(async move {
                let tasks: Vec<_> = (0..PG_TASKS)
                    .map(|_| {
                        let config = config.clone();
                        asyncio::spawn(async move {
                            let (client, _) = asyncio_ecosystem::postgres::connect(
                                &config,
                                Duration::from_secs(10),
                            )
                            .await
                            .expect("connect");
                            selects(&client).await
                        })
                    })
                    .collect();
                let mut total = 0;
                for t in tasks {
                    total += t.await.expect("task");
                }
                total
            })
        }
        "tokio-ct" => rt::tokio(rt::tokio_ct(), async move {
            let tasks: Vec<_> = (0..PG_TASKS)
                .map(|_| {
                    let conn = conn.clone();
                    tokio::spawn(async move {
                        let (client, connection) =
                            tokio_postgres::connect(&conn, tokio_postgres::NoTls)
                                .await
                                .expect("connect");
                        tokio::spawn(connection);
                        selects(&client).await
                    })
                })
                .collect();
            let mut total = 0;
            for t in tasks {
                total += t.await.expect("task");
            }
            total
        }),
        other => panic!("pg-select: unknown runtime {other}"),
    };
    assert_eq!(total, (PG_TASKS * PG_QUERIES) as i64);
    drop(pg);
    m
}

/// One task's share: prepared selects, one at a time (each awaits its answer).
async fn selects(client: &tokio_postgres::Client) -> i64 {
    let stmt = client.prepare("SELECT $1::INT8").await.expect("prepare");
    let mut n = 0;
    for i in 0..PG_QUERIES as i64 {
        let v: i64 = client.query_one(&stmt, &[&i]).await.expect("select").get(0);
        assert_eq!(v, i);
        n += 1;
    }
    n
}

/// The `axum-wrk` workload.
pub(crate) const AXUM_WRK: super::Workload = super::Workload {
    name: "axum-wrk",
    info: super::Info {
        count: super::hyper_wrk::REQUESTS as f64,
        unit: "requests/s",
        description:
            "an axum Router (hello world) under wrk -t1 -c100 -d5s (time per 100,000 requests)",
    },
    supports,
    run: |runtime| run("axum-wrk", runtime),
};

/// The `pg-select` workload.
pub(crate) const PG_SELECT: super::Workload = super::Workload {
    name: "pg-select",
    info: super::Info {
        count: 8.0 * PG_QUERIES as f64,
        unit: "queries/s",
        description:
            "tokio-postgres: 8 connections × 5,000 prepared SELECTs against a local PostgreSQL",
    },
    supports,
    run: |runtime| run("pg-select", runtime),
};
