//! One job shared by several worker processes on a real `redis-server` (`--redis`, `--job`):
//! every page exactly once with one worker and with three, a worker SIGKILLed mid-job loses
//! nothing, and `--per-host` and `--rate` hold for all workers together.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};

mod common;
use common::{assert_whole_site, bin, records, redis_server, site, tempdir, watching_server};

/// A worker of job `job` crawling `base`'s site, its lines to `out`.
fn crawl_worker(redis: &str, job: &str, base: &str, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(["--crawl", "--quiet", "--loops", "1", "--concurrency", "16"])
        .arg(format!("{base}/site/0"))
        .args(["--redis", redis, "--job", job])
        .args(extra)
        .arg("-o")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Waits for a worker (another process: polled, with a deadline) and checks it succeeded.
fn wait_ok(mut child: Child) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("a worker never finished");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "{}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The job's results as `--export` prints them, by URL.
fn export(redis: &str, job: &str, dir: &Path) -> HashMap<String, Vec<serde_json::Value>> {
    let out = dir.join(format!("{job}-export.jsonl"));
    let o = Command::new(bin())
        .args(["--redis", redis, "--job", job, "--export", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    records(&out)
}

/// The URLs of a worker's own output (its last line may be torn if it was killed).
fn urls_of(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| v["url"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_shared_crawl_finds_every_page_exactly_once_with_one_worker_and_with_three() {
    let Some(redis) = redis_server("crawl") else {
        return;
    };
    let dir = tempdir("shared-crawl");
    let pages = 1500;
    let s = site(pages, 2);
    for workers in [1usize, 3] {
        let job = format!("site-{workers}");
        let outs: Vec<_> = (0..workers)
            .map(|i| dir.join(format!("{job}-{i}.jsonl")))
            .collect();
        let children: Vec<Child> = outs
            .iter()
            .map(|out| {
                crawl_worker(&redis.url, &job, &s.base, out, &[])
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            wait_ok(c);
        }
        let all = export(&redis.url, &job, &dir);
        assert_whole_site(&s.base, pages, &all);
        // The workers' own files hold the same lines between them, none twice.
        let mut union = HashSet::new();
        for out in &outs {
            for u in urls_of(out) {
                assert!(union.insert(u.clone()), "{u} in two workers' files");
            }
        }
        let exported: HashSet<String> = all.keys().cloned().collect();
        assert_eq!(union, exported);
        assert_eq!(
            redis.int(&["ZCARD", &format!("asyncio-fetch:{job}:leased")]),
            0
        );
    }
}

#[test]
fn a_worker_killed_mid_job_loses_nothing_and_records_nothing_twice() {
    let Some(redis) = redis_server("kill") else {
        return;
    };
    let dir = tempdir("shared-kill");
    let pages = 2000;
    let s = site(pages, 10);
    let job = "killed";
    // Short leases: the killed worker's URLs come back a second after it stops renewing.
    let extra = ["--lease", "1"];
    let outs: Vec<_> = (0..3).map(|i| dir.join(format!("w{i}.jsonl"))).collect();
    let mut victim = crawl_worker(&redis.url, job, &s.base, &outs[0], &extra)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let others: Vec<Child> = outs[1..]
        .iter()
        .map(|out| {
            crawl_worker(&redis.url, job, &s.base, out, &extra)
                .spawn()
                .unwrap()
        })
        .collect();
    // SIGKILL the first worker mid-job, while it holds leases (polled: another process).
    let results = format!("asyncio-fetch:{job}:results");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while redis.int(&["XLEN", &results]) < 300 {
        assert!(
            std::time::Instant::now() < deadline,
            "the job did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // SAFETY: kill() on our child's pid.
    unsafe { libc::kill(victim.id() as i32, libc::SIGKILL) };
    victim.wait().unwrap();
    let recorded_at_kill = redis.int(&["XLEN", &results]);
    assert!(
        recorded_at_kill < 2000,
        "killed too late: {recorded_at_kill}"
    );
    for c in others {
        wait_ok(c);
    }
    let all = export(&redis.url, job, &dir);
    assert_whole_site(&s.base, pages, &all);
    // What the killed worker wrote itself was recorded by it alone.
    let survivors: HashSet<String> = outs[1..].iter().flat_map(|o| urls_of(o)).collect();
    for u in urls_of(&outs[0]) {
        assert!(!survivors.contains(&u), "{u} recorded twice");
    }
}

#[test]
fn per_host_and_rate_limits_hold_for_all_workers_together() {
    let Some(redis) = redis_server("polite") else {
        return;
    };
    let dir = tempdir("shared-polite");
    // --per-host 2 for three workers: never more than two requests at the server at once.
    let (base, watch) = watching_server(20);
    let input = dir.join("urls.txt");
    let urls: Vec<String> = (0..150).map(|i| format!("{base}/w/{i}")).collect();
    std::fs::write(&input, urls.join("\n")).unwrap();
    let run = |job: &str, extra: &[&str]| -> Vec<Child> {
        (0..3)
            .map(|i| {
                Command::new(bin())
                    .arg(&input)
                    .args(["--quiet", "--loops", "2", "--concurrency", "8"])
                    .args(["--redis", &redis.url, "--job", job])
                    .args(extra)
                    .arg("-o")
                    .arg(dir.join(format!("{job}-{i}.jsonl")))
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect()
    };
    for c in run("slots", &["--per-host", "2"]) {
        wait_ok(c);
    }
    let all = export(&redis.url, "slots", &dir);
    assert_eq!(all.len(), 150);
    assert!(all.values().all(|v| v.len() == 1 && v[0]["status"] == 200));
    let most = watch
        .max_in_flight
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(most <= 2, "{most} requests at once, limit 2");
    assert!(most == 2, "the limit was never used: {most}");

    // --rate 20 for three workers: the server sees one request per 50 ms, not three.
    let (base, watch) = watching_server(0);
    let urls: Vec<String> = (0..20).map(|i| format!("{base}/w/{i}")).collect();
    std::fs::write(&input, urls.join("\n")).unwrap();
    for c in run("rate", &["--rate", "20"]) {
        wait_ok(c);
    }
    assert_eq!(export(&redis.url, "rate", &dir).len(), 20);
    let mut at = watch.arrivals.lock().unwrap().clone();
    at.sort_by(f64::total_cmp);
    assert_eq!(at.len(), 20);
    // One clock for the three workers: 20 requests take 19 gaps of 50 ms (0.95 s); three
    // clocks of their own would take about 6 gaps (0.3 s). The arrivals are the server's
    // clock: the margin is for delivery jitter.
    let span = at[19] - at[0];
    assert!(span >= 0.8, "20 requests in {span:.3} s at --rate 20");
    let closest = at.windows(2).map(|w| w[1] - w[0]).fold(f64::MAX, f64::min);
    assert!(
        closest >= 0.01,
        "requests {closest:.3} s apart at --rate 20"
    );
}

#[test]
fn an_unreachable_redis_is_a_clear_error() {
    // A port nothing listens on: bind one, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = Command::new(bin())
        .args(["--crawl", "http://127.0.0.1:9/", "--quiet", "--job", "j"])
        .arg("--redis")
        .arg(format!("redis://127.0.0.1:{port}/0"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot reach Redis"), "{err}");
    let o = Command::new(bin())
        .args([
            "--crawl",
            "http://h/",
            "--redis",
            "rediss://h/0",
            "--job",
            "j",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("only redis://"));
}

#[test]
fn a_stalled_workers_urls_are_fetched_again_but_recorded_once() {
    let Some(redis) = redis_server("stall") else {
        return;
    };
    let dir = tempdir("shared-stall");
    let (base, watch) = watching_server(300);
    let input = dir.join("urls.txt");
    let urls: Vec<String> = (0..10).map(|i| format!("{base}/w/{i}")).collect();
    std::fs::write(&input, urls.join("\n")).unwrap();
    let worker = |out: &str| {
        let mut cmd = Command::new(bin());
        cmd.arg(&input)
            .args(["--quiet", "--loops", "1", "--concurrency", "16"])
            .args(["--per-host", "16", "--lease", "1"])
            .args(["--redis", &redis.url, "--job", "stall", "-o"])
            .arg(dir.join(out))
            .stderr(Stdio::piped());
        cmd
    };
    let arrivals = || watch.arrivals.lock().unwrap().len();
    // Worker A takes all ten and is stopped (SIGSTOP) with its requests at the server: it
    // renews nothing, so its leases run out.
    let a = worker("a.jsonl").spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while arrivals() < 10 {
        assert!(
            std::time::Instant::now() < deadline,
            "worker A did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // SAFETY: kill() on our child's pid.
    unsafe { libc::kill(a.id() as i32, libc::SIGSTOP) };
    // Worker B takes them again once the leases have run out, and records them.
    wait_ok(worker("b.jsonl").spawn().unwrap());
    assert_eq!(arrivals(), 20, "B fetched them again");
    // SAFETY: as above.
    unsafe { libc::kill(a.id() as i32, libc::SIGCONT) };
    wait_ok(a);
    assert_eq!(urls_of(&dir.join("b.jsonl")).len(), 10);
    assert!(
        urls_of(&dir.join("a.jsonl")).is_empty(),
        "the stalled worker recorded results B had recorded"
    );
    let all = export(&redis.url, "stall", &dir);
    assert_eq!(all.len(), 10);
    assert!(all.values().all(|v| v.len() == 1));
}

#[test]
fn an_interrupted_worker_gives_its_leases_back_at_once() {
    let Some(redis) = redis_server("interrupt") else {
        return;
    };
    let dir = tempdir("shared-interrupt");
    let (base, watch) = watching_server(60_000);
    let input = dir.join("urls.txt");
    let urls: Vec<String> = (0..50).map(|i| format!("{base}/w/{i}")).collect();
    std::fs::write(&input, urls.join("\n")).unwrap();
    // A long lease: only a give-back can empty the lease set before the test ends.
    let child = Command::new(bin())
        .arg(&input)
        .args([
            "--quiet",
            "--loops",
            "1",
            "--concurrency",
            "4",
            "--grace",
            "0",
        ])
        .args([
            "--lease", "600", "--redis", &redis.url, "--job", "int", "-o",
        ])
        .arg(dir.join("out.jsonl"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while watch.arrivals.lock().unwrap().len() < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(redis.int(&["ZCARD", "asyncio-fetch:int:leased"]) >= 4);
    // SAFETY: kill() on our child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{o:?}");
    assert_eq!(redis.int(&["ZCARD", "asyncio-fetch:int:leased"]), 0);
    assert_eq!(redis.int(&["LLEN", "asyncio-fetch:int:frontier"]), 50);
    assert_eq!(redis.int(&["XLEN", "asyncio-fetch:int:results"]), 0);
}

#[test]
fn max_pages_and_depth_bound_the_whole_job() {
    let Some(redis) = redis_server("bounds") else {
        return;
    };
    let dir = tempdir("shared-bounds");
    let s = site(1000, 0);
    // Two workers together fetch 100 pages, not 100 each.
    let children: Vec<Child> = (0..2)
        .map(|i| {
            crawl_worker(
                &redis.url,
                "max",
                &s.base,
                &dir.join(format!("max-{i}.jsonl")),
                &["--max-pages", "100"],
            )
            .spawn()
            .unwrap()
        })
        .collect();
    for c in children {
        wait_ok(c);
    }
    let all = export(&redis.url, "max", &dir);
    assert_eq!(all.len(), 100);
    assert!(all.values().all(|v| v.len() == 1));
    // Depth 1: the seed and what it links to, nothing deeper.
    wait_ok(
        crawl_worker(
            &redis.url,
            "deep",
            &s.base,
            &dir.join("deep.jsonl"),
            &["--depth", "1"],
        )
        .spawn()
        .unwrap(),
    );
    let all = export(&redis.url, "deep", &dir);
    assert!(all.len() > 1);
    assert!(all.values().all(|v| v[0]["depth"].as_u64().unwrap() <= 1));
    assert!(all.values().any(|v| v[0]["depth"] == 1));
}
