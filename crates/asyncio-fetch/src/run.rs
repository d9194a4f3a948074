//! The run: a producer reads URLs into a bounded queue, `--concurrency` workers fetch them
//! (the session's per-host limit keeps it polite), every result becomes one JSON line, and a
//! signal stops the intake, gives in-flight requests their grace period and still writes the
//! summary.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use asyncio::sync::Queue;
use asyncio_http::{
    Attempt, ClientSession, ClientTimeout, Error, Method, RetryPolicy, SessionConfig, StatusCode,
};

use crate::args::Args;
use crate::input::{parse_line, Input};
use crate::progress::Progress;
use crate::record::{Output, Record};
use crate::summary::Summary;

struct Shared {
    output: RefCell<Output>,
    summary: RefCell<Summary>,
    progress: Progress,
    in_flight: Cell<u64>,
    rate: RefCell<HashMap<String, Instant>>,
    saved_names: RefCell<HashSet<String>>,
}

/// Runs the whole job; returns the summary text and whether a signal cut it short.
pub(crate) async fn run(
    args: Args,
    input: Input,
    total_hint: Option<u64>,
) -> std::io::Result<(String, bool)> {
    let started = Instant::now();
    let done = match (&args.output, args.resume) {
        (Some(p), true) => crate::record::done_urls(p)?,
        _ => HashSet::new(),
    };
    let output = if args.demo && args.output.is_none() {
        Output::discard()
    } else {
        Output::open(args.output.as_deref(), args.resume)?
    };
    if let Some(dir) = &args.save {
        asyncio::fs::create_dir_all(dir).await?;
    }
    let session = session(&args)?;
    let shared = Rc::new(Shared {
        output: RefCell::new(output),
        summary: RefCell::new(Summary::default()),
        progress: Progress::new(args.quiet, total_hint),
        in_flight: Cell::new(0),
        rate: RefCell::new(HashMap::new()),
        saved_names: RefCell::new(HashSet::new()),
    });
    let jobs: Queue<url::Url> = Queue::new(args.concurrency() * 2);
    let interrupted = Rc::new(Cell::new(false));
    let interrupt = asyncio::sync::Event::new();

    // Signals: stop taking URLs; the queue's items stay unfetched (resume fetches them).
    let stop = {
        let (jobs, interrupted, interrupt) = (jobs.clone(), interrupted.clone(), interrupt.clone());
        asyncio::spawn(async move {
            let (Ok(mut int), Ok(mut term)) = (
                asyncio::signal::signal(asyncio::signal::SignalKind::interrupt()),
                asyncio::signal::signal(asyncio::signal::SignalKind::terminate()),
            ) else {
                return;
            };
            std::future::poll_fn(|cx| {
                if int.poll_recv(cx).is_ready() || term.poll_recv(cx).is_ready() {
                    std::task::Poll::Ready(())
                } else {
                    std::task::Poll::Pending
                }
            })
            .await;
            interrupted.set(true);
            interrupt.set();
            jobs.shutdown(true);
        })
    };

    let producer = {
        let (jobs, shared, interrupted) = (jobs.clone(), shared.clone(), interrupted.clone());
        asyncio::spawn(async move {
            let mut input = input;
            while !interrupted.get() {
                let (n, line) = match input.next().await {
                    Ok(Some(x)) => x,
                    Ok(None) => break,
                    Err(e) => {
                        eprintln!("asyncio-fetch: reading the input failed: {e}");
                        break;
                    }
                };
                match parse_line(&line) {
                    None => {}
                    Some(Err(reason)) => {
                        eprintln!("line {n}: {reason}; skipped");
                        shared.summary.borrow_mut().invalid_lines += 1;
                    }
                    Some(Ok(url)) => {
                        if done.contains(url.as_str()) {
                            shared.summary.borrow_mut().skipped += 1;
                            continue;
                        }
                        if jobs.put(url).await.is_err() {
                            break;
                        }
                    }
                }
            }
            jobs.shutdown(false);
        })
    };

    let workers: Vec<_> = (0..args.concurrency())
        .map(|_| {
            let (jobs, shared, session, args) =
                (jobs.clone(), shared.clone(), session.clone(), args.clone());
            asyncio::spawn(async move {
                while let Ok(url) = jobs.get().await {
                    shared.in_flight.set(shared.in_flight.get() + 1);
                    let record = fetch(&session, &args, &shared, url).await;
                    shared.in_flight.set(shared.in_flight.get() - 1);
                    if let Err(e) = shared.output.borrow_mut().write(&record) {
                        eprintln!("asyncio-fetch: cannot write a result: {e}");
                    }
                    let errors = {
                        let mut s = shared.summary.borrow_mut();
                        s.add(&record);
                        s.errors()
                    };
                    shared.progress.tick(errors, shared.in_flight.get());
                }
            })
        })
        .collect();

    let _ = producer.await;
    // Normal end: every worker drains the queue. Interrupted: give them the grace period.
    let all = asyncio::task::gather(workers.into_iter().map(|w| async move { drop(w.await) }));
    if interrupted.get() {
        let _ = asyncio::time::timeout(args.grace(), all).await;
    } else {
        let mut waiting = asyncio::spawn(all);
        // A signal during the drain starts the grace period too.
        let mut signalled = std::pin::pin!(interrupt.wait());
        let ended = std::future::poll_fn(|cx| {
            if std::pin::Pin::new(&mut waiting).poll(cx).is_ready() {
                std::task::Poll::Ready(true)
            } else if signalled.as_mut().poll(cx).is_ready() {
                std::task::Poll::Ready(false)
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
        if !ended {
            let _ = asyncio::time::timeout(args.grace(), waiting).await;
        }
    }
    stop.task().cancel();
    shared.progress.finish();
    shared.output.borrow_mut().finish()?;
    let text = shared
        .summary
        .borrow_mut()
        .render(started.elapsed(), interrupted.get());
    Ok((text, interrupted.get()))
}

fn session(args: &Args) -> std::io::Result<ClientSession> {
    let mut config = SessionConfig {
        timeout: ClientTimeout {
            total: Some(args.timeout()),
            sock_connect: Some(args.connect_timeout()),
            ..ClientTimeout::none()
        },
        max_body: args.max_bytes,
        ..SessionConfig::default()
    };
    config.connector.limit = args.concurrency();
    config.connector.limit_per_host = args.per_host();
    config.headers.insert(
        "user-agent",
        args.user_agent
            .parse()
            .map_err(|_| std::io::Error::other("invalid --user-agent"))?,
    );
    for h in &args.headers {
        let (k, v) = h.split_once(':').ok_or_else(|| {
            std::io::Error::other(format!("invalid header {h:?}: expected Name: value"))
        })?;
        let name = asyncio_http::HeaderName::try_from(k.trim())
            .map_err(|_| std::io::Error::other(format!("invalid header name {k:?}")))?;
        let value = v
            .trim()
            .parse()
            .map_err(|_| std::io::Error::other(format!("invalid header value in {h:?}")))?;
        config.headers.insert(name, value);
    }
    if args.insecure {
        config.connector.tls = Some(
            asyncio::tls::TlsConnector::builder()
                .danger_accept_invalid_certs()
                .alpn(["h2", "http/1.1"])
                .build()?,
        );
    }
    Ok(ClientSession::with_config(config))
}

/// The retry rules of `--retries`: asyncio-http's policy, retrying timeouts too (a fetch
/// tool's timeouts are usually a slow server, worth another try).
fn retry_policy(args: &Args) -> RetryPolicy {
    RetryPolicy {
        max_retries: args.retries,
        base: Duration::from_millis(200),
        max_delay: Duration::from_secs(60),
        retry_timeouts: true,
    }
}

/// Waits for the host's next slot under `--rate`.
async fn pace(args: &Args, shared: &Shared, host: &str) {
    if args.rate <= 0.0 {
        return;
    }
    let gap = Duration::from_secs_f64(1.0 / args.rate);
    let at = {
        let mut rate = shared.rate.borrow_mut();
        let now = asyncio::time::now();
        let next = rate.get(host).copied().unwrap_or(now).max(now);
        rate.insert(host.to_owned(), next + gap);
        next
    };
    asyncio::time::sleep_until(at).await;
}

mod reqinfo {
    pub(crate) struct Info {
        pub(crate) final_url: String,
        pub(crate) bytes: u64,
        pub(crate) content_type: Option<String>,
        /// The response's `Retry-After`, for the retry policy.
        pub(crate) retry_headers: asyncio_http::HeaderMap,
    }
}

async fn fetch(session: &ClientSession, args: &Args, shared: &Shared, url: url::Url) -> Record {
    let host = url.host_str().unwrap_or("").to_owned();
    let started = Instant::now();
    let method = if args.method.eq_ignore_ascii_case("HEAD") {
        Method::HEAD
    } else {
        Method::GET
    };
    let policy = retry_policy(args);
    let mut attempts = 0;
    let result = loop {
        attempts += 1;
        pace(args, shared, &host).await;
        let r = once(session, args, shared, &method, &url).await;
        let outcome = match &r {
            Ok((status, info)) => Attempt::Response(
                StatusCode::from_u16(*status).unwrap_or(StatusCode::OK),
                &info.retry_headers,
            ),
            Err(e) => Attempt::Failed(e),
        };
        let seed = u64::from(started.elapsed().subsec_nanos()) ^ u64::from(attempts);
        let Some(backoff) = policy.next_delay(attempts, outcome, seed) else {
            break r;
        };
        asyncio::time::sleep(backoff).await;
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok((status, info)) => Record {
            url: url.to_string(),
            final_url: Some(info.final_url),
            status: Some(status),
            bytes: info.bytes,
            elapsed_ms,
            attempts,
            content_type: info.content_type,
            error: None,
            host,
        },
        Err(e) => Record {
            url: url.to_string(),
            final_url: None,
            status: None,
            bytes: 0,
            elapsed_ms,
            attempts,
            content_type: None,
            error: Some((e.kind().to_owned(), e.detail())),
            host,
        },
    }
}

async fn once(
    session: &ClientSession,
    args: &Args,
    shared: &Shared,
    method: &Method,
    url: &url::Url,
) -> Result<(u16, reqinfo::Info), Error> {
    let resp = session.request(method.clone(), url).send().await?;
    let status = resp.status().as_u16();
    let final_url = resp.url().to_string();
    let content_type = resp.content_type().map(str::to_owned);
    let mut retry_headers = asyncio_http::HeaderMap::new();
    if let Some(v) = resp.headers().get(asyncio_http::header::RETRY_AFTER) {
        retry_headers.insert(asyncio_http::header::RETRY_AFTER, v.clone());
    }
    let body = resp.bytes().await?;
    if let Some(dir) = &args.save {
        if let Err(e) = save(dir, shared, url, &body).await {
            eprintln!("asyncio-fetch: cannot save {url}: {e}");
        }
    }
    Ok((
        status,
        reqinfo::Info {
            final_url,
            bytes: body.len() as u64,
            content_type,
            retry_headers,
        },
    ))
}

/// Stores a body under a name from the URL, written to a temporary name and renamed.
async fn save(
    dir: &std::path::Path,
    shared: &Shared,
    url: &url::Url,
    body: &[u8],
) -> std::io::Result<()> {
    let base: String = format!("{}{}", url.host_str().unwrap_or("host"), url.path())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let base = if base.len() > 150 {
        base[..150].to_owned()
    } else {
        base
    };
    let name = {
        let mut names = shared.saved_names.borrow_mut();
        let mut name = base.clone();
        let mut n = 1;
        while names.contains(&name) || dir.join(&name).exists() {
            n += 1;
            name = format!("{base}-{n}");
        }
        names.insert(name.clone());
        name
    };
    let tmp: PathBuf = dir.join(format!(".{name}.part"));
    asyncio::fs::write(&tmp, body).await?;
    asyncio::fs::rename(&tmp, dir.join(&name)).await
}
