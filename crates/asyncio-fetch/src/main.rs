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
mod demo;
mod document;
mod frontier;
mod input;
mod limits;
mod lines;
mod links;
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
        let concurrency = usable_concurrency(args.concurrency());
        let (input, total) = if args.demo {
            let base = demo::start(args.demo_latency, args.demo_urls as u64);
            let n = args.demo_urls;
            if args.crawl {
                if !args.quiet {
                    eprintln!(
                        "demo: crawling a generated site of {n} pages from a local server ({base}/site/0), ~{} ms each, concurrency {}",
                        args.demo_latency, concurrency
                    );
                }
                let seed = std::iter::once(format!("{base}/site/0"));
                (input::Input::Generated(Box::new(seed), 0), Some(n as u64))
            } else {
            if !args.quiet {
                eprintln!(
                    "demo: {n} URLs from a local server ({base}), ~{} ms each, concurrency {}",
                    args.demo_latency, concurrency
                );
            }
            let urls = (0..n).map(move |i| format!("{base}/page/{i}"));
            (input::Input::Generated(Box::new(urls), 0), Some(n as u64))
            }
        } else {
            let Some(path) = args.input.clone() else {
                if args.redis.is_some() {
                    // Joining a shared job: its frontier has the URLs.
                    let none = input::Input::Generated(Box::new(std::iter::empty()), 0);
                    return finish(run::run(handle, args, none, None, concurrency).await);
                }
                eprintln!(
                    "asyncio-fetch: give a file of URLs (or - for standard input), or --demo"
                );
                return 2;
            };
            let one_url = args.crawl
                && (path.starts_with("http://") || path.starts_with("https://"))
                && !std::path::Path::new(&path).exists();
            if one_url {
                (input::Input::Generated(Box::new(std::iter::once(path)), 0), None)
            } else {
            match input::Input::open(&path).await {
                Ok(i) => (i, None),
                Err(e) => {
                    // The error names the path already.
                    eprintln!("asyncio-fetch: {e}");
                    return 2;
                }
            }
            }
        };
        finish(run::run(handle, args, input, total, concurrency).await)
    });
    if let Err(e) = rt.shutdown(std::time::Duration::from_secs(1)) {
        eprintln!("asyncio-fetch: {e}");
        std::process::exit(1);
    }
    std::process::exit(code);
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
