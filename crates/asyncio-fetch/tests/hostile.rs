//! asyncio-fetch under hostile conditions (issue 16): scarce descriptors, bad bytes and huge
//! lines in the input, slow hosts behind the per-host limit, torn output, failing saves and
//! outputs, a second Ctrl-C, and the details of messages and lines.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{bin, broken_server, lines, server, tempdir};

/// The JSON lines of `path`.
fn records(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
        .collect()
}

#[test]
fn out_of_descriptors_requests_wait_instead_of_failing() {
    let dir = tempdir("fds");
    let out = dir.join("out.jsonl");
    // A hard limit of 256 descriptors for the tool and its embedded demo server together.
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 256 && exec '{}' --demo --demo-urls 3000 --demo-latency 5 \
             --concurrency 1000 --per-host 1000 --quiet -o '{}'",
            bin().display(),
            out.display()
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{o:?}");
    assert!(err.contains("at a time"), "the cap is announced: {err}");
    let recs = records(&out);
    assert_eq!(recs.len(), 3000);
    let emfile = recs
        .iter()
        .filter(|r| {
            r["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("open files")
        })
        .count();
    assert_eq!(emfile, 0, "no URL ends in EMFILE");
}

#[test]
fn a_non_utf8_line_on_stdin_is_reported_and_the_rest_fetched() {
    let base = server(1);
    let mut child = Command::new(bin())
        .args(["-", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = Vec::new();
    input.extend_from_slice(format!("{base}/n/1\n").as_bytes());
    input.extend_from_slice(b"\xff\xfe x\n");
    input.extend_from_slice(format!("{base}/n/2\n").as_bytes());
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{o:?}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), 2, "{out}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 2: invalid URL"), "{err}");
}

#[test]
fn an_input_line_over_one_mebibyte_is_skipped_by_number() {
    let dir = tempdir("longline");
    let base = server(1);
    let input = dir.join("urls.txt");
    let mut f = std::fs::File::create(&input).unwrap();
    writeln!(f, "{base}/n/1").unwrap();
    f.write_all(&vec![b'a'; 2 << 20]).unwrap();
    writeln!(f).unwrap();
    writeln!(f, "{base}/n/2").unwrap();
    drop(f);
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .arg(&input)
        .args(["--quiet", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 2: longer than"), "{err}");
    assert_eq!(lines(&out).len(), 2);
}

#[test]
fn waiting_for_a_host_slot_does_not_count_against_the_timeout() {
    let dir = tempdir("slots");
    // 24 pages of one host, each answering in 300 ms, 2 at a time: the last waits ~3.3 s for
    // its slot, yet its own request takes 0.3 s of its 2 s timeout.
    let base = server(300);
    let input = dir.join("urls.txt");
    let urls: String = (0..24).map(|i| format!("{base}/n/{i}\n")).collect();
    std::fs::write(&input, urls).unwrap();
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .arg(&input)
        .args([
            "--quiet",
            "--per-host",
            "2",
            "--timeout",
            "2",
            "--retries",
            "0",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let recs = records(&out);
    assert_eq!(recs.len(), 24);
    let ok = recs.iter().filter(|r| r["status"] == 200).count();
    assert_eq!(ok, 24, "{recs:?}");
}

#[test]
fn a_redirect_chain_keeps_its_host_slot_and_does_not_queue_per_hop() {
    let dir = tempdir("chains");
    // 120 five-hop chains on one host, 10 ms a hop, 3 at a time: a chain holding its slot takes
    // ~50 ms of its 1 s; one that queued again at every hop would wait ~0.4 s per hop behind
    // the others.
    let base = server(10);
    let input = dir.join("urls.txt");
    let urls: String = (0..120)
        .map(|i| format!("{base}/r/5?chain={i}\n"))
        .collect();
    std::fs::write(&input, urls).unwrap();
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .arg(&input)
        .args([
            "--quiet",
            "--per-host",
            "3",
            "--timeout",
            "1",
            "--retries",
            "0",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let recs = records(&out);
    assert_eq!(recs.len(), 120);
    for r in &recs {
        assert_eq!(r["status"], 200, "{r}");
        assert!(r["final_url"].as_str().unwrap().ends_with("/r/0"), "{r}");
    }
}

#[test]
fn resume_after_a_torn_last_line_truncates_it_and_fetches_that_url() {
    let dir = tempdir("torn");
    let base = server(1);
    let input = dir.join("urls.txt");
    std::fs::write(&input, format!("{base}/n/1\n{base}/n/2\n")).unwrap();
    let out = dir.join("out.jsonl");
    let whole =
        format!("{{\"url\":\"{base}/n/1\",\"status\":200,\"error\":null}}\n{{\"attempts\":1,\"b");
    std::fs::write(&out, whole).unwrap();
    let o = Command::new(bin())
        .arg(&input)
        .args(["--quiet", "--resume", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let seen = lines(&out); // panics on a torn line
    assert_eq!(seen.len(), 2);
    assert!(seen.values().all(|&n| n == 1));
}

#[test]
fn a_failed_save_is_in_the_line_leaves_no_part_file_and_sets_the_exit_status() {
    let dir = tempdir("savefail");
    let base = server(1);
    let input = dir.join("urls.txt");
    std::fs::write(&input, format!("{base}/n/1\n{base}/n/2\n")).unwrap();
    let pages = dir.join("pages");
    let run = |out: &std::path::Path| {
        Command::new(bin())
            .arg(&input)
            .args(["--quiet", "--concurrency", "1", "-o"])
            .arg(out)
            .arg("--save")
            .arg(&pages)
            .output()
            .unwrap()
    };
    let first = dir.join("first.jsonl");
    assert!(run(&first).status.success());
    // Each line names its file; make the first one's place a non-empty directory, so the
    // rename onto it fails (tests may run as root: permissions would not stop it).
    let recs = records(&first);
    let name = recs
        .iter()
        .find(|r| r["url"].as_str().unwrap().ends_with("/n/1"))
        .unwrap()["saved_as"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        std::fs::read_to_string(pages.join(&name)).unwrap(),
        "page 1"
    );
    std::fs::remove_file(pages.join(&name)).unwrap();
    std::fs::create_dir_all(pages.join(&name).join("in-the-way")).unwrap();
    let second = dir.join("second.jsonl");
    let o = run(&second);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("could not be saved"), "{err}");
    let recs = records(&second);
    let failed = recs
        .iter()
        .find(|r| r["url"].as_str().unwrap().ends_with("/n/1"))
        .unwrap();
    assert_eq!(failed["error"]["kind"], "save", "{failed}");
    assert_eq!(failed["status"], 200, "the status stands: {failed}");
    let parts = std::fs::read_dir(&pages)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".part")
        })
        .count();
    assert_eq!(parts, 0, "no temporary file left behind");
}

#[test]
fn a_full_output_stops_the_run_with_one_message_and_a_failure_status() {
    let dir = tempdir("full");
    let base = server(1);
    let input = dir.join("urls.txt");
    let urls: String = (0..3000).map(|i| format!("{base}/n/{i}\n")).collect();
    std::fs::write(&input, urls).unwrap();
    let o = Command::new(bin())
        .arg(&input)
        .args(["--quiet", "-o", "/dev/full"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("cannot write").count(), 1, "{err}");
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let dir = tempdir("pipe");
    let base = server(1);
    let input = dir.join("urls.txt");
    let urls: String = (0..20_000).map(|i| format!("{base}/n/{i}\n")).collect();
    std::fs::write(&input, urls).unwrap();
    let mut child = Command::new(bin())
        .arg(&input)
        .arg("--quiet")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -n 1`: read a line's worth, then go away.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let started = Instant::now();
    let o = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(30), "it stopped");
    assert_eq!(o.status.code(), Some(141), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("Broken pipe"), "{err}");
}

#[test]
fn a_second_ctrl_c_ends_the_grace_period_and_still_writes_lines_and_summary() {
    let dir = tempdir("ctrlc2");
    let base = server(1);
    let input = dir.join("urls.txt");
    // Ten fast pages, then pages that take a minute.
    let mut urls: String = (0..10).map(|i| format!("{base}/n/{i}\n")).collect();
    urls.extend((0..10).map(|i| format!("{base}/slow/{i}\n")));
    std::fs::write(&input, urls).unwrap();
    let out = dir.join("out.jsonl");
    let mut child = Command::new(bin())
        .arg(&input)
        .args(["--concurrency", "20", "--grace", "120", "-o"])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    // The fast pages are done once a progress line (every 2 s without a terminal) says so.
    let mut line = String::new();
    loop {
        line.clear();
        assert!(std::io::BufRead::read_line(&mut err, &mut line).unwrap() > 0);
        if line.starts_with("progress: 10 done") {
            break;
        }
    }
    let pid = child.id() as i32;
    // SAFETY: kill() on our child's pid.
    unsafe { libc::kill(pid, libc::SIGINT) };
    // The second Ctrl-C once the first has been taken (two pending SIGINTs would merge).
    loop {
        line.clear();
        assert!(std::io::BufRead::read_line(&mut err, &mut line).unwrap() > 0);
        if line.contains("interrupted") {
            break;
        }
    }
    let started = Instant::now();
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "not the 120 s grace"
    );
    assert_eq!(status.code(), Some(130), "{status:?} {rest}");
    assert!(rest.contains("URLs in"), "the summary: {rest}");
    assert_eq!(lines(&out).len(), 10, "every finished line was written");
}

#[test]
fn details_directory_input_missing_file_credentials_max_bytes_and_body_messages() {
    let dir = tempdir("details");
    // A directory is not a file of URLs.
    let o = Command::new(bin()).arg(&dir).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    // A missing file: its path once.
    let missing = dir.join("nope.txt");
    let o = Command::new(bin()).arg(&missing).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("nope.txt").count(), 1, "{err}");

    let base = server(1);
    let broken = broken_server();
    let authed = base.replace("http://", "http://user:secret@");
    let input = dir.join("urls.txt");
    std::fs::write(
        &input,
        format!("{authed}/n/1\n{base}/big/5000\n{broken}/truncated\n"),
    )
    .unwrap();
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .arg(&input)
        .args(["--quiet", "--retries", "0", "--max-bytes", "1000", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("secret"), "credentials are redacted: {text}");
    let recs = records(&out);
    let big = recs
        .iter()
        .find(|r| r["url"].as_str().unwrap().contains("/big/"))
        .unwrap();
    assert_eq!(big["status"], 200, "{big}");
    assert_eq!(big["bytes"], 1000, "{big}");
    assert_eq!(big["truncated"], true, "{big}");
    let short = recs
        .iter()
        .find(|r| r["url"].as_str().unwrap().contains("/truncated"))
        .unwrap();
    let message = short["error"]["message"].as_str().unwrap();
    assert!(message.contains("5 of 50 bytes"), "{message}");
    assert!(
        !message.contains("http://"),
        "the URL is in `url` already: {message}"
    );
}
