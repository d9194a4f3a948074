//! Issue 28's workloads, the `fetch-demo` job in Python (`bench/python/py_fetch.py`), one client
//! process each against the demo server:
//!
//! - `py-fetch-fast`: 20,000 pages with no delay, 100 in flight: the client's own cost decides;
//! - `py-fetch-demo`: 10,000 pages of about 50 ms, 500 in flight: latency decides.
//!
//! Clients: `asyncio-rs-py` (asyncio_rs.http on asyncio_rs's loop), `aiohttp-uvloop`,
//! `aiohttp-rloop`, and on uvloop `httpx`, `pyreqwest` and `rnet` (each from PyPI, left out
//! with a note where its wheel does not install). Wall time and peak RSS of the client.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use super::fetch::{demo_server, measure_client};
use super::Measurement;

const FAST_URLS: usize = 20_000;
const FAST_CONCURRENCY: usize = 100;
const DEMO_URLS: usize = 10_000;
const DEMO_CONCURRENCY: usize = 500;

pub(crate) fn supports(runtime: &str) -> bool {
    matches!(
        runtime,
        "asyncio-rs-py" | "aiohttp-uvloop" | "aiohttp-rloop" | "httpx" | "pyreqwest" | "rnet"
    )
}

/// A Python with `runtime`'s client (and loop) importable.
fn python_for(runtime: &str) -> Result<PathBuf, String> {
    let packages: &[&str] = match runtime {
        "asyncio-rs-py" => return super::pyloop::python_for("asyncio-rs-py"),
        "aiohttp-uvloop" => &["uvloop", "aiohttp"],
        "aiohttp-rloop" => &["rloop", "aiohttp"],
        "httpx" => &["uvloop", "httpx"],
        "pyreqwest" => &["uvloop", "pyreqwest"],
        "rnet" => &["uvloop", "rnet"],
        other => return Err(format!("left out: {other} is no Python client")),
    };
    super::support::python_with(packages)
}

fn run_shape(runtime: &str, urls: usize, concurrency: usize, latency_ms: u64) -> Measurement {
    let py = python_for(runtime).unwrap_or_else(|e| {
        eprintln!("{runtime}: {e}");
        std::process::exit(3);
    });
    let (server, base) = demo_server(&["--demo-latency", &latency_ms.to_string()]);
    // The demo server on one core, the client on the other, as `fetch-demo-fast`.
    crate::cpu::pin_to_cpu(server.id() as libc::pid_t, 1);
    crate::cpu::pin_to_cpu(0, 0);
    let file = std::env::temp_dir().join(format!("asyncio-bench-pyurls-{}", std::process::id()));
    let mut f = std::fs::File::create(&file).expect("url file");
    for i in 0..urls {
        writeln!(f, "{base}/page/{i}").expect("write urls");
    }
    drop(f);
    let mut cmd = Command::new(py);
    cmd.arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/py_fetch.py"))
        .arg(runtime)
        .arg(&file)
        .arg(concurrency.to_string());
    // The client's stderr stays: a failed run says why.
    measure_client(cmd, server, &file, &format!("py-fetch/{runtime}"))
}

fn run_fast(runtime: &str) -> Measurement {
    run_shape(runtime, FAST_URLS, FAST_CONCURRENCY, 0)
}

fn run_demo(runtime: &str) -> Measurement {
    run_shape(runtime, DEMO_URLS, DEMO_CONCURRENCY, 50)
}

/// The `py-fetch-fast` workload.
pub(crate) const PY_FETCH_FAST: super::Workload = super::Workload {
    name: "py-fetch-fast",
    info: super::Info {
        count: FAST_URLS as f64,
        unit: "URLs/s",
        description: "the demo job in Python with no page delay: 20,000 URLs, 100 in flight, one client process per Python HTTP client; peak RSS per client",
    },
    supports,
    run: run_fast,
};

/// The `py-fetch-demo` workload.
pub(crate) const PY_FETCH_DEMO: super::Workload = super::Workload {
    name: "py-fetch-demo",
    info: super::Info {
        count: DEMO_URLS as f64,
        unit: "URLs/s",
        description: "the demo job in Python: 10,000 URLs at concurrency 500 (~50 ms pages), one client process per Python HTTP client; peak RSS per client",
    },
    supports,
    run: run_demo,
};
