//! `--loops`: the run spread over several event loops keeps one whole line per URL, the
//! per-host limit and `--rate` stay exact, and a killed run resumes exactly once.

mod common;

use std::io::Write;
use std::process::Command;
use std::sync::atomic::Ordering;

use common::{bin, lines, tempdir, watching_server};

fn write_urls(path: &std::path::Path, urls: impl Iterator<Item = String>) {
    let mut f = std::fs::File::create(path).unwrap();
    for u in urls {
        writeln!(f, "{u}").unwrap();
    }
}

#[test]
fn the_demo_on_two_loops_writes_every_url_once() {
    let dir = tempdir("loops-demo");
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .args(["--demo", "--demo-urls", "3000", "--demo-latency", "1"])
        .args(["--loops", "2", "--quiet", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let got = lines(&out);
    assert_eq!(got.len(), 3000);
    assert!(got.values().all(|&n| n == 1), "a URL has two lines");
}

/// Runs 60 URLs of one host with `--per-host limit` over `loops` loops; returns the most
/// requests the host saw at once.
fn most_at_once(loops: &str, limit: &str) -> usize {
    let dir = tempdir(&format!("loops-per-host-{loops}-{limit}"));
    let (base, watch) = watching_server(30);
    let input = dir.join("urls.txt");
    write_urls(&input, (0..60).map(|i| format!("{base}/w/{i}")));
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .arg(&input)
        .args(["--loops", loops, "--concurrency", "50", "--per-host", limit])
        .args(["--quiet", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    assert_eq!(lines(&out).len(), 60);
    watch.max_in_flight.load(Ordering::SeqCst)
}

#[test]
fn the_per_host_limit_holds_over_all_loops() {
    // Spread: 3 loops share the host's 4 slots (2 + 1 + 1).
    let spread = most_at_once("3", "4");
    assert!(
        (2..=4).contains(&spread),
        "{spread} at once with --per-host 4"
    );
    // Fewer slots than loops: the host stays on one loop with both its slots.
    let pinned = most_at_once("3", "2");
    assert!(
        (1..=2).contains(&pinned),
        "{pinned} at once with --per-host 2"
    );
}

#[test]
fn rate_keeps_its_gap_over_several_loops() {
    let dir = tempdir("loops-rate");
    let (base, watch) = watching_server(1);
    let input = dir.join("urls.txt");
    write_urls(&input, (0..8).map(|i| format!("{base}/w/{i}")));
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .arg(&input)
        .args(["--loops", "2", "--rate", "20", "--per-host", "8"])
        .args(["--quiet", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    assert_eq!(lines(&out).len(), 8);
    let mut at = watch.arrivals.lock().unwrap().clone();
    at.sort_by(f64::total_cmp);
    // 20 per second: sent 50 ms apart. Arrivals can be closer by what a connection's setup
    // delayed the earlier one (a few ms on a loaded machine): 30 ms is the floor here. Two loops
    // each pacing on their own would send pairs at once (0 ms apart).
    let min_gap = at.windows(2).map(|w| w[1] - w[0]).fold(f64::MAX, f64::min);
    assert!(min_gap >= 0.030, "requests {min_gap:.3} s apart: {at:?}");
}

#[test]
fn killed_on_two_loops_then_resumed_every_url_exactly_once() {
    common::kill_then_resume("loops-resume", &["--loops", "2"]);
}
