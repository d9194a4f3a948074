//! Issue 6's workloads: an HTTP client against nginx on loopback.
//!
//! - `http`: 20,000 GETs of a 1 KiB file, 100 in flight, keep-alive.
//! - `http-large`: 2,000 GETs of a 1 MiB file, 100 in flight.
//! - `http-fresh`: 10,000 GETs with a new connection each (no keep-alive), 100 in flight.
//!
//! Clients: asyncio-http's `ClientSession`; reqwest on tokio's current-thread runtime; aiohttp
//! on asyncio and on uvloop (the harness's venv). nginx must be installed (Debian's package);
//! the runs are left out with a note otherwise.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::Measurement;

/// Connections held idle in the pool by `http-idle`.
pub(crate) const IDLE_CONNECTIONS: usize = 1000;
/// `http`'s requests: enough to last seconds, not tenths (the spread shrinks with the length).
const REQUESTS: usize = 100_000;
/// `http-large`'s requests (1 MiB each).
const LARGE_REQUESTS: usize = 5_000;
/// `http-fresh`'s requests (a new connection each).
const FRESH_REQUESTS: usize = 30_000;
const IN_FLIGHT: usize = 100;

pub(crate) fn shape(workload: &str) -> (usize, &'static str, bool) {
    match workload {
        // Enough requests to last seconds, not tenths (the spread shrinks with the length).
        "http" => (REQUESTS, "/1k.bin", false),
        "http-large" => (LARGE_REQUESTS, "/1m.bin", false),
        "http-fresh" => (FRESH_REQUESTS, "/1k.bin", true),
        "http-idle" => (IDLE_CONNECTIONS, "/1k.bin", false),
        other => panic!("not an http workload: {other}"),
    }
}

pub(crate) fn supports(runtime: &str) -> bool {
    matches!(
        runtime,
        "asyncio-rs" | "reqwest" | "aiohttp" | "aiohttp-uvloop"
    )
}

/// Whether `runtime` has an implementation of `workload` (`http-idle` measures memory in this
/// process: the Rust clients only).
pub(crate) fn supports_workload(workload: &str, runtime: &str) -> bool {
    supports(runtime) && (workload != "http-idle" || matches!(runtime, "asyncio-rs" | "reqwest"))
}

pub(crate) struct Nginx {
    pub(crate) child: Child,
    dir: PathBuf,
    pub(crate) port: u16,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// nginx on loopback serving `/1k.bin` and `/1m.bin`, and discarding POSTs to `/upload`.
pub(crate) fn start_nginx() -> Result<Nginx, String> {
    let bin = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or("http workloads left out: nginx is not installed (apt-get install nginx-light)")?;
    let dir = std::env::temp_dir().join(format!("asyncio-bench-nginx-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("www")).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir.join("logs")).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("www/1k.bin"), vec![b'k'; 1024]).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("www/1m.bin"), vec![b'm'; 1 << 20]).map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let conf = format!(
        "worker_processes 1;\nerror_log {d}/logs/error.log;\npid {d}/nginx.pid;\n\
         events {{ worker_connections 4096; }}\n\
         http {{ access_log off; keepalive_requests 100000; client_body_temp_path {d}/t1; \
         proxy_temp_path {d}/t2; fastcgi_temp_path {d}/t3; uwsgi_temp_path {d}/t4; scgi_temp_path {d}/t5;\n\
         server {{ listen 127.0.0.1:{port} backlog=4096; root {d}/www; \
         location /upload {{ client_max_body_size 8m; return 200 \"ok\"; }} }} }}\n",
        d = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).map_err(|e| e.to_string())?;
    let child = Command::new(bin)
        .args([
            "-p",
            dir.to_str().unwrap_or("."),
            "-c",
            "nginx.conf",
            "-g",
            "daemon off; master_process off;",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    super::support::wait_listening(port, "nginx")?;
    Ok(Nginx { child, dir, port })
}

pub(crate) fn run(workload: &str, runtime: &str) -> Measurement {
    let nginx = start_nginx().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(3);
    });
    // nginx on one core, the client (and a Python client it starts) on the other: they no
    // longer take turns on both, which made requests/s swing between runs.
    crate::cpu::pin_to_cpu(nginx.child.id() as libc::pid_t, 1);
    crate::cpu::pin_to_cpu(0, 0);
    let (count, path, fresh) = shape(workload);
    let url = format!("http://127.0.0.1:{}{path}", nginx.port);
    if workload == "http-idle" {
        return idle(runtime, &url);
    }
    let m = match runtime {
        "asyncio-rs" => super::rt::asyncio(ours(url, count, fresh)).0,
        "reqwest" => super::rt::tokio(super::rt::tokio_ct(), theirs(url, count, fresh)).0,
        "aiohttp" | "aiohttp-uvloop" => python(&url, count, fresh, runtime == "aiohttp-uvloop"),
        other => panic!("{workload}: unknown runtime {other}"),
    };
    drop(nginx);
    m
}

async fn ours(url: String, count: usize, fresh: bool) {
    let mut config = asyncio_http::SessionConfig::default();
    config.connector.limit = IN_FLIGHT;
    config.auto_decompress = false;
    let session = asyncio_http::ClientSession::with_config(config);
    let remaining = std::rc::Rc::new(std::cell::Cell::new(count));
    let workers: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (session, url, remaining) = (session.clone(), url.clone(), remaining.clone());
            asyncio::spawn(async move {
                while remaining.get() > 0 {
                    remaining.set(remaining.get() - 1);
                    let mut req = session.get(&url);
                    if fresh {
                        req = req.header("connection", "close");
                    }
                    let r = req.send().await.unwrap();
                    assert_eq!(r.status(), 200);
                    std::hint::black_box(r.bytes().await.unwrap());
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
}

async fn theirs(url: String, count: usize, fresh: bool) {
    let mut b = reqwest::Client::builder();
    if fresh {
        b = b.pool_max_idle_per_host(0);
    }
    let client = b.build().unwrap();
    let remaining = std::rc::Rc::new(std::cell::Cell::new(count));
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let workers: Vec<_> = (0..IN_FLIGHT)
                .map(|_| {
                    let (client, url, remaining) = (client.clone(), url.clone(), remaining.clone());
                    tokio::task::spawn_local(async move {
                        while remaining.get() > 0 {
                            remaining.set(remaining.get() - 1);
                            let r = client.get(&url).send().await.unwrap();
                            assert_eq!(r.status(), 200);
                            std::hint::black_box(r.bytes().await.unwrap());
                        }
                    })
                })
                .collect();
            for w in workers {
                w.await.unwrap();
            }
        })
        .await;
}

fn python(url: &str, count: usize, fresh: bool, uvloop: bool) -> Measurement {
    let py = super::support::python_with(&["uvloop", "aiohttp"]).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(3);
    });
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/http_client.py");
    let cpu0 = crate::cpu::children_cpu_time();
    let out = Command::new(py)
        .arg(script)
        .args([url, &count.to_string(), &IN_FLIGHT.to_string()])
        .arg(if uvloop { "uvloop" } else { "asyncio" })
        .arg(if fresh { "fresh" } else { "keep" })
        .output()
        .expect("run the aiohttp client");
    // The client's CPU, start-up included (nginx is reaped later, so it does not count here).
    let cpu = crate::cpu::children_cpu_time().saturating_sub(cpu0);
    if !out.status.success() {
        eprintln!(
            "aiohttp client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::process::exit(1);
    }
    let wall: f64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(f64::NAN);
    Measurement {
        wall_s: wall,
        cpu_s: cpu.as_secs_f64(),
        bytes_per_task: None,
        p50_us: None,
        p99_us: None,
        channel: None,
        server_cpu_s: None,
        handovers: None,
        interleaved: None,
    }
}

/// `http-idle`: 1,000 requests at once (1,000 connections), then all of them idle in the pool;
/// resident bytes per idle connection, measured in this process.
fn idle(runtime: &str, url: &str) -> Measurement {
    let url = url.to_owned();
    let before = crate::cpu::rss_bytes();
    let (mut m, after) = match runtime {
        "asyncio-rs" => super::rt::asyncio(async move {
            let mut config = asyncio_http::SessionConfig::default();
            config.connector.limit = IDLE_CONNECTIONS;
            config.auto_decompress = false;
            let session = asyncio_http::ClientSession::with_config(config);
            let calls: Vec<_> = (0..IDLE_CONNECTIONS)
                .map(|_| {
                    let (s, u) = (session.clone(), url.clone());
                    asyncio::spawn(
                        async move { s.get(&u).send().await.unwrap().bytes().await.unwrap() },
                    )
                })
                .collect();
            for c in calls {
                c.await.unwrap();
            }
            assert!(session.idle_connections() >= IDLE_CONNECTIONS * 9 / 10);
            let after = crate::cpu::rss_bytes();
            drop(session);
            after
        }),
        _ => super::rt::tokio(super::rt::tokio_ct(), async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(usize::MAX)
                .build()
                .unwrap();
            let calls: Vec<_> = (0..IDLE_CONNECTIONS)
                .map(|_| {
                    let (c, u) = (client.clone(), url.clone());
                    tokio::spawn(
                        async move { c.get(&u).send().await.unwrap().bytes().await.unwrap() },
                    )
                })
                .collect();
            for c in calls {
                c.await.unwrap();
            }
            let after = crate::cpu::rss_bytes();
            drop(client);
            after
        }),
    };
    m.bytes_per_task = Some(after.saturating_sub(before) as f64 / IDLE_CONNECTIONS as f64);
    m
}

/// The `http` workload.
pub(crate) const HTTP: super::Workload = super::Workload {
    name: "http",
    info: super::Info {
        count: REQUESTS as f64,
        unit: "requests/s",
        description: "100,000 GETs of 1 KiB from nginx, 100 in flight, keep-alive; nginx pinned to one core, the client to the other; cpu s is the client's",
    },
    supports: |runtime| supports_workload("http", runtime),
    run: |runtime| run("http", runtime),
};

/// The `http-large` workload.
pub(crate) const HTTP_LARGE: super::Workload = super::Workload {
    name: "http-large",
    info: super::Info {
        count: LARGE_REQUESTS as f64,
        unit: "requests/s",
        description: "5,000 GETs of 1 MiB from nginx, 100 in flight; nginx and the client pinned to separate cores",
    },
    supports: |runtime| supports_workload("http-large", runtime),
    run: |runtime| run("http-large", runtime),
};

/// The `http-fresh` workload.
pub(crate) const HTTP_FRESH: super::Workload = super::Workload {
    name: "http-fresh",
    info: super::Info {
        count: FRESH_REQUESTS as f64,
        unit: "requests/s",
        description: "30,000 GETs of 1 KiB from nginx, a new connection each, 100 in flight; nginx and the client pinned to separate cores",
    },
    supports: |runtime| supports_workload("http-fresh", runtime),
    run: |runtime| run("http-fresh", runtime),
};

/// The `http-idle` workload.
pub(crate) const HTTP_IDLE: super::Workload = super::Workload {
    name: "http-idle",
    info: super::Info {
        count: IDLE_CONNECTIONS as f64,
        unit: "conns/s",
        description: "1,000 connections left idle in the pool; resident bytes per idle connection",
    },
    supports: |runtime| supports_workload("http-idle", runtime),
    run: |runtime| run("http-idle", runtime),
};
