//! The run: a producer reads URLs into a bounded queue, `--concurrency` workers fetch them
//! (each waits for its host's slot before its clock starts), every result becomes one JSON
//! line, and a signal stops the intake, gives in-flight requests their grace period (a second
//! signal ends it at once) and still writes the finished lines and the summary.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::rc::Rc;
use std::task::Poll;
use std::time::{Duration, Instant};

use asyncio::sync::{Event, Queue, Semaphore};
use asyncio_http::{
    Attempt, ClientSession, ClientTimeout, Error, Method, RetryPolicy, SessionConfig, StatusCode,
};

use crate::args::Args;
use crate::input::{parse_line, Input};
use crate::progress::Progress;
use crate::record::{redact, Output, Record};
use crate::save::Saver;
use crate::summary::Summary;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Every URL was taken.
    Done,
    /// A signal cut it short.
    Interrupted,
    /// Writing a result failed: the run stopped (the message says why).
    OutputFailed(String),
    /// The reader of standard output went away (`| head`): the run stopped quietly.
    BrokenPipe,
}

/// What the run reports back.
pub(crate) struct Outcome {
    pub(crate) summary: String,
    pub(crate) ending: Ending,
    /// Something failed that the results cannot show (the input could not be read to the end,
    /// bodies could not be saved): the exit status must say so.
    pub(crate) problems: Vec<String>,
}

struct Shared {
    output: RefCell<Output>,
    summary: RefCell<Summary>,
    progress: Progress,
    in_flight: Cell<u64>,
    rate: RefCell<HashMap<String, Instant>>,
    /// Each host's slots (`--per-host`): a request's clock starts once it holds one.
    slots: RefCell<HashMap<String, Semaphore>>,
    saver: Option<Saver>,
    ending: RefCell<Ending>,
    /// Set when the intake must stop: a signal or a failed output.
    stop: Event,
}

impl Shared {
    /// Ends the run early for `why` (the first reason wins) and stops the intake.
    fn end(&self, why: Ending, jobs: &Queue<url::Url>) {
        let mut ending = self.ending.borrow_mut();
        if *ending == Ending::Done {
            *ending = why;
        }
        drop(ending);
        self.stop.set();
        jobs.shutdown(true);
    }

    fn slot(&self, host: &str, per_host: usize) -> Semaphore {
        let mut slots = self.slots.borrow_mut();
        if let Some(s) = slots.get(host) {
            return s.clone();
        }
        let s = Semaphore::new(per_host);
        slots.insert(host.to_owned(), s.clone());
        s
    }
}

/// Runs the whole job.
///
/// # Errors
/// The output cannot be opened, or `--save`'s directory cannot be made.
pub(crate) async fn run(
    args: Args,
    input: Input,
    total_hint: Option<u64>,
    concurrency: usize,
) -> std::io::Result<Outcome> {
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
    let saver = match &args.save {
        Some(dir) => {
            asyncio::fs::create_dir_all(dir).await?;
            Some(Saver::new(dir.clone()))
        }
        None => None,
    };
    let session = session(&args, concurrency)?;
    let shared = Rc::new(Shared {
        output: RefCell::new(output),
        summary: RefCell::new(Summary::default()),
        progress: Progress::new(args.quiet, total_hint),
        in_flight: Cell::new(0),
        rate: RefCell::new(HashMap::new()),
        slots: RefCell::new(HashMap::new()),
        saver,
        ending: RefCell::new(Ending::Done),
        stop: Event::new(),
    });
    let jobs: Queue<url::Url> = Queue::new(concurrency * 2);
    let input_failed: Rc<RefCell<Option<String>>> = Rc::default();
    // A second signal: in-flight requests end at once.
    let hurry = Event::new();

    // Signals: the first stops the intake (the queue's items stay unfetched: resume fetches
    // them) and starts the grace period; the second ends the grace period. Listening goes on,
    // so a second Ctrl-C never kills the process with lines still unwritten.
    let signals = {
        let (jobs, shared, hurry) = (jobs.clone(), shared.clone(), hurry.clone());
        asyncio::spawn(async move {
            // Each on its own: one that cannot be listened to must not cost the other.
            let mut int = asyncio::signal::signal(asyncio::signal::SignalKind::interrupt()).ok();
            let mut term = asyncio::signal::signal(asyncio::signal::SignalKind::terminate()).ok();
            if int.is_none() && term.is_none() {
                return;
            }
            let mut seen = 0;
            loop {
                std::future::poll_fn(|cx| {
                    let a = int.as_mut().is_some_and(|s| s.poll_recv(cx).is_ready());
                    let b = term.as_mut().is_some_and(|s| s.poll_recv(cx).is_ready());
                    if a || b {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                })
                .await;
                seen += 1;
                if seen == 1 {
                    eprintln!(
                        "asyncio-fetch: interrupted: finishing the requests in flight (again to stop them now)"
                    );
                    shared.end(Ending::Interrupted, &jobs);
                } else {
                    hurry.set();
                }
            }
        })
    };

    let producer = {
        let (jobs, shared, input_failed) = (jobs.clone(), shared.clone(), input_failed.clone());
        asyncio::spawn(async move {
            let mut input = input;
            while !shared.stop.is_set() {
                let (n, line) = match input.next().await {
                    Ok(Some(x)) => x,
                    Ok(None) => break,
                    Err(e) => {
                        *input_failed.borrow_mut() = Some(format!("reading the input failed: {e}"));
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
                        if done.contains(&redact(&url)) {
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

    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (jobs, shared, session, args) =
                (jobs.clone(), shared.clone(), session.clone(), args.clone());
            asyncio::spawn(async move {
                while let Ok(url) = jobs.get().await {
                    shared.in_flight.set(shared.in_flight.get() + 1);
                    let record = fetch(&session, &args, &shared, url).await;
                    shared.in_flight.set(shared.in_flight.get() - 1);
                    if !matches!(*shared.ending.borrow(), Ending::Done | Ending::Interrupted) {
                        continue; // the output is gone: nothing more can be recorded
                    }
                    if let Err(e) = shared.output.borrow_mut().write(&record) {
                        let why = if e.kind() == std::io::ErrorKind::BrokenPipe {
                            Ending::BrokenPipe
                        } else {
                            Ending::OutputFailed(format!("cannot write a result: {e}"))
                        };
                        shared.end(why, &jobs);
                        continue;
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

    // Without a terminal, a plain progress line every 2 s.
    let ticker = shared.progress.is_plain().then(|| {
        let shared = shared.clone();
        asyncio::spawn(async move {
            let mut every = asyncio::time::interval(Duration::from_secs(2));
            every.tick().await;
            loop {
                every.tick().await;
                let errors = shared.summary.borrow().errors();
                shared.progress.line(errors, shared.in_flight.get());
            }
        })
    });

    let _ = producer.await;
    // Normal end: every worker drains the queue. Stopped early: the workers get the grace
    // period, which a second signal cuts short.
    let tasks: Vec<asyncio::task::Task> = workers.iter().map(|w| w.task().clone()).collect();
    let mut all = std::pin::pin!(asyncio::task::gather(
        workers.into_iter().map(|w| async move { drop(w.await) })
    ));
    let finished = race(all.as_mut(), shared.stop.wait()).await;
    if !finished && *shared.ending.borrow() == Ending::Interrupted {
        let grace = asyncio::time::sleep(args.grace());
        let cut = async {
            let _ = race(grace, hurry.wait()).await;
        };
        let _ = race(all.as_mut(), cut).await;
    }
    for t in &tasks {
        t.cancel();
    }
    signals.task().cancel();
    if let Some(t) = ticker {
        t.task().cancel();
    }
    shared.progress.finish();
    let ending = shared.ending.borrow().clone();
    if !matches!(ending, Ending::OutputFailed(_) | Ending::BrokenPipe) {
        if let Err(e) = shared.output.borrow_mut().finish() {
            return Ok(Outcome {
                summary: String::new(),
                ending: if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Ending::BrokenPipe
                } else {
                    Ending::OutputFailed(format!("cannot write the results: {e}"))
                },
                problems: Vec::new(),
            });
        }
    }
    let mut problems = Vec::new();
    if let Some(e) = input_failed.borrow_mut().take() {
        problems.push(e);
    }
    let save_failed = shared.summary.borrow().save_failed;
    if save_failed > 0 {
        problems.push(format!("{save_failed} bodies could not be saved"));
    }
    let summary = shared
        .summary
        .borrow_mut()
        .render(started.elapsed(), ending == Ending::Interrupted);
    Ok(Outcome {
        summary,
        ending,
        problems,
    })
}

/// Whether `a` finished first (`b` is dropped then, and `a` is left as it is otherwise).
async fn race(a: impl Future, b: impl Future) -> bool {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    std::future::poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() {
            Poll::Ready(true)
        } else if b.as_mut().poll(cx).is_ready() {
            Poll::Ready(false)
        } else {
            Poll::Pending
        }
    })
    .await
}

fn session(args: &Args, concurrency: usize) -> std::io::Result<ClientSession> {
    let mut config = SessionConfig {
        timeout: ClientTimeout {
            total: Some(args.timeout()),
            sock_connect: Some(args.connect_timeout()),
            ..ClientTimeout::none()
        },
        ..SessionConfig::default()
    };
    // Requests wait for their host's slot in `fetch`, before their clock starts; the session's
    // own per-host limit only paces redirects that leave the host.
    config.connector.limit = concurrency;
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

/// Whether a failed connect ran out of descriptors (ours, or the system's): then the request
/// waits and tries again, as it would for a free slot; it is never the URL's result.
fn out_of_descriptors(e: &Error) -> bool {
    match e {
        Error::Connect { source, .. } => matches!(
            asyncio::io::os_error(source),
            Some(libc::EMFILE | libc::ENFILE)
        ),
        _ => false,
    }
}

/// What one attempt brought back.
struct Got {
    status: u16,
    /// Where the redirects ended, credentials redacted.
    final_url: String,
    bytes: u64,
    content_type: Option<String>,
    /// The response's `Retry-After`, for the retry policy.
    retry_headers: asyncio_http::HeaderMap,
    saved: Option<Result<String, String>>,
    truncated: bool,
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
    let slot = shared.slot(&host, args.per_host());
    let mut attempts = 0;
    let mut fd_backoff = Duration::from_millis(10);
    let result = loop {
        attempts += 1;
        pace(args, shared, &host).await;
        let r = {
            let _slot = slot.acquire().await;
            // The timeout runs inside `once`: from here, with the slot held.
            once(session, args, shared, &method, &url).await
        };
        if let Err(e) = &r {
            if out_of_descriptors(e) {
                attempts -= 1;
                asyncio::time::sleep(fd_backoff).await;
                fd_backoff = (fd_backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        }
        let outcome = match &r {
            Ok(got) => Attempt::Response(
                StatusCode::from_u16(got.status).unwrap_or(StatusCode::OK),
                &got.retry_headers,
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
    let mut record = Record {
        url: redact(&url),
        final_url: None,
        status: None,
        bytes: 0,
        elapsed_ms,
        attempts,
        content_type: None,
        error: None,
        host,
        saved_as: None,
        truncated: false,
    };
    match result {
        Ok(got) => {
            record.final_url = Some(got.final_url);
            record.status = Some(got.status);
            record.bytes = got.bytes;
            record.content_type = got.content_type;
            record.truncated = got.truncated;
            match got.saved {
                Some(Ok(name)) => record.saved_as = Some(name),
                Some(Err(e)) => {
                    record.error = Some(("save".to_owned(), e));
                    shared.summary.borrow_mut().save_failed += 1;
                }
                None => {}
            }
        }
        Err(e) => record.error = Some((e.kind().to_owned(), e.detail())),
    }
    record
}

async fn once(
    session: &ClientSession,
    args: &Args,
    shared: &Shared,
    method: &Method,
    url: &url::Url,
) -> Result<Got, Error> {
    let mut resp = session.request(method.clone(), url).send().await?;
    let status = resp.status().as_u16();
    let final_url = redact(resp.url());
    let content_type = resp.content_type().map(str::to_owned);
    let mut retry_headers = asyncio_http::HeaderMap::new();
    if let Some(v) = resp.headers().get(asyncio_http::header::RETRY_AFTER) {
        retry_headers.insert(asyncio_http::header::RETRY_AFTER, v.clone());
    }
    // The body, up to `--max-bytes`: a longer one is cut there (the status stands).
    let limit = args.max_bytes.unwrap_or(u64::MAX);
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = resp.chunk().await? {
        let room = limit.saturating_sub(body.len() as u64);
        if chunk.len() as u64 > room {
            body.extend_from_slice(&chunk[..room as usize]);
            truncated = true;
            break; // dropping the response closes the connection
        }
        body.extend_from_slice(&chunk);
    }
    drop(resp);
    let saved = match &shared.saver {
        Some(saver) => Some(saver.save(url, &body).await),
        None => None,
    };
    Ok(Got {
        status,
        final_url,
        bytes: body.len() as u64,
        content_type,
        retry_headers,
        saved,
        truncated,
    })
}
