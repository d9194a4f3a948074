//! The seed ports that use HTTP run against their local sites and show the tutorials' lesson:
//! blocking calls take turns, non-blocking ones overlap.

use std::path::PathBuf;
use std::process::Command;

fn run(name: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    let path: PathBuf = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    let out = Command::new(&path)
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(out.status.success(), "{name}: {:?}", out.status);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn blocking_session_in_generators_takes_turns() {
    let out = run("seed_http_blocking");
    let lines: Vec<&str> = out.lines().collect();
    // Each "getting" line is followed by its own "elapsed" line: nothing overlaps.
    for pair in lines[..14].chunks(2) {
        let who = pair[0].split(' ').nth(1).unwrap();
        assert!(pair[0].contains("getting URL"), "{out}");
        assert!(
            pair[1].starts_with(&format!("Task {who} elapsed time:")),
            "{out}"
        );
    }
    assert!(lines[15].starts_with("Total elapsed time:"), "{out}");
}

#[test]
fn client_session_tasks_overlap() {
    let out = run("seed_http_nonblocking");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("Task One getting URL"), "{out}");
    assert!(lines[1].starts_with("Task Two getting URL"), "{out}");
    assert_eq!(
        lines.iter().filter(|l| l.contains("getting URL")).count(),
        7,
        "{out}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("Task") && l.contains("elapsed"))
            .count(),
        7
    );
    assert!(
        lines.last().unwrap().starts_with("Total elapsed time:"),
        "{out}"
    );
}

#[test]
fn fetch_prints_the_first_100_characters() {
    let out = run("seed_fetch");
    assert_eq!(out.chars().count(), 101, "{out:?}");
    assert!(
        out.starts_with("<!doctype html>\n<html>\n<head>\n    <title>www.example.com</title>"),
        "{out}"
    );
}
