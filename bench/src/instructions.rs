//! `--instructions`: how many instructions one measurement executes, counted in a separate run
//! of the same child process (so the timed runs are not slowed). Wall time on a shared VM moves
//! by ±20 % from run to run; an instruction count moves by far less, so it tells a real change
//! in the hot path from noise.
//!
//! Counted with `perf stat -e instructions:u` where the CPU's counters are reachable (rarely in
//! a VM), otherwise with valgrind's callgrind (`I refs`, 20–100× slower, exact). The count is
//! the whole child process: its start-up (a few million instructions, alike for every runtime)
//! and the runtime's setup are included. Under callgrind a server the child starts in another
//! process (echo, hyper-wrk) is not counted; under perf it is.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How instructions are counted here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Counter {
    Perf,
    Callgrind,
}

impl Counter {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Counter::Perf => "perf",
            Counter::Callgrind => "callgrind",
        }
    }
}

/// The counter this machine allows: perf if it reports a number for `true`, else callgrind if
/// valgrind is installed.
pub(crate) fn detect() -> Option<Counter> {
    let perf = Command::new("perf")
        .args(["stat", "-x,", "-e", "instructions:u", "--", "true"])
        .stdout(Stdio::null())
        .output();
    if let Ok(out) = perf {
        if out.status.success() && parse_perf(&String::from_utf8_lossy(&out.stderr)).is_some() {
            return Some(Counter::Perf);
        }
    }
    let valgrind = Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    valgrind
        .is_ok_and(|s| s.success())
        .then_some(Counter::Callgrind)
}

/// How long a counted run may take (callgrind is slow).
const LIMIT: Duration = Duration::from_secs(1800);

/// Runs one measurement of `workload` on `runtime` under `counter`; its instruction count.
pub(crate) fn count(workload: &str, runtime: &str, counter: Counter) -> Option<u64> {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = match counter {
        Counter::Perf => {
            let mut c = Command::new("perf");
            c.args(["stat", "-x,", "-e", "instructions:u", "--"]);
            c
        }
        Counter::Callgrind => {
            let mut c = Command::new("valgrind");
            c.args([
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                "--trace-children=no",
            ]);
            c
        }
    };
    let mut child = cmd
        .arg(exe)
        .args(["--child", workload, runtime])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let stderr = child.stderr.take()?;
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let started = Instant::now();
    while child.try_wait().ok()?.is_none() {
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("\n{workload}/{runtime}: no instruction count after {LIMIT:?}");
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = child.wait().ok()?;
    let text = reader.join().unwrap_or_default();
    let n = match counter {
        Counter::Perf => parse_perf(&text),
        Counter::Callgrind => parse_callgrind(&text),
    };
    if !status.success() || n.is_none() {
        let tail: Vec<&str> = text.lines().rev().take(5).collect();
        eprintln!(
            "\n{workload}/{runtime}: not counted under {} ({status}): {}",
            counter.name(),
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        );
        return None;
    }
    n
}

/// `perf stat -x,`: `1234567,,instructions:u,...`.
fn parse_perf(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find(|l| l.contains("instructions"))
        .and_then(|l| l.split(',').next())
        .and_then(|n| n.trim().parse().ok())
}

/// callgrind's summary: `==123== Collected : 776334543`.
fn parse_callgrind(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| l.split_once("Collected :"))
        .and_then(|(_, n)| n.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_summaries() {
        assert_eq!(
            parse_perf("1234567,,instructions:u,1000000,100.00,,\n"),
            Some(1_234_567)
        );
        assert_eq!(
            parse_perf("<not supported>,,instructions:u,0,100.00,,\n"),
            None
        );
        let cg = "==9== Events    : Ir\n==9== Collected : 776334543\n==9==\n==9== I   refs:      776,334,543\n";
        assert_eq!(parse_callgrind(cg), Some(776_334_543));
        assert_eq!(parse_callgrind("==9== error\n"), None);
    }
}
