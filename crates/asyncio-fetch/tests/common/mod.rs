//! Helpers shared by the CLI tests: the binary, temporary directories, local servers.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_asyncio-fetch"))
}

/// A fresh directory for one test, removed when the test is done with it.
pub fn tempdir(tag: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("asyncio-fetch-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

/// A test's directory (a path, by `Deref`), removed with what it holds on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for TempDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A local server on its own thread: `/n/<i>` answers after `delay_ms`, `/slow/<i>` after a
/// minute, `/r/<n>` redirects `n` times (each hop after `delay_ms`), `/big/<n>` with `n` bytes;
/// `/login` sets a cookie and redirects to `/private`, which wants it; `/home` sets it and
/// links to `/private`; `/basic` wants Basic credentials `alice:pw`.
pub fn server(delay_ms: u64) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        asyncio::Runner::new()
            .without_sigint_handling()
            .run(async move {
                use asyncio_http::server::{serve, Response, Router};
                let router = Router::new()
                    .get("/n/:i", move |req| async move {
                        asyncio::time::sleep(Duration::from_millis(delay_ms)).await;
                        Response::text(format!("page {}", req.param("i").unwrap()))
                    })
                    .get("/slow/:i", |_| async {
                        asyncio::time::sleep(Duration::from_secs(60)).await;
                        Response::text("late")
                    })
                    .get("/r/:n", move |req| async move {
                        asyncio::time::sleep(Duration::from_millis(delay_ms)).await;
                        let n: u32 = req.param("n").unwrap().parse().unwrap();
                        if n == 0 {
                            Response::text("end of the chain")
                        } else {
                            Response::redirect(
                                asyncio_http::StatusCode::FOUND,
                                &format!("/r/{}", n - 1),
                            )
                        }
                    })
                    .get("/big/:n", |req| async move {
                        let n: usize = req.param("n").unwrap().parse().unwrap();
                        Response::bytes(vec![b'x'; n])
                    })
                    // A login: a cookie set on a redirect, checked on the next hop.
                    .get("/login", |_| async {
                        Response::redirect(asyncio_http::StatusCode::FOUND, "/private")
                            .header("set-cookie", "sid=s3ss10n; Path=/")
                    })
                    .get("/private", |req| async move {
                        let cookie = req.headers().get("cookie");
                        match cookie.and_then(|c| c.to_str().ok()) {
                            Some(c) if c.contains("sid=s3ss10n") => Response::text("welcome"),
                            _ => Response::text("who are you?")
                                .status(asyncio_http::StatusCode::FORBIDDEN),
                        }
                    })
                    // A crawl's start page that sets the cookie and links to the private one.
                    .get("/home", |_| async {
                        Response::html("<a href=\"/private\">mine</a>")
                            .header("set-cookie", "sid=s3ss10n; Path=/")
                    })
                    // Basic credentials alice:pw (base64 "YWxpY2U6cHc=").
                    .get("/basic", |req| async move {
                        let auth = req.headers().get("authorization");
                        if auth.is_some_and(|a| a == "Basic YWxpY2U6cHc=") {
                            Response::text("hello alice")
                        } else {
                            Response::text("credentials, please")
                                .status(asyncio_http::StatusCode::UNAUTHORIZED)
                        }
                    });
                let s = serve("127.0.0.1:0", router).await.unwrap();
                tx.send(format!("http://{}", s.local_addr().unwrap()))
                    .unwrap();
                s.serve_forever().await;
            })
    });
    rx.recv().unwrap()
}

/// Every line parses; returns url -> count.
pub fn lines(path: &Path) -> HashMap<String, usize> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut seen = HashMap::new();
    for line in text.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("torn line {line:?}: {e}"));
        *seen
            .entry(v["url"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    seen
}

pub fn broken_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        asyncio::Runner::new()
            .without_sigint_handling()
            .run(async move {
                let server = asyncio::streams::start_server(
                    |mut r, w| async move {
                        let Ok(first) = r.readline().await else {
                            return;
                        };
                        let path = String::from_utf8_lossy(&first)
                            .split(' ')
                            .nth(1)
                            .unwrap_or("/")
                            .to_owned();
                        while let Ok(l) = r.readline().await {
                            if l == b"\r\n" || l.is_empty() {
                                break;
                            }
                        }
                        match path.as_str() {
                            "/garbage" => drop(w.write(b"NOT HTTP AT ALL\r\n\r\n")),
                            "/truncated" => {
                                drop(w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort"))
                            }
                            "/hang" => std::future::pending::<()>().await,
                            "/trickle" => {
                                drop(w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"));
                                for _ in 0..100 {
                                    asyncio::time::sleep(Duration::from_secs(1)).await;
                                    if w.write(b"x").is_err() {
                                        return;
                                    }
                                }
                            }
                            _ => drop(w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")),
                        }
                        let _ = w.drain().await;
                        w.close();
                    },
                    "127.0.0.1:0",
                )
                .await
                .unwrap();
                tx.send(format!("http://{}", server.local_addr().unwrap()))
                    .unwrap();
                server.serve_forever().await;
            })
    });
    rx.recv().unwrap()
}

/// Like [`lines`], for a file a killed run left: its last line may be torn (SIGKILL can land in
/// the middle of a write), every other line must parse. `--resume` cuts such a tail off.
pub fn lines_after_kill(path: &Path) -> HashMap<String, usize> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut seen = HashMap::new();
    let all: Vec<&str> = text.lines().collect();
    for (i, line) in all.iter().enumerate() {
        let parsed = serde_json::from_str::<serde_json::Value>(line);
        let v = match parsed {
            Ok(v) => v,
            Err(_) if i + 1 == all.len() && !text.ends_with('\n') => break,
            Err(e) => panic!("torn line {line:?} before the end: {e}"),
        };
        *seen
            .entry(v["url"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    seen
}

/// What a [`watching_server`] saw: the most requests in flight at once, and when each request
/// arrived (seconds since the server started).
#[derive(Default)]
pub struct Watch {
    pub max_in_flight: std::sync::atomic::AtomicUsize,
    in_flight: std::sync::atomic::AtomicUsize,
    pub arrivals: std::sync::Mutex<Vec<f64>>,
    /// Requests for `/robots.txt`.
    pub robots_fetches: std::sync::atomic::AtomicUsize,
}

/// What a [`watching_server_with`] answers for `/robots.txt`.
#[derive(Clone, Copy)]
pub enum RobotsTxt {
    /// 404: no rules.
    Missing,
    /// This file.
    Text(&'static str),
    /// 503 every time.
    Unavailable,
    /// A redirect to `/robots-moved.txt`, which holds this file.
    Moved(&'static str),
}

/// A local server whose `/w/<i>` answers after `delay_ms` and records concurrency and
/// arrival times in the returned [`Watch`]; it has no robots.txt.
pub fn watching_server(delay_ms: u64) -> (String, std::sync::Arc<Watch>) {
    watching_server_with(delay_ms, RobotsTxt::Missing)
}

/// [`watching_server`] with `robots` for its `/robots.txt` (requests for it are counted).
pub fn watching_server_with(delay_ms: u64, robots: RobotsTxt) -> (String, std::sync::Arc<Watch>) {
    use std::sync::atomic::Ordering;
    let watch = std::sync::Arc::new(Watch::default());
    let (tx, rx) = std::sync::mpsc::channel();
    let w = watch.clone();
    std::thread::spawn(move || {
        asyncio::Runner::new()
            .without_sigint_handling()
            .run(async move {
                use asyncio_http::server::{serve, Response, Router};
                let started = std::time::Instant::now();
                let counter = w.clone();
                let router = Router::new().get("/robots.txt", move |_req| {
                    counter.robots_fetches.fetch_add(1, Ordering::SeqCst);
                    async move {
                        match robots {
                            RobotsTxt::Missing => {
                                Response::text("none").status(asyncio_http::StatusCode::NOT_FOUND)
                            }
                            RobotsTxt::Text(t) => Response::text(t),
                            RobotsTxt::Unavailable => Response::text("down")
                                .status(asyncio_http::StatusCode::SERVICE_UNAVAILABLE),
                            RobotsTxt::Moved(_) => Response::redirect(
                                asyncio_http::StatusCode::MOVED_PERMANENTLY,
                                "/robots-moved.txt",
                            ),
                        }
                    }
                });
                let router = router.get("/robots-moved.txt", move |_req| async move {
                    match robots {
                        RobotsTxt::Moved(t) => Response::text(t),
                        _ => Response::text("none").status(asyncio_http::StatusCode::NOT_FOUND),
                    }
                });
                let router = router.get("/w/:i", move |_req| {
                    let w = w.clone();
                    async move {
                        w.arrivals
                            .lock()
                            .unwrap()
                            .push(started.elapsed().as_secs_f64());
                        let now = w.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        w.max_in_flight.fetch_max(now, Ordering::SeqCst);
                        asyncio::time::sleep(Duration::from_millis(delay_ms)).await;
                        w.in_flight.fetch_sub(1, Ordering::SeqCst);
                        Response::text("watched")
                    }
                });
                let s = serve("127.0.0.1:0", router).await.unwrap();
                tx.send(format!("http://{}", s.local_addr().unwrap()))
                    .unwrap();
                s.serve_forever().await;
            })
    });
    (rx.recv().unwrap(), watch)
}

/// Starts `cmd` (standard error discarded) and SIGKILLs it once `watched` holds `min_bytes`
/// (a real-time property of another process: it is polled).
pub fn kill_once_grown(cmd: &mut std::process::Command, watched: &Path, min_bytes: u64) {
    use std::time::Instant;
    let mut child = cmd.stderr(std::process::Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::metadata(watched).map(|m| m.len()).unwrap_or(0) < min_bytes {
        assert!(
            Instant::now() < deadline,
            "{} did not grow to {min_bytes} bytes",
            watched.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: kill() on our child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
}

/// 3,000 URLs with `extra` arguments: SIGKILL once some results are in the file, then
/// `--resume`: every URL ends with exactly one line.
pub fn kill_then_resume(tag: &str, extra: &[&str]) {
    use std::io::Write;
    use std::process::Command;
    let dir = tempdir(tag);
    let base = server(20);
    let input = dir.join("urls.txt");
    let mut f = std::fs::File::create(&input).unwrap();
    for i in 0..3000 {
        writeln!(f, "{base}/n/{i}").unwrap();
    }
    drop(f);
    let out = dir.join("out.jsonl");
    let args = ["--concurrency", "50", "--per-host", "50", "--quiet"];
    kill_once_grown(
        Command::new(bin())
            .arg(&input)
            .args(args)
            .args(extra)
            .arg("-o")
            .arg(&out),
        &out,
        1,
    );
    // Only the last line may be torn: the kill can land inside a write.
    let before = lines_after_kill(&out);
    assert!(
        !before.is_empty() && before.len() < 3000,
        "{}",
        before.len()
    );
    let o = Command::new(bin())
        .arg(&input)
        .args(args)
        .args(extra)
        .args(["--resume", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let after = lines(&out);
    assert_eq!(after.len(), 3000);
    assert!(after.values().all(|&n| n == 1), "a URL was fetched twice");
}

/// `asyncio-fetch --demo-server` with a site of `pages` pages; killed when dropped.
pub struct Site {
    child: Child,
    pub base: String,
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn site(pages: u64, latency_ms: u64) -> Site {
    let mut child = Command::new(bin())
        .args(["--demo-server", "--demo-urls"])
        .arg(pages.to_string())
        .arg("--demo-latency")
        .arg(latency_ms.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    Site {
        child,
        base: line.trim().to_owned(),
    }
}

/// Every line of a finished run, by URL.
pub fn records(path: &Path) -> HashMap<String, Vec<serde_json::Value>> {
    let mut by_url: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        by_url
            .entry(v["url"].as_str().unwrap().to_owned())
            .or_default()
            .push(v);
    }
    by_url
}

/// What a whole crawl of a site of `pages` pages must have recorded, each URL once.
pub fn assert_whole_site(base: &str, pages: u64, got: &HashMap<String, Vec<serde_json::Value>>) {
    let dups: Vec<_> = got
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(u, _)| u)
        .collect();
    assert!(dups.is_empty(), "fetched more than once: {dups:?}");
    for i in 0..pages {
        let url = format!("{base}/site/{i}");
        let v = &got.get(&url).unwrap_or_else(|| panic!("{url} missing"))[0];
        assert_eq!(v["status"], 200, "{v}");
        assert!(v["links"].as_u64().unwrap() >= 2, "{v}");
        if i == 0 {
            assert_eq!(v["depth"], 0);
            assert!(v["parent"].is_null());
        } else {
            assert!(v["depth"].as_u64().unwrap() >= 1, "{v}");
            assert!(v["parent"].as_str().unwrap().starts_with(base), "{v}");
        }
    }
    let private: Vec<_> = got
        .keys()
        .filter(|u| u.contains("/site/private/"))
        .collect();
    assert_eq!(private.len() as u64, pages.div_ceil(10));
    for u in private {
        assert_eq!(got[u][0]["error"]["kind"], "robots", "{u}");
    }
    assert!(
        !got.keys().any(|u| u.contains("nofollow")),
        "followed a nofollow link"
    );
    assert!(!got.keys().any(|u| !u.starts_with(base)), "left the host");
    assert_eq!(got.len() as u64, pages + pages.div_ceil(10));
}

/// A `redis-server` of the test's own, on a free loopback port with its data in a temporary
/// directory; stopped when dropped.
pub struct Redis {
    child: Child,
    /// Removed after the server is stopped (fields drop after `Drop::drop`).
    _dir: TempDir,
    port: u16,
    /// `redis://127.0.0.1:PORT/0`.
    pub url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a [`Redis`]; `None` (the caller skips, saying so) when there is no `redis-server`
/// outside CI. In CI a missing server fails the test.
pub fn redis_server(tag: &str) -> Option<Redis> {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must provide redis-server (.ci/run installs it)"
        );
        eprintln!("skipped: no redis-server (apt-get install redis-server)");
        return None;
    }
    let dir = tempdir(&format!("redis-{tag}"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
        .unwrap();
    let redis = Redis {
        child,
        _dir: dir,
        port,
        url: format!("redis://127.0.0.1:{port}/0"),
    };
    // Ready when it answers PING (another process: polled, with a deadline).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while redis.command(&["PING"]).as_deref() != Some("+PONG") {
        assert!(
            std::time::Instant::now() < deadline,
            "redis-server did not start"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    Some(redis)
}

impl Redis {
    /// Sends one command; returns the reply's first line (`None` if the server is not up).
    pub fn command(&self, args: &[&str]) -> Option<String> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.write_all(req.as_bytes()).ok()?;
        let mut reply = Vec::new();
        let mut buf = [0u8; 512];
        while !reply.ends_with(b"\r\n") {
            let n = s.read(&mut buf).ok()?;
            if n == 0 {
                return None;
            }
            reply.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&reply).into_owned();
        Some(text.lines().next().unwrap_or("").to_owned())
    }

    /// An integer reply (`XLEN`, `ZCARD`, …).
    pub fn int(&self, args: &[&str]) -> i64 {
        let r = self.command(args).expect("redis answers");
        r.strip_prefix(':')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{args:?}: {r}"))
    }
}
