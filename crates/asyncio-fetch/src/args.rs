//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Fetch many URLs at once, politely, losing nothing: one JSON line per URL.
#[derive(Parser, Debug, Clone)]
#[command(name = "asyncio-fetch", version, about)]
pub(crate) struct Args {
    /// A file of URLs, one per line (`-` for standard input). Blank lines and `#` comments
    /// are skipped. Not needed with `--demo`.
    pub(crate) input: Option<String>,
    /// Where the JSON lines go (default: standard output; with `--demo`, nowhere).
    #[arg(short, long)]
    pub(crate) output: Option<PathBuf>,
    /// Store each body in this directory (file names from the URL).
    #[arg(long)]
    pub(crate) save: Option<PathBuf>,
    /// Requests in flight [default: 100; 500 with --demo].
    #[arg(long = "concurrency")]
    concurrency_arg: Option<usize>,
    /// Event loops (threads) to fetch on [default: the number of cores]. A host's requests
    /// stay on one loop when `--rate` is set or `--per-host` is below the loop count.
    #[arg(long = "loops")]
    loops_arg: Option<usize>,
    /// Requests in flight per host (politeness) [default: 8; with --demo, the concurrency].
    #[arg(long = "per-host")]
    per_host_arg: Option<usize>,
    /// Requests per second per host (0: no limit).
    #[arg(long, default_value_t = 0.0)]
    pub(crate) rate: f64,
    /// Seconds for one attempt (connecting, the response, its body and redirects), counted
    /// from when the request has its per-host slot: waiting for the slot does not count, and
    /// each retry gets the whole time again.
    #[arg(long, default_value_t = 30.0)]
    pub(crate) timeout: f64,
    /// Seconds to connect.
    #[arg(long, default_value_t = 10.0)]
    pub(crate) connect_timeout: f64,
    /// Retries on connect errors, timeouts, 429 and 5xx (backoff with jitter; Retry-After
    /// honoured).
    #[arg(long, default_value_t = 2)]
    pub(crate) retries: u32,
    /// The most of a body kept, in bytes: a longer body is cut there (its line keeps the
    /// status and says `"truncated": true`).
    #[arg(long)]
    pub(crate) max_bytes: Option<u64>,
    /// GET or HEAD.
    #[arg(long, default_value = "GET")]
    pub(crate) method: String,
    /// Extra headers, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header")]
    pub(crate) headers: Vec<String>,
    /// The User-Agent header.
    #[arg(long, default_value = concat!("asyncio-fetch/", env!("CARGO_PKG_VERSION")))]
    pub(crate) user_agent: String,
    /// Skip URLs already in the output file, and append to it.
    #[arg(long)]
    pub(crate) resume: bool,
    /// Send every request through this proxy: `http://`, `https://`, `socks5://` or
    /// `socks5h://`, credentials in the URL (`http://user:pass@proxy:3128`). Without it,
    /// HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY are used as curl uses them.
    #[arg(long, value_name = "URL", conflicts_with = "no_proxy")]
    pub(crate) proxy: Option<String>,
    /// Go direct: ignore the proxy environment variables.
    #[arg(long = "no-proxy")]
    pub(crate) no_proxy: bool,
    /// Keep no cookies. By default a run keeps one cookie jar, as wget and Scrapy do: a
    /// `Set-Cookie` (a redirect's too) is sent back to the site on the next requests.
    #[arg(long = "no-cookies", conflicts_with = "cookies")]
    pub(crate) no_cookies: bool,
    /// Load cookies from this Netscape `cookies.txt` file (curl's `-b`/`-c`, wget's
    /// `--load-cookies`) before the run, and save the jar to it after (a missing file starts
    /// an empty jar).
    #[arg(long, value_name = "FILE")]
    pub(crate) cookies: Option<PathBuf>,
    /// Send the credentials `~/.netrc` (or `$NETRC`) gives for a host, as curl's `--netrc`.
    #[arg(long)]
    pub(crate) netrc: bool,
    /// Accept any TLS certificate. Dangerous: anyone on the path can read and change the
    /// traffic.
    #[arg(long = "insecure-dangerous-accept-any-certificate")]
    pub(crate) insecure: bool,
    /// Write every request attempt to FILE as a JSON line: method, URL, attempt, status or
    /// error, and the timings of DNS, connect, TLS and first byte.
    #[arg(long, value_name = "FILE")]
    pub(crate) trace: Option<PathBuf>,
    /// Seconds in-flight requests get to finish after Ctrl-C or SIGTERM.
    #[arg(long, default_value_t = 5.0)]
    pub(crate) grace: f64,
    /// No progress output.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// Run against an embedded local server (no network needed).
    #[arg(long)]
    pub(crate) demo: bool,
    /// URLs fetched by `--demo`.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) demo_urls: usize,
    /// Internal: serve the demo pages only (for benchmarks), printing the base URL.
    #[arg(long, hide = true)]
    pub(crate) demo_server: bool,
    /// The demo pages' typical latency in milliseconds (delays are seeded random around it).
    #[arg(long, default_value_t = 50)]
    pub(crate) demo_latency: u64,
    /// Crawl: fetch the input's URLs (a file, `-`, or one URL) and follow the links of their
    /// HTML pages, within `--scope`, to `--depth`, up to `--max-pages`. With `--demo`, crawls
    /// the demo server's generated site of `--demo-urls` pages.
    #[arg(long)]
    pub(crate) crawl: bool,
    /// Which links a crawl follows: those on a seed's host, its domain (and subdomains), or
    /// under its URL's directory.
    #[arg(long, value_enum, default_value = "host")]
    pub(crate) scope: crate::links::Scope,
    /// The most links followed from a seed (no limit by default).
    #[arg(long)]
    pub(crate) depth: Option<u32>,
    /// The most pages a crawl fetches, in all its runs (no limit by default).
    #[arg(long)]
    pub(crate) max_pages: Option<u64>,
    /// Crawl mode: also start from the pages the seeds' sites list in their sitemaps (the
    /// `Sitemap:` lines of robots.txt and `/sitemap.xml`; gzip and sitemap indexes too).
    #[arg(long)]
    pub(crate) sitemaps: bool,
    /// Fetch every URL even where robots.txt disallows it (robots.txt is obeyed by default,
    /// in list mode too).
    #[arg(long)]
    pub(crate) ignore_robots: bool,
    /// Archive every request and response in this WARC/1.1 file (`NAME.warc.gz`).
    #[arg(long)]
    pub(crate) warc: Option<PathBuf>,
    /// Roll the WARC over to a new file (`NAME-00001.warc.gz`, …) at about this many bytes
    /// (suffixes K, M, G).
    #[arg(long, value_parser = parse_size)]
    pub(crate) warc_max_size: Option<u64>,
    /// Share one job with other workers, on this machine or others, through a Redis server
    /// (`redis://[:PASSWORD@]HOST[:PORT][/DB]`): its frontier, seen-set, per-host limits and
    /// results live there. Needs `--job`.
    #[arg(long, requires = "job")]
    pub(crate) redis: Option<String>,
    /// The shared job's name: workers given the same name work on the same job.
    #[arg(long, requires = "redis")]
    pub(crate) job: Option<String>,
    /// Seconds a shared job's URL stays leased to a worker that stops renewing it (one that
    /// died): then another worker takes it.
    #[arg(long, default_value_t = 60.0)]
    pub(crate) lease: f64,
    /// Print every result line the shared job has recorded (all workers'), then exit.
    #[arg(long, requires = "redis")]
    pub(crate) export: bool,
}

/// `1000`, `64K`, `100M`, `1G` (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let n: u64 = digits.parse().map_err(|_| format!("not a size: {s:?}"))?;
    let mult: u64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("unknown size unit in {s:?} (use K, M or G)")),
    };
    n.checked_mul(mult)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("size out of range: {s:?}"))
}

impl Args {
    /// Requests in flight: as given, else 100 (500 for the demo, whose one host is local).
    pub(crate) fn concurrency(&self) -> usize {
        let default = if self.demo { 500 } else { 100 };
        self.concurrency_arg.unwrap_or(default).max(1)
    }

    /// Event loops: as given, else one per core.
    pub(crate) fn loops(&self) -> usize {
        self.loops_arg
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1)
    }

    /// Requests in flight per host: as given, else 8 (the whole concurrency for the demo).
    pub(crate) fn per_host(&self) -> usize {
        let default = if self.demo { self.concurrency() } else { 8 };
        self.per_host_arg.unwrap_or(default).max(1)
    }

    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout.max(0.001))
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.connect_timeout.max(0.001))
    }

    pub(crate) fn lease(&self) -> Duration {
        Duration::from_secs_f64(self.lease.max(0.1))
    }

    pub(crate) fn grace(&self) -> Duration {
        Duration::from_secs_f64(self.grace.max(0.0))
    }
}
