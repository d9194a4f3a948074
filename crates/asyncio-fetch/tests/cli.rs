//! asyncio-fetch end to end: the demo, bad input lines, resume after SIGKILL (every line whole,
//! every URL exactly once), and Ctrl-C writing what was in flight plus the summary.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{bin, broken_server, lines, server, tempdir};

#[test]
fn the_demo_fetches_everything_and_summarises() {
    let dir = tempdir("demo");
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .args([
            "--demo",
            "--demo-urls",
            "400",
            "--demo-latency",
            "5",
            "--quiet",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let summary = String::from_utf8_lossy(&o.stderr);
    assert!(summary.contains("400 URLs in"), "{summary}");
    assert!(summary.contains("faster"), "{summary}");
    assert!(summary.contains("2xx"), "{summary}");
    let seen = lines(&out);
    assert_eq!(seen.len(), 400);
    assert!(seen.values().all(|&n| n == 1));
}

#[test]
fn bad_lines_are_reported_with_their_number_and_skipped() {
    let dir = tempdir("bad");
    let base = server(1);
    let input = dir.join("urls.txt");
    std::fs::write(
        &input,
        format!("# a comment\n\n{base}/n/1\nnot a url\nftp://example.com/x\n{base}/n/2\n"),
    )
    .unwrap();
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 4: invalid URL \"not a url\""), "{err}");
    assert!(err.contains("line 5: unsupported URL"), "{err}");
    assert!(err.contains("2 invalid lines skipped"), "{err}");
    assert_eq!(lines(&out).len(), 2);
}

#[test]
fn killed_mid_run_then_resumed_every_url_exactly_once() {
    common::kill_then_resume("resume", &[]);
}

#[test]
fn sigint_finishes_in_flight_requests_and_writes_the_summary() {
    let dir = tempdir("sigint");
    let base = server(200);
    let input = dir.join("urls.txt");
    let mut f = std::fs::File::create(&input).unwrap();
    for i in 0..1000 {
        writeln!(f, "{base}/n/{i}").unwrap();
    }
    drop(f);
    let out = dir.join("out.jsonl");
    let mut child = Command::new(bin())
        .arg(&input)
        .args([
            "--concurrency",
            "20",
            "--per-host",
            "20",
            "--grace",
            "5",
            "-o",
        ])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Without a terminal, progress comes as plain lines: the first one says the run is under
    // way.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut err, &mut first).unwrap();
    assert!(first.starts_with("progress:"), "{first}");
    // SAFETY: kill() on our child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status:?} {rest}");
    let err = rest;
    assert!(err.contains("interrupted"), "{err}");
    let seen = lines(&out);
    assert!(seen.len() < 1000);
    // The summary counts exactly the lines written.
    assert!(
        err.contains(&format!("{} URLs in", seen.len())),
        "{err} vs {}",
        seen.len()
    );
}

/// A raw server that misbehaves by path.
#[test]
fn against_a_broken_server_every_url_gets_a_line_and_the_run_ends() {
    let dir = tempdir("broken");
    let base = broken_server();
    let input = dir.join("urls.txt");
    let paths = ["/garbage", "/truncated", "/hang", "/trickle", "/ok"];
    std::fs::write(
        &input,
        paths
            .iter()
            .map(|p| format!("{base}{p}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let out = dir.join("out.jsonl");
    let started = Instant::now();
    let o = Command::new(bin())
        .arg(&input)
        .args(["--timeout", "2", "--retries", "0", "--quiet", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the run must end within its timeouts"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let mut kinds = HashMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = v["url"]
            .as_str()
            .unwrap()
            .trim_start_matches(&base)
            .to_owned();
        let kind = v["error"]["kind"].as_str().unwrap_or("ok").to_owned();
        kinds.insert(path, kind);
    }
    assert_eq!(kinds.len(), 5, "{text}");
    assert_eq!(kinds["/garbage"], "protocol");
    assert_eq!(kinds["/truncated"], "protocol");
    assert_eq!(kinds["/hang"], "timeout");
    assert_eq!(kinds["/trickle"], "timeout");
    assert_eq!(kinds["/ok"], "ok");
}

#[test]
fn ten_thousand_connections_in_flight() {
    // The demo server in its own process (each side needs ~10,000 descriptors).
    let hard = {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `r` is a valid, writable rlimit.
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) };
        r.rlim_max
    };
    if hard < 10_300 {
        eprintln!("skipped: the hard descriptor limit ({hard}) is below 10,300");
        return;
    }
    let mut server = Command::new(bin())
        .args(["--demo-server", "--demo-latency", "800"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut base = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.as_mut().unwrap()),
        &mut base,
    )
    .unwrap();
    let dir = tempdir("ten-k");
    let input = dir.join("urls.txt");
    let mut f = std::fs::File::create(&input).unwrap();
    for i in 0..10_000 {
        writeln!(f, "{}/page/{i}", base.trim()).unwrap();
    }
    drop(f);
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .arg(&input)
        .args([
            "--concurrency",
            "10000",
            "--per-host",
            "10000",
            "--retries",
            "0",
            "--timeout",
            "60",
            "--quiet",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(o.status.success(), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("descriptor limit"), "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 10_000);
    // No connection failed: every line has a status (404/500 pages are answers, not errors).
    assert!(!text.contains("\"kind\""), "some requests failed:\n{}", err);
}

#[test]
fn save_stores_bodies_under_names_from_the_url() {
    let dir = tempdir("save");
    let base = server(1);
    let input = dir.join("urls.txt");
    // The same path with and without a query, and another page.
    std::fs::write(
        &input,
        format!("{base}/n/1\n{base}/n/1?again\n{base}/n/2\n"),
    )
    .unwrap();
    let pages = dir.join("pages");
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .arg(&input)
        .args(["--quiet", "--concurrency", "1", "-o"])
        .arg(&out)
        .arg("--save")
        .arg(&pages)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut saved = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let name = v["saved_as"].as_str().unwrap().to_owned();
        let url = v["url"].as_str().unwrap();
        let want = if url.contains("/n/2") {
            "page 2"
        } else {
            "page 1"
        };
        assert_eq!(std::fs::read_to_string(pages.join(&name)).unwrap(), want);
        saved.push(name);
    }
    saved.sort();
    saved.dedup();
    assert_eq!(saved.len(), 3, "one file per URL: {saved:?}");
    assert!(
        saved.iter().any(|n| n.starts_with("127.0.0.1_n_1_again-")),
        "{saved:?}"
    );
    let files = std::fs::read_dir(&pages).unwrap().count();
    assert_eq!(files, 3, "no temporary file left");
}

#[test]
fn an_explicit_value_equal_to_a_default_is_honoured() {
    // `--concurrency 100` given on purpose must not be mistaken for "not given" (the demo's
    // own default is 500).
    let o = Command::new(bin())
        .args([
            "--demo",
            "--demo-urls",
            "50",
            "--demo-latency",
            "1",
            "--concurrency",
            "100",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("concurrency 100"), "{err}");
    let o = Command::new(bin())
        .args(["--demo", "--demo-urls", "50", "--demo-latency", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("concurrency 500"), "{err}");
}
