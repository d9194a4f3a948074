//! Ten thousand short children, 16 at a time: every one reaped, no zombie left. In its own
//! test binary so no other test's children are mid-exit when zombies are counted.

use asyncio::process::Command;

/// Our children that are zombies right now.
fn zombie_children() -> Vec<u32> {
    let me = std::process::id();
    let mut zombies = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.first() == Some(&"Z") && f.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(me) {
            zombies.push(pid);
        }
    }
    zombies
}

#[asyncio::test]
async fn ten_thousand_short_children_leave_no_zombie() {
    let gate = asyncio::sync::Semaphore::new(16);
    let mut tasks = Vec::new();
    for _ in 0..10_000 {
        let gate = gate.clone();
        tasks.push(asyncio::spawn(async move {
            let _permit = gate.acquire().await;
            Command::new("true").status().await.unwrap()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().success());
    }
    assert!(zombie_children().is_empty(), "{:?}", zombie_children());
}
