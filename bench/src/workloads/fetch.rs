//! Issue 7's workload, `fetch-demo`: the demo job — 10,000 URLs at concurrency 500 against
//! the demo server (a separate process, the same fixed latency distribution for every client)
//! — done by `asyncio-fetch`, by an equivalent aiohttp script (asyncio and uvloop), and by an
//! equivalent reqwest program. Each client runs as a child process: wall time and peak RSS.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use super::Measurement;

pub(crate) const URLS: usize = 10_000;
/// `fetch-demo-fast`: pages answered at once, so the client's own cost decides.
pub(crate) const FAST_URLS: usize = 50_000;
const CONCURRENCY: usize = 500;

pub(crate) fn supports(runtime: &str) -> bool {
    matches!(
        runtime,
        "asyncio-rs"
            | "reqwest"
            | "aiohttp"
            | "aiohttp-uvloop"
            | "aiohttp-rloop"
            | "aiohttp-asyncio-rs"
    )
}

pub(crate) fn fetch_bin() -> PathBuf {
    std::env::current_exe()
        .expect("current_exe")
        .with_file_name("asyncio-fetch")
}

/// A child process killed when dropped (the demo server).
pub(crate) struct Server(Child);

impl Server {
    /// The server's process id.
    pub(crate) fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn run(runtime: &str) -> Measurement {
    run_with(runtime, 1)
}

/// Starts `asyncio-fetch --demo-server` with `args`; returns it and its base URL. Exits the
/// harness (status 3: left out) when asyncio-fetch is not built.
pub(crate) fn demo_server(args: &[&str]) -> (Server, String) {
    let bin = fetch_bin();
    if !bin.exists() {
        eprintln!("left out: build asyncio-fetch first (cargo build --release -p asyncio-fetch)");
        std::process::exit(3);
    }
    let mut server = Command::new(&bin)
        .arg("--demo-server")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the demo server");
    let mut base = String::new();
    BufReader::new(server.stdout.as_mut().expect("piped"))
        .read_line(&mut base)
        .expect("demo server URL");
    (Server(server), base.trim().to_owned())
}

/// A client process's figures: wall time and peak RSS.
pub(crate) fn client_measurement(wall: std::time::Duration, peak_rss: u64) -> Measurement {
    Measurement {
        wall_s: wall.as_secs_f64(),
        cpu_s: 0.0,
        bytes_per_task: Some(peak_rss as f64),
        p50_us: None,
        p99_us: None,
        channel: None,
        server_cpu_s: None,
        handovers: None,
        interleaved: None,
    }
}

/// The demo job with `loops` event loops for asyncio-fetch (and, above 1, reqwest on tokio's
/// multi-threaded runtime with as many workers).
pub(crate) fn run_with(runtime: &str, loops: usize) -> Measurement {
    run_shape(runtime, loops, URLS, 50)
}

/// `fetch-demo-fast`: 50,000 URLs from a demo server with no page delay, one loop.
pub(crate) fn run_fast(runtime: &str) -> Measurement {
    run_shape(runtime, 1, FAST_URLS, 0)
}

fn run_shape(runtime: &str, loops: usize, urls: usize, latency_ms: u64) -> Measurement {
    let bin = fetch_bin();
    let (server, base) = demo_server(&["--demo-latency", &latency_ms.to_string()]);
    if loops == 1 {
        // One loop: the demo server on one core, the client (started from here, so it
        // inherits this) on the other, so they do not take turns on both.
        crate::cpu::pin_to_cpu(server.0.id() as libc::pid_t, 1);
        crate::cpu::pin_to_cpu(0, 0);
    }
    let file = std::env::temp_dir().join(format!("asyncio-bench-urls-{}", std::process::id()));
    let mut f = std::fs::File::create(&file).expect("url file");
    for i in 0..urls {
        writeln!(f, "{base}/page/{i}").expect("write urls");
    }
    drop(f);
    let c = CONCURRENCY.to_string();
    let loops_arg = loops.to_string();
    let mut cmd = match runtime {
        "asyncio-rs" => {
            let mut c2 = Command::new(&bin);
            c2.arg(&file).args([
                "-o",
                "/dev/null",
                "--quiet",
                "--retries",
                "0",
                "--concurrency",
                &c,
                "--per-host",
                &c,
                "--loops",
                &loops_arg,
            ]);
            c2
        }
        "reqwest" => {
            let mut c2 = Command::new(std::env::current_exe().expect("current_exe"));
            c2.arg(if loops > 1 {
                "--fetch-reqwest-mt"
            } else {
                "--fetch-reqwest"
            })
            .arg(&file);
            c2
        }
        _ => {
            // The aiohttp script on a Python loop: CPython's, uvloop, rloop or asyncio_rs.
            let (loop_runtime, name) = match runtime {
                "aiohttp-uvloop" => ("uvloop", "uvloop"),
                "aiohttp-rloop" => ("rloop", "rloop"),
                "aiohttp-asyncio-rs" => ("asyncio-rs-py", "asyncio_rs"),
                _ => ("python-asyncio", "asyncio"),
            };
            let py = super::support::python_with(&["uvloop", "aiohttp"])
                .and_then(|_| super::pyloop::python_for(loop_runtime))
                .unwrap_or_else(|e| {
                    eprintln!("{e}");
                    std::process::exit(3);
                });
            let mut c2 = Command::new(py);
            c2.arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/fetch_demo.py"))
                .arg(&file)
                .arg(&c)
                .arg(name);
            c2
        }
    };
    cmd.stderr(Stdio::null());
    measure_client(cmd, server, &file, &format!("fetch-demo/{runtime}"))
}

/// Runs the client `cmd` (its output discarded) against the demo `server`, then stops the
/// server and removes the URL `file`: the client's wall time and peak RSS. A failed client
/// fails the harness (status 1), as `label` says.
pub(crate) fn measure_client(
    mut cmd: Command,
    server: Server,
    file: &std::path::Path,
    label: &str,
) -> Measurement {
    let t0 = Instant::now();
    let child = cmd.stdout(Stdio::null()).spawn().expect("start the client");
    let (ok, peak_rss) = wait_with_rusage(child);
    let wall = t0.elapsed();
    drop(server);
    let _ = std::fs::remove_file(file);
    if !ok {
        eprintln!("{label}: the client failed");
        std::process::exit(1);
    }
    client_measurement(wall, peak_rss)
}

/// Waits for `child`; returns success and its peak resident set in bytes.
pub(crate) fn wait_with_rusage(child: Child) -> (bool, u64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet waited for; both out-parameters are valid.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    std::mem::forget(child);
    let ok = rc == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (ok, usage.ru_maxrss as u64 * 1024)
}

/// The URL file, one per line.
fn read_urls(path: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("url file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Fetches `url` and returns its result line (the fields asyncio-fetch writes).
async fn reqwest_line(client: &reqwest::Client, url: String) -> serde_json::Value {
    let t = Instant::now();
    match client.get(&url).send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let final_url = r.url().to_string();
            let n = r.bytes().await.map(|b| b.len()).unwrap_or(0);
            serde_json::json!({"url": url, "status": status, "bytes": n, "final_url": final_url, "elapsed_ms": t.elapsed().as_secs_f64() * 1000.0})
        }
        Err(e) => serde_json::json!({"url": url, "error": e.to_string()}),
    }
}

/// `--fetch-reqwest-mt FILE`: the same on tokio's multi-threaded runtime (two workers, `Send`
/// tasks sharing the URL list and the output behind mutexes).
pub(crate) fn reqwest_client_mt(path: &str) {
    use std::sync::{Arc, Mutex};
    let urls = read_urls(path);
    super::rt::tokio_mt().block_on(async move {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client");
        let urls = Arc::new(Mutex::new(urls.into_iter()));
        let out = Arc::new(Mutex::new(std::io::BufWriter::new(
            std::fs::File::create("/dev/null").expect("/dev/null"),
        )));
        let workers: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                let (client, urls, out) = (client.clone(), urls.clone(), out.clone());
                tokio::spawn(async move {
                    loop {
                        let next = urls.lock().expect("urls").next();
                        let Some(url) = next else { break };
                        let line = reqwest_line(&client, url).await;
                        let _ = writeln!(out.lock().expect("out"), "{line}");
                    }
                })
            })
            .collect();
        for w in workers {
            let _ = w.await;
        }
    });
}

/// `--fetch-reqwest FILE`: the reqwest equivalent of the job (tokio current_thread).
pub(crate) fn reqwest_client(path: &str) {
    let urls = read_urls(path);
    let rt = super::rt::tokio_ct();
    rt.block_on(async move {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client");
        let urls = std::rc::Rc::new(std::cell::RefCell::new(urls.into_iter()));
        let out = std::rc::Rc::new(std::cell::RefCell::new(std::io::BufWriter::new(
            std::fs::File::create("/dev/null").expect("/dev/null"),
        )));
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async move {
                let workers: Vec<_> = (0..CONCURRENCY)
                    .map(|_| {
                        let (client, urls, out) = (client.clone(), urls.clone(), out.clone());
                        tokio::task::spawn_local(async move {
                            loop {
                                let Some(url) = urls.borrow_mut().next() else {
                                    break;
                                };
                                let line = reqwest_line(&client, url).await;
                                let _ = writeln!(out.borrow_mut(), "{line}");
                            }
                        })
                    })
                    .collect();
                for w in workers {
                    let _ = w.await;
                }
            })
            .await;
    });
}

/// The `fetch-demo` workload.
pub(crate) const FETCH_DEMO: super::Workload = super::Workload {
    name: "fetch-demo",
    info: super::Info {
        count: URLS as f64,
        unit: "URLs/s",
        description:
            "the demo job: 10,000 URLs at concurrency 500 (~50 ms pages); peak RSS per client",
    },
    supports,
    run,
};

/// The `fetch-demo-fast` workload.
pub(crate) const FETCH_DEMO_FAST: super::Workload = super::Workload {
    name: "fetch-demo-fast",
    info: super::Info {
        count: FAST_URLS as f64,
        unit: "URLs/s",
        description: "the demo job with no page delay: 50,000 URLs at concurrency 500, one loop; the client's own cost decides; peak RSS per client",
    },
    supports,
    run: run_fast,
};
