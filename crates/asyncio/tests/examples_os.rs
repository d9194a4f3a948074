//! The OS-side examples: signals end them the way their docs say.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join(name))
        .expect("target directory layout")
}

fn start(name: &str) -> (Child, String, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(example_path(name))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    (child, first, out)
}

fn send(child: &Child, sig: i32) {
    // SAFETY: kill() with a child's pid and a valid signal number.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

#[test]
fn sigterm_shuts_the_server_down_gracefully() {
    let (mut child, first, mut out) = start("graceful_shutdown");
    let addr = first
        .trim()
        .strip_prefix("ready ")
        .expect(&first)
        .to_owned();
    // An open connection that never finishes: aborted after the grace period.
    let mut c = std::net::TcpStream::connect(&addr).unwrap();
    c.write_all(b"hi\n").unwrap();
    let mut echo = [0u8; 3];
    c.read_exact(&mut echo).unwrap();
    send(&child, libc::SIGTERM);
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert_eq!(
        rest,
        "SIGTERM: no new connections; 1 open\nstopped (1 aborted after the grace period)\n"
    );
}

#[test]
fn ctrl_c_runs_the_cleanup_then_ends_by_sigint() {
    let (mut child, first, mut out) = start("ctrl_c");
    assert_eq!(first, "ready: press Ctrl-C\n");
    send(&child, libc::SIGINT);
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    assert!(rest.contains("cleanup: main future dropped\n"), "{rest}");
    assert!(
        rest.contains("cleanup: background task cancelled\n"),
        "{rest}"
    );
}

fn run(name: &str) -> String {
    let out = Command::new(example_path(name)).output().unwrap();
    assert!(out.status.success(), "{name}: {:?}", out.status);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn blocking_calls_moved_to_threads_overlap() {
    let out = run("to_thread_http");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.contains("getting URL")).count(),
        7,
        "{out}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("Task") && l.contains("elapsed time:"))
            .count(),
        7,
        "{out}"
    );
    // Both tasks started a download before either finished one: the calls overlap.
    assert!(lines[0].starts_with("Task One getting URL"), "{out}");
    assert!(lines[1].starts_with("Task Two getting URL"), "{out}");
    assert!(
        lines.last().unwrap().starts_with("Total elapsed time:"),
        "{out}"
    );
}

#[test]
fn the_pipeline_counts_like_the_shell() {
    let expected = (1..=100_000u32)
        .filter(|i| i.to_string().contains('7'))
        .count();
    assert_eq!(
        run("subprocess_pipeline"),
        format!(
            "seq exited with 0\ngrep exited with 0\nwc exited with 0\nnumbers from 1 to 100000 containing a 7: {expected}\n"
        )
    );
}

#[test]
fn ctrl_c_under_a_runtime_cancels_every_loops_tasks() {
    let (mut child, first, mut out) = start("multicore_echo");
    let addr = first
        .trim()
        .strip_prefix("ready ")
        .expect(&first)
        .to_owned();
    let mut c = std::net::TcpStream::connect(&addr).unwrap();
    c.write_all(b"hi\n").unwrap();
    let mut echo = [0u8; 3];
    c.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"hi\n");
    send(&child, libc::SIGINT);
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    let mut lines: Vec<&str> = rest.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "cleanup: loop 0 task cancelled",
            "cleanup: loop 1 task cancelled"
        ]
    );
}
