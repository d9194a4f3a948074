//! Running measurements: each one in a fresh child process (so allocator state, RSS and threads
//! of one runtime never leak into another's numbers), interleaved across runtimes.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::workloads::{self, Measurement};

/// The measurements of one workload on one runtime.
pub(crate) struct Series {
    pub(crate) workload: String,
    pub(crate) runtime: String,
    pub(crate) runs: Vec<Measurement>,
    /// Instructions of one run, and what counted them (`--instructions`).
    pub(crate) instructions: Option<(u64, &'static str)>,
}

/// Picks the requested names (all when none asked), refusing unknown ones.
pub(crate) fn select(asked: &[String], known: &[&str], what: &str) -> Vec<String> {
    if asked.is_empty() {
        return known.iter().map(|s| s.to_string()).collect();
    }
    for a in asked {
        if !known.contains(&a.as_str()) {
            eprintln!("unknown {what} {a:?}; known: {}", known.join(", "));
            std::process::exit(2);
        }
    }
    asked.to_vec()
}

/// Child mode: one measurement, printed as one JSON line.
pub(crate) fn child(workload: &str, runtime: &str) {
    crate::workloads::support::print_child(&workloads::run(workload, runtime));
}

/// How long one measurement may take before it is abandoned (a peer that hangs must not hang
/// the whole run).
const CHILD_LIMIT: Duration = Duration::from_secs(300);

fn measure_in_child(workload: &str, runtime: &str) -> Option<Measurement> {
    let exe = std::env::current_exe().expect("current_exe");
    let mut child = Command::new(exe)
        .args(["--child", workload, runtime])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn benchmark child");
    let started = Instant::now();
    while child
        .try_wait()
        .expect("wait for benchmark child")
        .is_none()
    {
        if started.elapsed() > CHILD_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("\n{workload}/{runtime}: no result after {CHILD_LIMIT:?}; left out");
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("benchmark child output");
    if !out.status.success() {
        eprintln!("\n{}", String::from_utf8_lossy(&out.stderr));
        eprintln!("{workload}/{runtime} failed: {}; left out", out.status);
        return None;
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("child JSON");
    Some(Measurement {
        wall_s: v["wall_s"].as_f64().expect("wall_s"),
        cpu_s: v["cpu_s"].as_f64().expect("cpu_s"),
        bytes_per_task: v["bytes_per_task"].as_f64(),
        p50_us: v["p50_us"].as_f64(),
        p99_us: v["p99_us"].as_f64(),
        channel: v["channel"].as_str().map(str::to_owned),
        server_cpu_s: v["server_cpu_s"].as_f64(),
        handovers: v["handovers"].as_f64(),
        interleaved: v["interleaved"].as_f64(),
    })
}

/// Runs `reps` rounds; in each round every workload runs once on every runtime, so drift in the
/// machine's state spreads over all runtimes alike.
pub(crate) fn run_all(
    workloads: &[String],
    runtimes: &[String],
    reps: usize,
    progress: bool,
) -> Vec<Series> {
    let mut results: BTreeMap<(usize, usize), Vec<Measurement>> = BTreeMap::new();
    let pairs = workloads
        .iter()
        .flat_map(|w| runtimes.iter().filter(|r| workloads::supports(w, r)))
        .count();
    let total = reps * pairs;
    let mut done = 0;
    for _ in 0..reps {
        for (wi, w) in workloads.iter().enumerate() {
            for (ri, r) in runtimes.iter().enumerate() {
                if !workloads::supports(w, r) {
                    continue;
                }
                if progress {
                    eprint!("\r[{done:>4}/{total}] {w:<12} {r:<14}");
                    let _ = std::io::stderr().flush();
                }
                if let Some(m) = measure_in_child(w, r) {
                    results.entry((wi, ri)).or_default().push(m);
                }
                done += 1;
            }
        }
    }
    if progress {
        eprintln!("\r[{done:>4}/{total}] done{:30}", "");
    }
    results
        .into_iter()
        .map(|((wi, ri), runs)| Series {
            workload: workloads[wi].clone(),
            runtime: runtimes[ri].clone(),
            runs,
            instructions: None,
        })
        .collect()
}

/// `--instructions`: one counted run per workload and runtime, after the timed ones.
pub(crate) fn count_instructions(results: &mut [Series], progress: bool) {
    let Some(counter) = crate::instructions::detect() else {
        eprintln!("--instructions: no perf counters here and no valgrind; not counted");
        return;
    };
    let total = results.len();
    for (i, s) in results.iter_mut().enumerate() {
        if progress {
            eprint!(
                "\r[{i:>4}/{total}] counting instructions ({}): {:<12} {:<14}",
                counter.name(),
                s.workload,
                s.runtime
            );
            let _ = std::io::stderr().flush();
        }
        s.instructions = crate::instructions::count(&s.workload, &s.runtime, counter)
            .map(|n| (n, counter.name()));
    }
    if progress {
        eprintln!("\r[{total:>4}/{total}] instructions counted{:40}", "");
    }
}
