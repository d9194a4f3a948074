//! A running asyncio-fetch can be looked into: `asyncio-ps` (here `asyncio::debug::query`)
//! lists its tasks on every loop while it works.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{bin, tempdir};

#[test]
fn a_running_fetch_lists_its_tasks_on_every_loop() {
    let dir = tempdir("inspect");
    let mut child = Command::new(bin())
        .args(["--demo", "--demo-urls", "400", "--demo-latency", "200"])
        .args(["--loops", "2", "--concurrency", "20", "--quiet", "-o"])
        .arg(dir.join("out.jsonl"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("asyncio-fetch");
    let pid = child.id();
    // The socket appears once the loops are up: ask until it answers (bounded).
    let start = Instant::now();
    let tasks = loop {
        match asyncio::debug::query(pid) {
            Ok(t) if t.iter().any(|t| t.loop_index == 1) => break t,
            Ok(_) | Err(_) if start.elapsed() < Duration::from_secs(20) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => {
                let _ = child.kill();
                panic!("no task dump from asyncio-fetch: {other:?}");
            }
        }
    };
    let _ = child.kill();
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("no task dump"), "{err}");
    assert!(tasks.iter().any(|t| t.loop_index == 0));
    assert!(
        tasks.iter().any(|t| t.spawned_at.contains("asyncio-fetch")),
        "{}",
        asyncio::debug::render_table(&tasks)
    );
}

#[test]
fn trace_writes_one_json_line_per_attempt() {
    let dir = tempdir("trace");
    let trace = dir.join("trace.jsonl");
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .args([
            "--demo",
            "--demo-urls",
            "60",
            "--demo-latency",
            "1",
            "--quiet",
        ])
        .arg("--trace")
        .arg(&trace)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("asyncio-fetch");
    assert!(o.status.success(), "{o:?}");
    let text = std::fs::read_to_string(&trace).expect("the trace file");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    // Every URL at least once; the demo's redirects add a hop each.
    assert!(lines.len() >= 60, "{} lines", lines.len());
    for l in &lines {
        assert_eq!(l["method"], "GET");
        // The pages, and the host's robots.txt, which goes through the same session.
        let url = l["url"].as_str().unwrap_or("");
        assert!(
            url.contains("/page/") || url.ends_with("/robots.txt"),
            "{l}"
        );
        assert!(l["attempt"].as_u64().is_some_and(|a| a >= 1), "{l}");
        assert!(
            l["status"].as_u64().is_some() || l["error"].is_string(),
            "{l}"
        );
        assert!(l["elapsed_ms"].as_f64().is_some(), "{l}");
    }
    assert!(
        lines.iter().any(|l| l["reused"] == true),
        "the pool is used"
    );
    assert!(lines.iter().any(|l| l["connect_ms"].as_f64().is_some()));
    assert!(
        lines.iter().any(|l| l["status"] == 302),
        "a redirect hop has its own line"
    );
}
