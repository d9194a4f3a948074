//! `asyncio-fetch`: fetch thousands of URLs at once, politely, losing nothing.
//!
//! ```text
//! asyncio-fetch --demo                       # no network: an embedded server, 10,000 URLs
//! asyncio-fetch urls.txt -o results.jsonl --save pages/
//! asyncio-fetch urls.txt -o results.jsonl --resume   # after an interruption
//! ```
//!
//! Exit status: 0 when every URL has its line (HTTP errors are results, not failures); 1 when
//! something the lines cannot show went wrong (the input could not be read to the end, a body
//! could not be saved, the output could not be written); 2 for a bad command line or input
//! file; 130 after Ctrl-C or SIGTERM; 141 when the reader of standard output went away.

mod args;
mod bounds;
mod demo;
mod document;
mod failure;
mod fetch;
mod frontier;
mod input;
mod limits;
mod lines;
mod links;
mod profile;
mod progress;
mod record;
mod redis_conn;
mod robots;
mod run;
mod save;
mod shared;
mod site;
mod sitemaps;
mod summary;
mod trace_file;
mod warc;

use clap::Parser;

fn main() {
    let args = args::Args::parse();
    if args.demo_server {
        let _ = raise_fd_limit(args.concurrency().max(10_000));
        println!("{}", demo::start(args.demo_latency, args.demo_urls as u64));
        loop {
            std::thread::park();
        }
    }
    // The run handles Ctrl-C itself (stop taking URLs, grace period, summary).
    let rt = match asyncio::Runtime::builder()
        .loops(args.loops())
        .thread_name("asyncio-fetch")
        .without_sigint_handling()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("asyncio-fetch: cannot start the event loops: {e}");
            std::process::exit(1);
        }
    };
    let handle = rt.handle();
    let code = rt.block_on(async move {
        listen_for_asyncio_ps(&handle).await;
        let concurrency = usable_concurrency(args.concurrency());
        match choose_input(&args, concurrency).await {
            Ok((input, total)) => finish(run::run(handle, args, input, total, concurrency).await),
            Err(status) => status,
        }
    });
    if let Err(e) = rt.shutdown(std::time::Duration::from_secs(1)) {
        eprintln!("asyncio-fetch: {e}");
        std::process::exit(1);
    }
    std::process::exit(code);
}

/// Lets `asyncio-ps <pid>` list the run's tasks on every loop while it runs (a long crawl can
/// be looked into); without a usable socket the run goes on and says why.
async fn listen_for_asyncio_ps(handle: &asyncio::cores::RuntimeHandle) {
    let Ok(calls) = handle.for_each_loop(|_| asyncio::debug::listen().map_err(|e| e.to_string()))
    else {
        return;
    };
    for call in calls {
        if let Ok(Err(e)) = call.await {
            eprintln!("asyncio-fetch: no task dump for asyncio-ps: {e}");
            return;
        }
    }
}

/// The URLs to fetch and, when known, how many: the demo's generated ones, a crawl's one
/// seed URL given in place of a file, a file or standard input, or none when joining a
/// shared job (its frontier has them). `Err` is the exit status, the problem already told.
async fn choose_input(
    args: &args::Args,
    concurrency: usize,
) -> Result<(input::Input, Option<u64>), i32> {
    let generated = |urls: Box<dyn Iterator<Item = String>>| input::Input::Generated(urls, 0);
    if args.demo {
        let base = demo::start(args.demo_latency, args.demo_urls as u64);
        let n = args.demo_urls;
        let latency = args.demo_latency;
        let (what, urls): (String, Box<dyn Iterator<Item = String>>) = if args.crawl {
            let seed = format!("{base}/site/0");
            let what =
                format!("crawling a generated site of {n} pages from a local server ({seed})");
            (what, Box::new(std::iter::once(seed)))
        } else {
            let what = format!("{n} URLs from a local server ({base})");
            (
                what,
                Box::new((0..n).map(move |i| format!("{base}/page/{i}"))),
            )
        };
        if !args.quiet {
            eprintln!("demo: {what}, ~{latency} ms each, concurrency {concurrency}");
        }
        return Ok((generated(urls), Some(n as u64)));
    }
    let Some(path) = args.input.clone() else {
        if args.redis.is_some() {
            return Ok((generated(Box::new(std::iter::empty())), None));
        }
        eprintln!("asyncio-fetch: give a file of URLs (or - for standard input), or --demo");
        return Err(2);
    };
    let one_url = args.crawl
        && (path.starts_with("http://") || path.starts_with("https://"))
        && !std::path::Path::new(&path).exists();
    if one_url {
        return Ok((generated(Box::new(std::iter::once(path))), None));
    }
    match input::Input::open(&path).await {
        Ok(i) => Ok((i, None)),
        Err(e) => {
            // The error names the path already.
            eprintln!("asyncio-fetch: {e}");
            Err(2)
        }
    }
}

/// Reports how the run went; returns the exit status.
fn finish(result: std::io::Result<run::Outcome>) -> i32 {
    match result {
        Ok(outcome) => {
            let code = match &outcome.ending {
                // Like any Unix tool whose reader left: no more output, no message.
                run::Ending::BrokenPipe => return 141,
                run::Ending::OutputFailed(why) => {
                    eprintln!("asyncio-fetch: {why}; stopped");
                    1
                }
                run::Ending::Interrupted => 130,
                run::Ending::Done => 0,
            };
            eprint!("{}", outcome.summary);
            for p in &outcome.problems {
                eprintln!("asyncio-fetch: {p}");
            }
            if code == 0 && !outcome.problems.is_empty() {
                1
            } else {
                code
            }
        }
        Err(e) => {
            eprintln!("asyncio-fetch: {e}");
            1
        }
    }
}

/// Descriptors kept free for everything that is not a connection: the loop's own, standard
/// streams, DNS lookups, `--save`'s files.
const RESERVED_FDS: u64 = 64;

/// Raises the soft descriptor limit for `concurrency` connections as far as the hard limit
/// allows, and returns the concurrency the descriptors can carry (saying so when it is less
/// than asked).
fn usable_concurrency(concurrency: usize) -> usize {
    let now = raise_fd_limit(concurrency);
    let Some(now) = now else {
        return concurrency;
    };
    let fits = now.saturating_sub(RESERVED_FDS).max(1);
    if (concurrency as u64) <= fits {
        return concurrency;
    }
    eprintln!(
        "asyncio-fetch: the descriptor limit ({now}) carries {fits} connections at once, not {concurrency}; running {fits} at a time"
    );
    fits as usize
}

/// Raises the soft descriptor limit toward what `concurrency` connections need; returns the
/// soft limit in force afterwards.
fn raise_fd_limit(concurrency: usize) -> Option<u64> {
    let want = concurrency as u64 + 256;
    let (soft, hard) = limits::nofile()?;
    if soft >= want {
        return Some(soft);
    }
    let target = want.min(hard);
    Some(if limits::set_soft_nofile(target) {
        target
    } else {
        soft
    })
}
