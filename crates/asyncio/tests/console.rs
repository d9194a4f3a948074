//! tokio-console sees asyncio-rs's tasks (the `console` feature): console-subscriber's own layer
//! and gRPC service collect what the loop emits, and console-api's client, the one tokio-console
//! uses, reads it back. The console's server and the client run on tokio runtimes of their own
//! threads; the program under watch is an asyncio-rs loop on the test's thread.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use console_api::field::{Name, Value};
use console_api::instrument::instrument_client::InstrumentClient;
use console_api::instrument::InstrumentRequest;
use console_api::Field;
use tracing_subscriber::layer::SubscriberExt;

/// How long the test waits for the console to report something before it fails.
const PATIENCE: Duration = Duration::from_secs(60);

/// The watched task: ticks on a timer until told to stop.
async fn ticker(stop: Arc<AtomicBool>) -> u64 {
    let mut ticks = 0;
    while !stop.load(Ordering::Acquire) {
        asyncio::time::sleep(Duration::from_millis(5)).await;
        ticks += 1;
    }
    ticks
}

/// What the client saw of the task named `ticker`.
#[derive(Debug, Default)]
struct Seen {
    file: String,
    line: u32,
    kind: String,
    /// The distinct poll counts reported while it ran.
    polls: BTreeSet<u64>,
    /// A report showed it idle: not being polled, not ended.
    idle: bool,
    wakes: u64,
    waker_clones: u64,
    /// A report showed it ended.
    done: bool,
    /// Where the console placed a `Sleep` timer resource.
    sleep_file: Option<String>,
}

fn name_of(field: &Field) -> Option<&str> {
    match field.name.as_ref()? {
        Name::StrName(name) => Some(name),
        Name::NameIdx(_) => None,
    }
}

fn str_field<'a>(fields: &'a [Field], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|f| name_of(f) == Some(name))
        .and_then(|f| match f.value.as_ref()? {
            Value::StrVal(s) | Value::DebugVal(s) => Some(s.as_str()),
            _ => None,
        })
}

/// Watches the console's updates until the ticker has been seen polled more than once, then
/// tells it to stop, and watches on until the console reports it ended.
async fn watch(port: u16, stop: Arc<AtomicBool>) -> Result<Seen, String> {
    let deadline = Instant::now() + PATIENCE;
    let mut client = InstrumentClient::connect(format!("http://127.0.0.1:{port}"))
        .await
        .map_err(|e| format!("connecting to the console's server: {e}"))?;
    let mut updates = client
        .watch_updates(InstrumentRequest {})
        .await
        .map_err(|e| format!("watch_updates: {e}"))?
        .into_inner();
    let mut seen = Seen::default();
    let mut ticker_id = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let update = tokio::time::timeout(left, updates.message())
            .await
            .map_err(|_| format!("no end of the ticker within {PATIENCE:?}; saw {seen:?}"))?
            .map_err(|e| format!("update stream: {e}"))?
            .ok_or_else(|| format!("the update stream ended; saw {seen:?}"))?;
        if let Some(resources) = update.resource_update {
            for r in resources.new_resources {
                if r.concrete_type == "Sleep" {
                    seen.sleep_file = r.location.and_then(|l| l.file);
                }
            }
        }
        let Some(tasks) = update.task_update else {
            continue;
        };
        for task in tasks.new_tasks {
            if str_field(&task.fields, "task.name") == Some("ticker") {
                ticker_id = task.id.map(|id| id.id);
                let location = task.location.unwrap_or_default();
                seen.file = location.file.unwrap_or_default();
                seen.line = location.line.unwrap_or_default();
                seen.kind = str_field(&task.fields, "kind")
                    .unwrap_or_default()
                    .to_owned();
            }
        }
        let Some(stats) = ticker_id.and_then(|id| tasks.stats_update.get(&id)) else {
            continue;
        };
        seen.wakes = stats.wakes;
        seen.waker_clones = stats.waker_clones;
        if stats.dropped_at.is_some() {
            seen.done = true;
            return Ok(seen);
        }
        if let Some(poll) = &stats.poll_stats {
            seen.polls.insert(poll.polls);
            let started = poll
                .last_poll_started
                .as_ref()
                .map(|t| (t.seconds, t.nanos));
            let ended = poll.last_poll_ended.as_ref().map(|t| (t.seconds, t.nanos));
            if started.is_some() && ended >= started {
                seen.idle = true;
            }
        }
        if seen.polls.len() >= 2 && seen.idle && seen.sleep_file.is_some() {
            stop.store(true, Ordering::Release);
        }
    }
}

#[test]
fn the_console_sees_a_named_task_with_its_location_its_polls_and_its_end() {
    let (layer, server) = console_subscriber::ConsoleLayer::builder()
        .publish_interval(Duration::from_millis(20))
        .build();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        .expect("the only subscriber of this test binary");

    // The console's gRPC service on a listener bound here, so that no port can be taken
    // between choosing it and binding it.
    let (port_tx, port_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            port_tx.send(listener.local_addr().unwrap().port()).unwrap();
            let parts = server.into_parts();
            tokio::spawn(parts.aggregator.run());
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
            tonic::transport::Server::builder()
                .add_service(parts.instrument_server)
                .serve_with_incoming(incoming)
                .await
                .unwrap();
        });
    });
    let port = port_rx.recv().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let seen = rt.block_on(watch(port, stop.clone()));
            // Whatever happened, let the program end.
            stop.store(true, Ordering::Release);
            seen
        })
    };

    let spawned_on = asyncio::run(async move {
        let task = asyncio::task::Builder::new().name("ticker");
        let line = line!() + 1;
        let handle = task.spawn(ticker(stop));
        assert!(handle.await.unwrap() > 0);
        line
    });
    let seen = watcher.join().unwrap().unwrap();

    assert!(seen.file.ends_with("tests/console.rs"), "{seen:?}");
    assert_eq!(seen.line, spawned_on, "the console blames the spawn's line");
    assert_eq!(seen.kind, "task");
    assert!(seen.polls.len() >= 2, "the poll count rose: {seen:?}");
    assert!(seen.idle && seen.done, "idle, then done: {seen:?}");
    assert!(seen.wakes > 0 && seen.waker_clones > 0, "{seen:?}");
    assert!(
        seen.sleep_file
            .as_deref()
            .is_some_and(|f| f.ends_with("tests/console.rs")),
        "the sleep is a timer resource placed where it was made: {seen:?}"
    );
}
