//! `asyncio-fetch`: fetch thousands of URLs at once, politely, losing nothing.
//!
//! ```text
//! asyncio-fetch --demo                       # no network: an embedded server, 10,000 URLs
//! asyncio-fetch urls.txt -o results.jsonl --save pages/
//! asyncio-fetch urls.txt -o results.jsonl --resume   # after an interruption
//! ```

mod args;
mod demo;
mod input;
mod limits;
mod progress;
mod record;
mod run;
mod summary;

use clap::Parser;

fn main() {
    let args = args::Args::parse();
    if args.demo_server {
        raise_fd_limit(args.concurrency().max(10_000));
        println!("{}", demo::start(args.demo_latency));
        loop {
            std::thread::park();
        }
    }
    // The run handles Ctrl-C itself (stop taking URLs, grace period, summary).
    let runner = asyncio::Runner::new().without_sigint_handling();
    let code = runner.run(async move {
        raise_fd_limit(args.concurrency());
        let (input, total) = if args.demo {
            let base = demo::start(args.demo_latency);
            let n = args.demo_urls;
            if !args.quiet {
                eprintln!(
                    "demo: {n} URLs from a local server ({base}), ~{} ms each, concurrency {}",
                    args.demo_latency,
                    args.concurrency()
                );
            }
            let urls = (0..n).map(move |i| format!("{base}/page/{i}"));
            (input::Input::Generated(Box::new(urls), 0), Some(n as u64))
        } else {
            let Some(path) = args.input.clone() else {
                eprintln!(
                    "asyncio-fetch: give a file of URLs (or - for standard input), or --demo"
                );
                return 2;
            };
            match input::Input::open(&path).await {
                Ok(i) => (i, None),
                Err(e) => {
                    eprintln!("asyncio-fetch: {path}: {e}");
                    return 2;
                }
            }
        };
        match run::run(args, input, total).await {
            Ok((summary, interrupted)) => {
                eprint!("{summary}");
                if interrupted {
                    130
                } else {
                    0
                }
            }
            Err(e) => {
                eprintln!("asyncio-fetch: {e}");
                1
            }
        }
    });
    drop(runner);
    std::process::exit(code);
}

/// Raises the soft descriptor limit for `concurrency` connections, and says so when the hard
/// limit is lower than asked.
fn raise_fd_limit(concurrency: usize) {
    let want = concurrency as u64 + 256;
    let Some((soft, hard)) = limits::nofile() else {
        return;
    };
    if soft >= want {
        return;
    }
    let target = want.min(hard);
    let now = if limits::set_soft_nofile(target) {
        target
    } else {
        soft
    };
    if now < want {
        eprintln!(
            "asyncio-fetch: the descriptor limit ({now}, hard {hard}) is below what {concurrency} connections need ({want}); some requests will wait for a free descriptor"
        );
    }
}
