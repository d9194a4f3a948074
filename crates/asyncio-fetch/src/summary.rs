//! The end-of-run summary: counts by status class and error kind, latency percentiles,
//! throughput, bytes, the busiest hosts, and the tutorials' lesson (wall time against the sum
//! of all request times).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::record::Record;

#[derive(Default)]
pub(crate) struct Summary {
    pub(crate) total: u64,
    classes: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
    hosts: BTreeMap<String, u64>,
    latencies_ms: Vec<f64>,
    bytes: u64,
    sum_ms: f64,
    pub(crate) invalid_lines: u64,
    pub(crate) skipped: u64,
    /// Bodies fetched but not stored under `--save` (their lines say `error.kind = "save"`).
    pub(crate) save_failed: u64,
}

impl Summary {
    /// Counts `r`, a result from `host`.
    pub(crate) fn add(&mut self, r: &Record, host: &str) {
        self.total += 1;
        match (&r.error, r.status) {
            (Some(f), _) => *self.errors.entry(f.kind.as_str().to_owned()).or_default() += 1,
            (None, Some(s)) => *self.classes.entry(format!("{}xx", s / 100)).or_default() += 1,
            (None, None) => {}
        }
        *self.hosts.entry(host.to_owned()).or_default() += 1;
        self.latencies_ms.push(r.elapsed_ms);
        self.bytes += r.bytes;
        self.sum_ms += r.elapsed_ms;
    }

    pub(crate) fn errors(&self) -> u64 {
        self.errors.values().sum()
    }

    pub(crate) fn render(&mut self, wall: Duration, interrupted: bool) -> String {
        self.latencies_ms.sort_by(f64::total_cmp);
        let pct = |p: f64| -> f64 {
            if self.latencies_ms.is_empty() {
                return 0.0;
            }
            let i = ((self.latencies_ms.len() - 1) as f64 * p).round() as usize;
            self.latencies_ms[i]
        };
        let wall_s = wall.as_secs_f64().max(1e-9);
        let mut s = String::new();
        if interrupted {
            s.push_str("interrupted: in-flight requests were given their grace period\n");
        }
        s.push_str(&format!(
            "{} URLs in {:.2} s: {:.0} requests/s, {:.1} MB\n",
            self.total,
            wall_s,
            self.total as f64 / wall_s,
            self.bytes as f64 / 1e6
        ));
        let classes: Vec<String> = self
            .classes
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let errors: Vec<String> = self
            .errors
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        s.push_str(&format!(
            "status: {}{}\n",
            if classes.is_empty() {
                "none".to_owned()
            } else {
                classes.join(", ")
            },
            if errors.is_empty() {
                String::new()
            } else {
                format!("; errors: {}", errors.join(", "))
            }
        ));
        s.push_str(&format!(
            "latency ms: p50 {:.1}, p90 {:.1}, p99 {:.1}, max {:.1}\n",
            pct(0.5),
            pct(0.9),
            pct(0.99),
            self.latencies_ms.last().copied().unwrap_or(0.0)
        ));
        let mut hosts: Vec<(&String, &u64)> = self.hosts.iter().collect();
        hosts.sort_by(|a, b| b.1.cmp(a.1));
        let top: Vec<String> = hosts
            .iter()
            .take(5)
            .map(|(h, n)| format!("{h} {n}"))
            .collect();
        s.push_str(&format!("top hosts: {}\n", top.join(", ")));
        if self.invalid_lines > 0 || self.skipped > 0 {
            s.push_str(&format!(
                "input: {} invalid lines skipped, {} URLs already done (--resume)\n",
                self.invalid_lines, self.skipped
            ));
        }
        if self.save_failed > 0 {
            s.push_str(&format!(
                "save: {} bodies could not be stored\n",
                self.save_failed
            ));
        }
        let sequential = self.sum_ms / 1000.0;
        s.push_str(&format!(
            "one at a time this would have taken {:.1} s (the sum of all request times); at once it took {:.2} s: {:.1}x faster\n",
            sequential,
            wall_s,
            sequential / wall_s
        ));
        s
    }
}
