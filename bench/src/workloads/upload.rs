//! `upload` and `http-proxy`: the client's new paths against nginx.
//!
//! - `upload`: 1,000 multipart POSTs of a 1 MiB file, 50 in flight, to nginx (which reads and
//!   discards the body); asyncio-http's `Form` + `Part::file` and reqwest's `Form::file`, both
//!   streaming the file from disk. The extra column is the client's peak RSS.
//! - `http-proxy`: 20,000 GETs of 1 KiB from nginx through tinyproxy, 100 in flight;
//!   asyncio-http and reqwest with the proxy set. tinyproxy closes each client connection after
//!   one response (no keep-alive towards its clients), so both clients open a connection per
//!   request (`Connection: close`; reqwest keeps no idle connection), or reqwest fails on a
//!   connection tinyproxy closed. tinyproxy is one process on one core: it is the limit.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::http::start_nginx;
use super::Measurement;

const UPLOADS: usize = 1_000;
const UPLOAD_IN_FLIGHT: usize = 50;
const UPLOAD_SIZE: usize = 1 << 20;
const PROXIED: usize = 20_000;
const PROXY_IN_FLIGHT: usize = 100;

fn rust_clients(runtime: &str) -> bool {
    matches!(runtime, "asyncio-rs" | "reqwest")
}

/// The process's peak resident set (`VmHWM`): one measurement runs in its own process.
fn peak_rss() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb * 1024.0)
}

fn run_upload(runtime: &str) -> Measurement {
    let nginx = start_nginx().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(3);
    });
    crate::cpu::pin_to_cpu(nginx.child.id() as libc::pid_t, 1);
    crate::cpu::pin_to_cpu(0, 0);
    let file = std::env::temp_dir().join(format!("asyncio-bench-upload-{}", std::process::id()));
    std::fs::write(&file, vec![b'u'; UPLOAD_SIZE]).expect("write the upload file");
    let url = format!("http://127.0.0.1:{}/upload", nginx.port);
    let mut m = match runtime {
        "asyncio-rs" => super::rt::asyncio(upload_ours(url, file.clone())).0,
        _ => super::rt::tokio(super::rt::tokio_ct(), upload_theirs(url, file.clone())).0,
    };
    let _ = std::fs::remove_file(&file);
    drop(nginx);
    m.bytes_per_task = Some(peak_rss());
    m
}

/// `count` requests shared by `workers` tasks on this loop.
async fn share_asyncio<F, Fut>(count: usize, workers: usize, one: F)
where
    F: Fn() -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let remaining = std::rc::Rc::new(std::cell::Cell::new(count));
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (one, remaining) = (one.clone(), remaining.clone());
            asyncio::spawn(async move {
                while remaining.get() > 0 {
                    remaining.set(remaining.get() - 1);
                    one().await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

/// The same on tokio's current-thread runtime.
async fn share_tokio<F, Fut>(count: usize, workers: usize, one: F)
where
    F: Fn() -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let remaining = std::rc::Rc::new(std::cell::Cell::new(count));
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let tasks: Vec<_> = (0..workers)
                .map(|_| {
                    let (one, remaining) = (one.clone(), remaining.clone());
                    tokio::task::spawn_local(async move {
                        while remaining.get() > 0 {
                            remaining.set(remaining.get() - 1);
                            one().await;
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        })
        .await;
}

async fn upload_ours(url: String, file: PathBuf) {
    let mut config = asyncio_http::SessionConfig::default();
    config.connector.limit = UPLOAD_IN_FLIGHT;
    let session = asyncio_http::ClientSession::with_config(config);
    share_asyncio(UPLOADS, UPLOAD_IN_FLIGHT, move || {
        let (session, url, file) = (session.clone(), url.clone(), file.clone());
        async move {
            let part = asyncio_http::Part::file(&file).await.unwrap();
            let form = asyncio_http::Form::new()
                .text("name", "bench")
                .part("file", part);
            let r = session.post(&url).multipart(form).send().await.unwrap();
            assert_eq!(r.status(), 200);
            std::hint::black_box(r.bytes().await.unwrap());
        }
    })
    .await;
}

async fn upload_theirs(url: String, file: PathBuf) {
    let client = reqwest::Client::new();
    share_tokio(UPLOADS, UPLOAD_IN_FLIGHT, move || {
        let (client, url, file) = (client.clone(), url.clone(), file.clone());
        async move {
            let form = reqwest::multipart::Form::new()
                .text("name", "bench")
                .file("file", &file)
                .await
                .unwrap();
            let r = client.post(&url).multipart(form).send().await.unwrap();
            assert_eq!(r.status(), 200);
            std::hint::black_box(r.bytes().await.unwrap());
        }
    })
    .await;
}

struct Tinyproxy {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_tinyproxy() -> Result<Tinyproxy, String> {
    let bin = ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or("http-proxy left out: tinyproxy is not installed (apt-get install tinyproxy)")?;
    let dir = std::env::temp_dir().join(format!("asyncio-bench-tinyproxy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let conf = format!(
        "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 1000\nAllow 127.0.0.1\n\
         LogLevel Critical\nLogFile \"{d}/log\"\nPidFile \"{d}/pid\"\n",
        d = dir.display()
    );
    std::fs::write(dir.join("tinyproxy.conf"), conf).map_err(|e| e.to_string())?;
    let child = Command::new(bin)
        .arg("-d")
        .arg("-c")
        .arg(dir.join("tinyproxy.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    super::support::wait_listening(port, "tinyproxy")?;
    Ok(Tinyproxy { child, dir, port })
}

fn run_proxy(runtime: &str) -> Measurement {
    let nginx = start_nginx().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(3);
    });
    let proxy = start_tinyproxy().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(3);
    });
    // nginx and tinyproxy on one core, the client on the other.
    crate::cpu::pin_to_cpu(nginx.child.id() as libc::pid_t, 1);
    crate::cpu::pin_to_cpu(proxy.child.id() as libc::pid_t, 1);
    crate::cpu::pin_to_cpu(0, 0);
    let url = format!("http://127.0.0.1:{}/1k.bin", nginx.port);
    let via = format!("http://127.0.0.1:{}", proxy.port);
    let m = match runtime {
        "asyncio-rs" => super::rt::asyncio(proxied_ours(url, via)).0,
        _ => super::rt::tokio(super::rt::tokio_ct(), proxied_theirs(url, via)).0,
    };
    drop(proxy);
    drop(nginx);
    m
}

async fn proxied_ours(url: String, via: String) {
    let mut config = asyncio_http::SessionConfig::default();
    config.connector.limit = PROXY_IN_FLIGHT;
    config.auto_decompress = false;
    config.proxy = asyncio_http::Proxies::all(via);
    let session = asyncio_http::ClientSession::with_config(config);
    share_asyncio(PROXIED, PROXY_IN_FLIGHT, move || {
        let (session, url) = (session.clone(), url.clone());
        async move {
            let r = session
                .get(&url)
                .header("connection", "close")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            std::hint::black_box(r.bytes().await.unwrap());
        }
    })
    .await;
}

async fn proxied_theirs(url: String, via: String) {
    let client = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(&via).unwrap())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    share_tokio(PROXIED, PROXY_IN_FLIGHT, move || {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let r = client.get(&url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            std::hint::black_box(r.bytes().await.unwrap());
        }
    })
    .await;
}

/// The `upload` workload.
pub(crate) const UPLOAD: super::Workload = super::Workload {
    name: "upload",
    info: super::Info {
        count: UPLOADS as f64,
        unit: "uploads/s",
        description: "1,000 multipart POSTs of a 1 MiB file streamed from disk to nginx, 50 in flight; the extra column is the client's peak RSS",
    },
    supports: rust_clients,
    run: run_upload,
};

/// The `http-proxy` workload.
pub(crate) const HTTP_PROXY: super::Workload = super::Workload {
    name: "http-proxy",
    info: super::Info {
        count: PROXIED as f64,
        unit: "requests/s",
        description: "20,000 GETs of 1 KiB from nginx through tinyproxy, 100 in flight (tinyproxy and nginx on one core, the client on the other)",
    },
    supports: rust_clients,
    run: run_proxy,
};
