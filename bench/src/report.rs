//! Printing results: a table of medians and ratios, or JSON lines.

use crate::harness::Series;
use crate::workloads::{self, Measurement};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn field(runs: &[Measurement], f: impl Fn(&Measurement) -> Option<f64>) -> Option<f64> {
    let v: Vec<f64> = runs.iter().filter_map(f).collect();
    (!v.is_empty()).then(|| median(v))
}

/// One workload × runtime, summarised.
pub(crate) struct Row<'a> {
    series: &'a Series,
    median_s: f64,
    min_s: f64,
    max_s: f64,
    cpu_s: f64,
    throughput: f64,
    bytes_per_task: Option<f64>,
    p50_us: Option<f64>,
    p99_us: Option<f64>,
    server_cpu_s: Option<f64>,
    handovers: Option<f64>,
    interleaved: Option<f64>,
}

pub(crate) fn summarise(s: &Series) -> Row<'_> {
    let walls: Vec<f64> = s.runs.iter().map(|m| m.wall_s).collect();
    let median_s = median(walls.clone());
    let info = workloads::info(&s.workload);
    Row {
        series: s,
        median_s,
        min_s: walls.iter().copied().fold(f64::INFINITY, f64::min),
        max_s: walls.iter().copied().fold(0.0, f64::max),
        cpu_s: field(&s.runs, |m| Some(m.cpu_s)).unwrap_or(0.0),
        throughput: info.count / median_s,
        bytes_per_task: field(&s.runs, |m| m.bytes_per_task),
        p50_us: field(&s.runs, |m| m.p50_us),
        p99_us: field(&s.runs, |m| m.p99_us),
        server_cpu_s: field(&s.runs, |m| m.server_cpu_s),
        handovers: field(&s.runs, |m| m.handovers),
        interleaved: field(&s.runs, |m| m.interleaved),
    }
}

/// One JSON object per workload and runtime (fields are stable; see docs/benchmarks.md).
pub(crate) fn json(results: &[Series]) {
    for s in results {
        let r = summarise(s);
        let info = workloads::info(&s.workload);
        let mut v = serde_json::json!({
            "workload": s.workload,
            "runtime": s.runtime,
            "median_s": r.median_s,
            "min_s": r.min_s,
            "max_s": r.max_s,
            "throughput": r.throughput,
            "unit": info.unit,
            "cpu_s": r.cpu_s,
            "reps": s.runs.len(),
        });
        if let Some(b) = r.bytes_per_task {
            v["bytes_per_task"] = b.into();
        }
        if let (Some(p50), Some(p99)) = (r.p50_us, r.p99_us) {
            v["p50_us"] = p50.into();
            v["p99_us"] = p99.into();
        }
        if let Some(c) = r.server_cpu_s {
            v["server_cpu_s"] = c.into();
        }
        if let Some(h) = r.handovers {
            v["handovers"] = h.into();
        }
        if let Some(i) = r.interleaved {
            v["interleaved"] = i.into();
            v["contended"] = contended(&r).into();
        }
        if let Some((n, counter)) = s.instructions {
            v["instructions"] = n.into();
            v["instructions_per_op"] = (n as f64 / info.count).into();
            v["instruction_counter"] = counter.into();
        }
        if let Some(c) = s.runs.first().and_then(|m| m.channel.clone()) {
            v["channel"] = c.into();
        }
        println!("{v}");
    }
}

/// Whether a `lock` run was a lock under contention: its lock was handed over, or other
/// tasks ran while a holder yielded (1 % of acquisitions at least). A runtime whose yield does
/// not yield shows neither, and its run is left out of the ratios. True for other workloads.
pub(crate) fn contended(r: &Row<'_>) -> bool {
    match (r.handovers, r.interleaved) {
        (Some(h), Some(i)) => h > 0.01 || i > 0.01,
        _ => true,
    }
}

/// The score a ratio compares: higher is better.
pub(crate) fn score(workload: &str, r: &Row<'_>) -> f64 {
    match workload {
        "idle-tasks" | "http-idle" => 1.0 / r.bytes_per_task.unwrap_or(f64::INFINITY),
        "lateness" => 1.0 / r.p50_us.unwrap_or(f64::INFINITY).max(1.0),
        "timers" => 1.0 / r.median_s,
        _ => r.throughput,
    }
}

/// The figure a chart label shows for a row.
pub(crate) fn headline(workload: &str, r: &Row<'_>) -> String {
    match (workload, r.bytes_per_task, r.p50_us) {
        (
            "fetch-demo" | "fetch-demo-fast" | "fetch-demo-mc" | "crawl" | "crawl-redis" | "upload"
            | "py-fetch-fast" | "py-fetch-demo",
            Some(b),
            _,
        ) => {
            format!("{:.2} s, peak {:.0} MB", r.median_s, b / 1e6)
        }
        (_, Some(b), _) => format!("{b:.0} B/task"),
        (_, _, Some(p50)) => format!("p50 {p50:.0} µs"),
        ("timers", _, _) => format!("{:.3} s wall, {:.3} s CPU", r.median_s, r.cpu_s),
        _ => format!(
            "{:.2} M {}",
            r.throughput / 1e6,
            crate::workloads::info(workload).unit
        ),
    }
}

/// A table per workload: medians, spread, throughput and ratios (asyncio-rs's score over the
/// row's; above 1.0 means asyncio-rs is better).
pub(crate) fn table(results: &[Series]) {
    let mut workloads: Vec<&str> = results.iter().map(|s| s.workload.as_str()).collect();
    workloads.dedup();
    for w in workloads {
        let rows: Vec<Row<'_>> = results
            .iter()
            .filter(|s| s.workload == w)
            .map(summarise)
            .collect();
        let info = workloads::info(w);
        println!("\n{w}: {}", info.description);
        let cpu_label = if rows.iter().any(|r| r.server_cpu_s.is_some()) {
            "server cpu s"
        } else {
            "cpu s"
        };
        let counted = rows.iter().any(|r| r.series.instructions.is_some());
        println!(
            "  {:<20} {:>10} {:>21} {:>14} {:>12} {:>12} {:>10}{}",
            "runtime",
            "median s",
            "min–max s",
            info.unit,
            cpu_label,
            "extra",
            "asyncio-rs ×",
            if counted { "     instr/op" } else { "" }
        );
        let ours = rows.iter().find(|r| r.series.runtime == "asyncio-rs");
        let ours_score = ours.map(|r| score(w, r));
        for r in &rows {
            let extra = match (r.bytes_per_task, r.p50_us, r.p99_us) {
                _ if r.handovers.is_some() => format!(
                    "{:.0}%/{:.0}% h/i",
                    r.handovers.unwrap_or(0.0) * 100.0,
                    r.interleaved.unwrap_or(0.0) * 100.0
                ),
                (Some(b), _, _) => format!("{b:.0} B/task"),
                (None, Some(p50), Some(p99)) => format!("{p50:.0}/{p99:.0} µs"),
                _ => String::new(),
            };
            let ratio = if contended(r) {
                ours_score
                    .map(|o| format!("{:.2}", o / score(w, r)))
                    .unwrap_or_default()
            } else {
                "uncontended".to_owned()
            };
            let instr = match r.series.instructions {
                Some((n, _)) => format!(" {:>12.0}", n as f64 / info.count),
                None if counted => format!(" {:>12}", "-"),
                None => String::new(),
            };
            println!(
                "  {:<20} {:>10.4} {:>10.4}–{:<10.4} {:>14.0} {:>12.3} {:>12} {:>10}{instr}",
                r.series.runtime,
                r.median_s,
                r.min_s,
                r.max_s,
                r.throughput,
                r.server_cpu_s.unwrap_or(r.cpu_s),
                extra,
                ratio
            );
        }
        let best_peer = rows
            .iter()
            .filter(|r| !r.series.runtime.starts_with("asyncio-rs") && contended(r))
            .max_by(|a, b| score(w, a).total_cmp(&score(w, b)));
        for ours in rows
            .iter()
            .filter(|r| r.series.runtime.starts_with("asyncio-rs"))
        {
            if let Some(b) = best_peer {
                println!(
                    "  {} vs best peer ({}): {:.2}×",
                    ours.series.runtime,
                    b.series.runtime,
                    score(w, ours) / score(w, b)
                );
            }
        }
    }
}
