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

pub(crate) fn supports(runtime: &str) -> bool {
    matches!(
        runtime,
        "python-asyncio" | "uvloop" | "rloop" | "asyncio-rs-py"
    )
}

/// A Python with `runtime`'s loop importable.
pub(crate) fn python_for(runtime: &str) -> Result<PathBuf, String> {
    match runtime {
        "uvloop" => super::support::python_with(&["uvloop"]),
        "rloop" => super::support::python_with(&["rloop"]),
        "asyncio-rs-py" => {
            let py = super::support::python_with(&["asyncio"])?;
            // An install from before `asyncio_rs.http` counts as missing: reinstalled.
            let has = Command::new(&py)
                .args(["-c", "import asyncio_rs, asyncio_rs.http"])
                .output()
                .is_ok_and(|o| o.status.success());
            if !has {
                let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/asyncio-py");
                let pip = Command::new(&py)
                    .args([
                        "-m",
                        "pip",
                        "install",
                        "--quiet",
                        "--force-reinstall",
                        "--no-deps",
                    ])
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
        _ => super::support::python_with(&["asyncio"]),
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
        if let Err(e) = super::support::python_with(&["aiohttp"]) {
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
        handovers: None,
        interleaved: None,
    }
}

/// The `py-call-soon` workload.
pub(crate) const PY_CALL_SOON: super::Workload = super::Workload {
    name: "py-call-soon",
    info: super::Info {
        count: 1e6,
        unit: "callbacks/s",
        description: "Python: 1,000,000 loop.call_soon callbacks, then run_forever",
    },
    supports,
    run: |runtime| run("py-call-soon", runtime),
};

/// The `py-tasks` workload.
pub(crate) const PY_TASKS: super::Workload = super::Workload {
    name: "py-tasks",
    info: super::Info {
        count: 2e5,
        unit: "tasks/s",
        description: "Python: 200,000 coroutines through asyncio.gather (create_task each)",
    },
    supports,
    run: |runtime| run("py-tasks", runtime),
};

/// The `py-sleep0` workload.
pub(crate) const PY_SLEEP0: super::Workload = super::Workload {
    name: "py-sleep0",
    info: super::Info {
        count: 1e6,
        unit: "switches/s",
        description: "Python: 10 tasks x 100,000 asyncio.sleep(0)",
    },
    supports,
    run: |runtime| run("py-sleep0", runtime),
};

/// The `py-timers` workload.
pub(crate) const PY_TIMERS: super::Workload = super::Workload {
    name: "py-timers",
    info: super::Info {
        count: 1e5,
        unit: "timers/s",
        description: "Python: 100,000 call_later timers of 1-100 ms (seeded), until the last fires",
    },
    supports,
    run: |runtime| run("py-timers", runtime),
};

/// The `py-echo` workload.
pub(crate) const PY_ECHO: super::Workload = super::Workload {
    name: "py-echo",
    info: super::Info {
        count: 1e5,
        unit: "round trips/s",
        description: "Python: protocol echo, 50 connections x 2,000 round trips of 64 B, client and server on one loop",
    },
    supports,
    run: |runtime| run("py-echo", runtime),
};

/// The `py-aiohttp-wrk` workload.
pub(crate) const PY_AIOHTTP_WRK: super::Workload = super::Workload {
    name: "py-aiohttp-wrk",
    info: super::Info {
        count: super::hyper_wrk::REQUESTS as f64,
        unit: "requests/s",
        description:
            "Python: aiohttp.web hello world under wrk -t1 -c100 -d5s (time per 100,000 requests)",
    },
    supports,
    run: |runtime| run("py-aiohttp-wrk", runtime),
};

/// The `py-idle-conns` workload.
pub(crate) const PY_IDLE_CONNS: super::Workload = super::Workload {
    name: "py-idle-conns",
    info: super::Info {
        count: IDLE_CONNECTIONS,
        unit: "connections/s",
        description: "Python: 2,000 idle loopback connections, both ends on one loop; bytes of memory per connection (both ends)",
    },
    supports,
    run: |runtime| run("py-idle-conns", runtime),
};
