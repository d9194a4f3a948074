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
