//! tokio-postgres on the loop against a real PostgreSQL server the test starts itself:
//! concurrent queries (seed 004's "database queries"), prepared statements from several tasks,
//! a cancel that works, a connect timeout, and the Unix socket.

mod common;

use std::time::Duration;

use asyncio_ecosystem::postgres::{connect, Error};
use tokio_postgres::error::SqlState;
use tokio_postgres::Config;

const TIMEOUT: Duration = Duration::from_secs(10);

#[test]
fn concurrent_inserts_and_prepared_selects_from_many_tasks() {
    let Some(pg) = common::Pg::start("queries") else {
        return;
    };
    let config: Config = pg.config().parse().unwrap();
    asyncio::run(async move {
        let (client, _cancel) = connect(&config, TIMEOUT).await.unwrap();
        client
            .batch_execute("CREATE TABLE items (id INT4 PRIMARY KEY, name TEXT NOT NULL)")
            .await
            .unwrap();
        let client = std::rc::Rc::new(client);
        // 2,000 inserts in flight at once over one connection (tokio-postgres pipelines them).
        let insert = client
            .prepare("INSERT INTO items (id, name) VALUES ($1, $2)")
            .await
            .unwrap();
        let inserts = (0..2000i32).map(|i| {
            let (client, insert) = (client.clone(), insert.clone());
            async move { client.execute(&insert, &[&i, &format!("item {i}")]).await }
        });
        for n in asyncio::task::gather(inserts).await {
            assert_eq!(n.unwrap(), 1);
        }
        // 8 tasks, each with its own connection, 100 prepared selects each.
        let tasks: Vec<_> = (0..8)
            .map(|t| {
                let config = config.clone();
                asyncio::spawn(async move {
                    let (c, _) = connect(&config, TIMEOUT).await.unwrap();
                    let select = c
                        .prepare("SELECT name FROM items WHERE id = $1")
                        .await
                        .unwrap();
                    for k in 0..100i32 {
                        let id = t * 100 + k;
                        let row = c.query_one(&select, &[&id]).await.unwrap();
                        assert_eq!(row.get::<_, String>(0), format!("item {id}"));
                    }
                    100
                })
            })
            .collect();
        let mut done = 0;
        for t in tasks {
            done += t.await.unwrap();
        }
        assert_eq!(done, 800);
        let count: i64 = client
            .query_one("SELECT count(*) FROM items", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(count, 2000);
    });
}

#[test]
fn the_canceller_stops_a_running_query() {
    let Some(pg) = common::Pg::start("cancel") else {
        return;
    };
    let config: Config = pg.config().parse().unwrap();
    asyncio::run(async move {
        let (client, canceller) = connect(&config, TIMEOUT).await.unwrap();
        let pid: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0);
        let sleeper =
            asyncio::spawn(
                async move { client.query("SELECT pg_sleep(60)", &[]).await.map(|_| ()) },
            );
        // Wait (on the server's word, not a timer) until the sleep runs, then cancel it.
        let (watcher, _) = connect(&config, TIMEOUT).await.unwrap();
        loop {
            let active: i64 = watcher
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE 'SELECT pg_sleep%'",
                    &[&pid],
                )
                .await
                .unwrap()
                .get(0);
            if active == 1 {
                break;
            }
            asyncio::time::yield_now().await;
        }
        canceller.cancel().await.unwrap();
        let err = asyncio::time::timeout(TIMEOUT, sleeper)
            .await
            .expect("the query ended after the cancel")
            .unwrap()
            .unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err}");
    });
}

#[test]
fn a_server_that_never_answers_times_out() {
    // A listener that accepts but never speaks PostgreSQL: the handshake cannot finish.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let config: Config = format!("host=127.0.0.1 port={port} user=postgres")
        .parse()
        .unwrap();
    let lp = asyncio::EventLoop::builder()
        .virtual_time(true)
        .build()
        .unwrap();
    let got = lp.run_until_complete(async move { connect(&config, Duration::from_secs(5)).await });
    assert!(matches!(got, Err(Error::Timeout)), "{got:?}");
    drop(silent);
}

#[test]
fn a_refused_connection_is_a_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config: Config = format!("host=127.0.0.1 port={port} user=postgres")
        .parse()
        .unwrap();
    let got = asyncio::run(async move { connect(&config, TIMEOUT).await });
    match got {
        Err(Error::Connect(e)) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused),
        other => panic!("{other:?}"),
    }
}

#[test]
fn connects_over_the_unix_socket() {
    let Some(pg) = common::Pg::start("unix") else {
        return;
    };
    let config: Config = format!(
        "host={} port={} user=postgres dbname=postgres",
        pg.socket_dir().display(),
        pg.port
    )
    .parse()
    .unwrap();
    asyncio::run(async move {
        let (client, canceller) = connect(&config, TIMEOUT).await.unwrap();
        let one: i32 = client
            .query_one("SELECT 1::INT4", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(one, 1);
        // Nothing runs: the cancel request is accepted and changes nothing.
        canceller.cancel().await.unwrap();
        let two: i32 = client
            .query_one("SELECT 2::INT4", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(two, 2);
    });
}

#[test]
fn the_seed_004_example_runs_its_queries_at_once() {
    let Some(pg) = common::Pg::start("example") else {
        return;
    };
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join("database_queries"))
        .unwrap();
    let out = std::process::Command::new(example)
        .arg(pg.config())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("the 3 queries ran at once on the server"),
        "{text}"
    );
}
