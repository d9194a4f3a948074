//! Issue 15's workload, `crawl`: the demo server's generated site ([`PAGES`] pages, ~10 links
//! each, a robots.txt with a disallowed part) crawled whole from `/site/0`, robots obeyed, by
//! `asyncio-fetch --crawl`, by an equivalent Scrapy spider (`bench/python/crawl_spider.py`, in
//! the harness's venv) and by `wget --recursive` (Debian's; one connection at a time, as wget
//! works). Each crawler is a child process: wall time and peak RSS; the pages it got are
//! checked (a crawler that misses pages fails the run).
//!
//! `crawl-redis`: the same site crawled as one job shared on a local `redis-server`
//! (`--redis`, `--job`), by two worker processes of one loop each (runtime `asyncio-rs`) and by
//! one (`asyncio-rs-1-worker`): the ratio is the scaling from one worker to two. Peak RSS is
//! the largest worker's.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::Measurement;

/// Pages of the generated site.
pub(crate) const PAGES: usize = 20_000;
const CONCURRENCY: usize = 64;

pub(crate) fn supports(runtime: &str) -> bool {
    matches!(runtime, "asyncio-rs" | "scrapy" | "wget")
}

pub(crate) fn run(runtime: &str) -> Measurement {
    let bin = super::fetch::fetch_bin();
    let pages = PAGES.to_string();
    let (server, base) = super::fetch::demo_server(&["--demo-latency", "0", "--demo-urls", &pages]);
    let seed = format!("{base}/site/0");
    let dir = std::env::temp_dir().join(format!("asyncio-bench-crawl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let out = dir.join("out.jsonl");
    let c = CONCURRENCY.to_string();
    let mut cmd = match runtime {
        "asyncio-rs" => {
            let mut cmd = Command::new(&bin);
            cmd.args(["--crawl", "--quiet", "--retries", "0", "--loops", "1"])
                .args(["--concurrency", &c, "--per-host", &c])
                .arg(&seed)
                .arg("-o")
                .arg(&out);
            cmd
        }
        "scrapy" => {
            let py = super::support::python_with(&["scrapy"]).unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(3);
            });
            let mut cmd = Command::new(py);
            cmd.arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/crawl_spider.py"))
                .arg(&seed)
                .arg(&c)
                .arg(&out);
            cmd
        }
        _ => {
            let mut cmd = Command::new("wget");
            cmd.args(["--recursive", "--level=inf", "--no-verbose", "--no-parent"])
                .arg("--directory-prefix")
                .arg(dir.join("wget"))
                .arg(&seed);
            cmd
        }
    };
    let t0 = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            eprintln!("crawl/{runtime} left out: {e}");
            std::process::exit(3);
        });
    let (ok, peak_rss) = super::fetch::wait_with_rusage(child);
    let wall = t0.elapsed();
    drop(server);
    let pages = match runtime {
        "wget" => count_files(&dir.join("wget")),
        _ => std::fs::read_to_string(&out)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                l.contains("/site/")
                    && (l.contains("\"status\":200") || l.contains("\"status\": 200"))
            })
            .count(),
    };
    let _ = std::fs::remove_dir_all(&dir);
    // wget exits 8 when some URL answered an error; the page count is what matters.
    if (!ok && runtime != "wget") || pages < PAGES {
        eprintln!("crawl/{runtime}: {pages} of {PAGES} pages");
        std::process::exit(1);
    }
    super::fetch::client_measurement(wall, peak_rss)
}

/// Files under `dir` whose name is a page number (what wget saved of `/site/<i>`).
fn count_files(dir: &std::path::Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if !p.ends_with("private") && !p.ends_with("nofollow") {
                    stack.push(p);
                }
            } else if p.parent().is_some_and(|d| d.ends_with("site"))
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.parse::<u64>().is_ok())
            {
                n += 1;
            }
        }
    }
    n
}

pub(crate) fn supports_redis(runtime: &str) -> bool {
    matches!(runtime, "asyncio-rs" | "asyncio-rs-1-worker")
}

/// A `redis-server` on a free loopback port, its data in a temporary directory; stopped
/// when dropped.
struct RedisServer {
    child: std::process::Child,
    dir: PathBuf,
    url: String,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn redis_server() -> RedisServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let dir = std::env::temp_dir().join(format!("asyncio-bench-redis-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let child = Command::new("redis-server")
        .args([
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--port",
        ])
        .arg(port.to_string())
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            eprintln!("crawl-redis left out: redis-server: {e} (apt-get install redis-server)");
            std::process::exit(3);
        });
    // Ready when it accepts connections (another process: polled).
    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    RedisServer {
        child,
        dir,
        url: format!("redis://127.0.0.1:{port}/0"),
    }
}

/// `crawl-redis`: the site as one shared job, by two workers (`asyncio-rs`) or one.
pub(crate) fn run_redis(runtime: &str) -> Measurement {
    let workers = if runtime == "asyncio-rs" { 2 } else { 1 };
    let bin = super::fetch::fetch_bin();
    let pages = PAGES.to_string();
    let (server, base) = super::fetch::demo_server(&["--demo-latency", "0", "--demo-urls", &pages]);
    let redis = redis_server();
    let job = format!("bench-{}", std::process::id());
    let c = CONCURRENCY.to_string();
    let per_host = (2 * CONCURRENCY).to_string();
    let t0 = Instant::now();
    let children: Vec<_> = (0..workers)
        .map(|_| {
            Command::new(&bin)
                .args(["--crawl", "--quiet", "--retries", "0", "--loops", "1"])
                // The job's per-host limit binds neither run: two workers' requests at once.
                .args(["--concurrency", &c, "--per-host", &per_host])
                .args(["--redis", &redis.url, "--job", &job])
                .arg(format!("{base}/site/0"))
                .args(["-o", "/dev/null"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start a worker")
        })
        .collect();
    let mut peak = 0;
    let mut all_ok = true;
    for child in children {
        let (ok, rss) = super::fetch::wait_with_rusage(child);
        all_ok &= ok;
        peak = peak.max(rss);
    }
    let wall = t0.elapsed();
    drop(server);
    let export = Command::new(&bin)
        .args(["--redis", &redis.url, "--job", &job, "--export"])
        .stderr(Stdio::null())
        .output()
        .expect("export the job");
    let pages = String::from_utf8_lossy(&export.stdout)
        .lines()
        .filter(|l| l.contains("/site/") && l.contains("\"status\":200"))
        .count();
    if !all_ok || pages != PAGES {
        eprintln!("crawl-redis/{runtime}: {pages} of {PAGES} pages");
        std::process::exit(1);
    }
    super::fetch::client_measurement(wall, peak)
}

/// The `crawl` workload.
pub(crate) const CRAWL: super::Workload = super::Workload {
    name: "crawl",
    info: super::Info {
        count: PAGES as f64,
        unit: "pages/s",
        description: "the demo server's generated site (20,000 pages, ~10 links each, robots.txt with a disallowed part) crawled whole, robots obeyed, concurrency 64 (wget: one at a time); peak RSS per crawler",
    },
    supports,
    run,
};

/// The `crawl-redis` workload.
pub(crate) const CRAWL_REDIS: super::Workload = super::Workload {
    name: "crawl-redis",
    info: super::Info {
        count: PAGES as f64,
        unit: "pages/s",
        description: "the crawl workload's site as one job shared on a local redis-server: 2 worker processes of one loop (asyncio-rs) against 1 (asyncio-rs-1-worker); the ratio is the scaling; peak RSS of the largest worker",
    },
    supports: supports_redis,
    run: run_redis,
};
