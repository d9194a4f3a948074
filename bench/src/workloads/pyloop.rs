//! Issue 11's Python event-loop workloads, each one Python process running
//! `bench/python/loop_micro.py LOOP WORKLOAD` in the harness's venv (`target/bench-venv`):
//! CPython's own loop (`python-asyncio`), uvloop, rloop (both from PyPI) and asyncio_rs
//! (`asyncio-rs-py`, installed from `crates/asyncio-py` when the venv lacks it; after changing
//! its Rust code, `target/bench-venv/bin/pip install --force-reinstall ./crates/asyncio-py`).
//! The figure is the seconds the script reports: the loop's own time, interpreter start and
//! setup excluded.

use std::path::PathBuf;
use std::process::Command;

use super::Measurement;

/// The workloads, by the name `loop_micro.py` knows them by.
pub(crate) const WORKLOADS: &[&str] = &[
    "py-call-soon",
    "py-tasks",
    "py-sleep0",
    "py-timers",
    "py-echo",
    "py-aiohttp-wrk",
    "py-idle-conns",
];

pub(crate) fn supports(runtime: &str) -> bool {
    matches!(
        runtime,
        "python-asyncio" | "uvloop" | "rloop" | "asyncio-rs-py"
    )
}

/// What each workload counts (for the throughput column).
pub(crate) fn info(workload: &str) -> super::Info {
    let (count, unit, description) = match workload {
        "py-call-soon" => (1e6, "callbacks/s", "Python: 1,000,000 loop.call_soon callbacks, then run_forever"),
        "py-tasks" => (2e5, "tasks/s", "Python: 200,000 coroutines through asyncio.gather (create_task each)"),
        "py-sleep0" => (1e6, "switches/s", "Python: 10 tasks x 100,000 asyncio.sleep(0)"),
        "py-timers" => (1e5, "timers/s", "Python: 100,000 call_later timers of 1-100 ms (seeded), until the last fires"),
        "py-aiohttp-wrk" => (super::hyper_wrk::REQUESTS as f64, "requests/s", "Python: aiohttp.web hello world under wrk -t1 -c100 -d5s (time per 100,000 requests)"),
        "py-idle-conns" => (IDLE_CONNECTIONS, "connections/s", "Python: 2,000 idle loopback connections, both ends on one loop; bytes of memory per connection (both ends)"),
        _ => (1e5, "round trips/s", "Python: protocol echo, 50 connections x 2,000 round trips of 64 B, client and server on one loop"),
    };
    super::Info {
        count,
        unit,
        description,
    }
}

/// A Python with `runtime`'s loop importable.
pub(crate) fn python_for(runtime: &str) -> Result<PathBuf, String> {
    match runtime {
        "uvloop" => super::echo::python_with(&["uvloop"]),
        "rloop" => super::echo::python_with(&["rloop"]),
        "asyncio-rs-py" => {
            let py = super::echo::python_with(&["asyncio"])?;
            let has = Command::new(&py)
                .args(["-c", "import asyncio_rs"])
                .output()
                .is_ok_and(|o| o.status.success());
            if !has {
                let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/asyncio-py");
                let pip = Command::new(&py)
                    .args(["-m", "pip", "install", "--quiet"])
                    .arg(&src)
                    .output()
                    .map_err(|e| format!("left out: {e}"))?;
                if !pip.status.success() {
                    return Err(format!(
                        "left out: pip install ./crates/asyncio-py failed: {}",
                        String::from_utf8_lossy(&pip.stderr)
                    ));
                }
            }
            Ok(py)
        }
        _ => super::echo::python_with(&["asyncio"]),
    }
}

/// Connections `py-idle-conns` opens (`loop_micro.py idle_conns`).
const IDLE_CONNECTIONS: f64 = 2000.0;

/// The name `loop_micro.py` and `echo_server.py` know `runtime`'s loop by.
pub(crate) fn loop_name(runtime: &str) -> &str {
    match runtime {
        "python-asyncio" => "asyncio",
        "asyncio-rs-py" => "asyncio_rs",
        other => other,
    }
}

pub(crate) fn run(workload: &str, runtime: &str) -> Measurement {
    let py = python_for(runtime).unwrap_or_else(|e| {
        eprintln!("{workload}/{runtime} {e}");
        std::process::exit(3);
    });
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python");
    if workload == "py-aiohttp-wrk" {
        if let Err(e) = super::echo::python_with(&["aiohttp"]) {
            eprintln!("{workload}/{runtime} {e}");
            std::process::exit(3);
        }
        let mut server = Command::new(&py);
        server
            .arg(dir.join("aiohttp_hello.py"))
            .arg(loop_name(runtime));
        return super::hyper_wrk::run_server(server);
    }
    let script = dir.join("loop_micro.py");
    let name = loop_name(runtime);
    let out = Command::new(py)
        .arg(script)
        .arg(name)
        .arg(workload.trim_start_matches("py-").replace('-', "_"))
        .output()
        .expect("run loop_micro.py");
    // The seconds, and for py-idle-conns the bytes per connection after them.
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    let seconds = match fields.next() {
        Some(Ok(s)) => s,
        _ => {
            eprintln!(
                "{workload}/{runtime} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::process::exit(1);
        }
    };
    let bytes_per_task = fields.next().and_then(Result::ok);
    Measurement {
        wall_s: seconds,
        cpu_s: 0.0,
        bytes_per_task,
        p50_us: None,
        p99_us: None,
        channel: None,
        server_cpu_s: None,
    }
}
