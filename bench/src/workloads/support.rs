//! What several workloads share: timing, the child's report, a process's CPU time, the
//! benchmark venv, and the rules for the runtimes that run the single-loop workloads. Nothing
//! here imports a workload.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use super::Measurement;
use crate::cpu::process_cpu_time;

/// Times `f` (wall and process CPU).
pub(crate) fn timed<R>(f: impl FnOnce() -> R) -> (Measurement, R) {
    let cpu0 = process_cpu_time();
    let t0 = Instant::now();
    let r = f();
    let wall = t0.elapsed();
    let cpu = process_cpu_time() - cpu0;
    (
        Measurement {
            wall_s: wall.as_secs_f64(),
            cpu_s: cpu.as_secs_f64(),
            bytes_per_task: None,
            p50_us: None,
            p99_us: None,
            channel: None,
            server_cpu_s: None,
            handovers: None,
            interleaved: None,
        },
        r,
    )
}

/// Prints a child's measurement as the one JSON line the parent reads.
pub(crate) fn print_child(m: &Measurement) {
    let v = serde_json::json!({
        "wall_s": m.wall_s,
        "cpu_s": m.cpu_s,
        "bytes_per_task": m.bytes_per_task,
        "p50_us": m.p50_us,
        "p99_us": m.p99_us,
        "channel": m.channel,
        "server_cpu_s": m.server_cpu_s,
        "handovers": m.handovers,
        "interleaved": m.interleaved,
    });
    println!("{v}");
}

/// Waits (10 s at most) until a server started as a child accepts connections on `port`.
///
/// # Errors
/// It never did: `what` did not start.
pub(crate) fn wait_listening(port: u16, what: &str) -> Result<(), String> {
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("{what} did not start"));
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Ok(())
}

/// User + system CPU seconds process `pid` has used.
pub(crate) fn proc_cpu_s(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY: sysconf only reads a constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz
}

fn venv() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-venv")
}

/// The venv's python, with `packages` installed (made and installed on first use).
pub(crate) fn python_with(packages: &[&str]) -> Result<PathBuf, String> {
    let dir = venv();
    let py = dir.join("bin/python");
    let imports = format!("import {}", packages.join(", "));
    let ok = |p: &PathBuf| {
        Command::new(p)
            .args(["-c", &imports])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ok(&py) {
        return Ok(py);
    }
    if !py.exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .output()
            .map_err(|e| format!("left out: no python3 ({e})"))?;
        if !made.status.success() {
            return Err(format!(
                "left out: cannot make a venv: {}",
                String::from_utf8_lossy(&made.stderr)
            ));
        }
    }
    let pip = Command::new(&py)
        .args(["-m", "pip", "install", "--quiet"])
        .args(packages)
        .output()
        .map_err(|e| format!("left out: {e}"))?;
    if !pip.status.success() || !ok(&py) {
        return Err(format!(
            "left out: pip install {} failed: {}",
            packages.join(" "),
            String::from_utf8_lossy(&pip.stderr)
        ));
    }
    Ok(py)
}

/// The runtimes of the single-loop workloads (`spawn`, `pingpong`, `queue`, …): asyncio-rs,
/// tokio and the thread-per-core peers, not the Python loops, the HTTP clients or the
/// server-only variants, which exist for other workloads.
pub(crate) fn core_runtime(runtime: &str) -> bool {
    !matches!(
        runtime,
        "asyncio-rs-protocol"
            | "asyncio-rs-per-loop"
            | "python-asyncio"
            | "uvloop"
            | "reqwest"
            | "aiohttp"
            | "aiohttp-uvloop"
            | "scrapy"
            | "wget"
            | "asyncio-rs-1-worker"
            | "rloop"
            | "asyncio-rs-py"
            | "aiohttp-rloop"
            | "aiohttp-asyncio-rs"
            | "python-websockets"
            | "io-uring-raw"
    )
}

/// Runs a single-loop workload: on a thread-per-core peer through its `LocalRuntime`
/// (`local.rs`, with `--features peers`), otherwise with `ours` (asyncio-rs and tokio).
pub(crate) fn or_peer(workload: &str, runtime: &str, ours: fn(&str) -> Measurement) -> Measurement {
    #[cfg(feature = "peers")]
    if let Some(m) = super::local::run(workload, runtime) {
        return m;
    }
    #[cfg(not(feature = "peers"))]
    let _ = workload;
    ours(runtime)
}
