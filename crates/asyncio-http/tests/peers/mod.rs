//! Real peers the tests start and stop: Python servers (aiohttp, websockets) and clients,
//! tinyproxy, pproxy. Each is skipped with a message when it is not installed (CI installs
//! them all).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python with the given modules: `ASYNCIO_HTTP_PYTHON`, `ASYNCIO_FETCH_PYTHON` (what CI
/// exports), the workspace's `target/ci-venv`, then `python3`.
pub(crate) fn python(modules: &[&str]) -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ci-venv/bin/python");
    let candidates = [
        std::env::var_os("ASYNCIO_HTTP_PYTHON").map(PathBuf::from),
        std::env::var_os("ASYNCIO_FETCH_PYTHON").map(PathBuf::from),
        Some(venv),
        Some(PathBuf::from("python3")),
    ];
    let check = format!("import {}", modules.join(", "));
    let found = candidates.into_iter().flatten().find(|p| {
        Command::new(p)
            .args(["-c", &check])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no Python with {modules:?}: .ci/run should install them"
        );
        eprintln!("SKIP: no Python with {modules:?} (CI installs them in target/ci-venv)");
    }
    found
}

/// A peer's script in `tests/peers/`.
pub(crate) fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}

/// A child process stopped (killed and reaped) on drop.
pub(crate) struct Peer {
    child: Child,
    /// Closed on drop: the Python servers exit when stdin closes.
    stdin: Option<ChildStdin>,
    pub(crate) port: u16,
    _dir: Option<TempDir>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Python server script that prints `PORT <n>` once it listens.
pub(crate) fn python_server(python: &Path, name: &str, args: &[&str]) -> Peer {
    let mut child = Command::new(python)
        .arg(script(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{name} did not report its port: {line:?}"));
    Peer {
        stdin: child.stdin.take(),
        child,
        port,
        _dir: None,
    }
}

/// Runs a Python client script to the end; its last stdout line parsed as JSON.
pub(crate) fn python_client(python: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(python)
        .arg(script("clients.py"))
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "clients.py {args:?} failed");
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or("")).unwrap()
}

/// A free loopback port (for servers that must be told one).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `port` (a server that cannot report its
/// readiness otherwise), for at most 10 s.
fn wait_listening(port: u16, child: &mut Child, what: &str) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited early: {status}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what} never listened"
        );
        std::thread::yield_now();
    }
}

/// A temporary directory removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "asyncio-http-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Debian's tinyproxy (HTTP forward proxy and `CONNECT`), with Basic credentials if given.
pub(crate) fn tinyproxy(auth: Option<(&str, &str)>) -> Option<Peer> {
    let bin = ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    let Some(bin) = bin else {
        assert!(
            std::env::var_os("CI").is_none(),
            "tinyproxy is missing: .ci/run should install it"
        );
        eprintln!("SKIP: tinyproxy is not installed (apt-get install tinyproxy; CI does)");
        return None;
    };
    let dir = TempDir::new("tinyproxy");
    let port = free_port();
    let mut conf = format!(
        "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 200\nAllow 127.0.0.1\n\
         LogLevel Error\nLogFile \"{log}\"\nPidFile \"{pid}\"\n",
        log = dir.0.join("log").display(),
        pid = dir.0.join("pid").display(),
    );
    if let Some((u, p)) = auth {
        conf.push_str(&format!("BasicAuth {u} {p}\n"));
    }
    let conf_path = dir.0.join("tinyproxy.conf");
    std::fs::File::create(&conf_path)
        .unwrap()
        .write_all(conf.as_bytes())
        .unwrap();
    let mut child = Command::new(bin)
        .arg("-d")
        .arg("-c")
        .arg(&conf_path)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    wait_listening(port, &mut child, "tinyproxy");
    Some(Peer {
        child,
        stdin: None,
        port,
        _dir: Some(dir),
    })
}

/// pproxy (PyPI) listening as `scheme` (`socks5`, `http+ssl`, ...), with `user:pass`
/// credentials if given, and a certificate for TLS schemes.
pub(crate) fn pproxy(
    python: &Path,
    scheme: &str,
    auth: Option<&str>,
    tls: Option<(&Path, &Path)>,
) -> Peer {
    let port = free_port();
    let mut listen = format!("{scheme}://127.0.0.1:{port}");
    if let Some(a) = auth {
        listen.push('#');
        listen.push_str(a);
    }
    let mut cmd = Command::new(python);
    cmd.args(["-m", "pproxy", "-l", &listen]);
    if let Some((cert, key)) = tls {
        cmd.arg("--ssl")
            .arg(format!("{},{}", cert.display(), key.display()));
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(port, &mut child, "pproxy");
    Peer {
        child,
        stdin: None,
        port,
        _dir: None,
    }
}

/// A self-signed certificate for `localhost` and 127.0.0.1 written to `dir`: (cert, key,
/// the PEM to trust).
pub(crate) fn certificate(dir: &Path) -> (PathBuf, PathBuf, Vec<u8>) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let pem = cert.cert.pem();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, &pem).unwrap();
    std::fs::write(&k, cert.key_pair.serialize_pem()).unwrap();
    (c, k, pem.into_bytes())
}

/// A client TLS connector trusting `pem` (ALPN: HTTP/1.1 only, as the Python peers speak).
pub(crate) fn trusting(pem: &[u8]) -> asyncio::tls::TlsConnector {
    asyncio::tls::TlsConnector::builder()
        .webpki_roots(false)
        .native_roots(false)
        .add_root_pem(pem)
        .unwrap()
        .alpn(["http/1.1"])
        .build()
        .unwrap()
}
