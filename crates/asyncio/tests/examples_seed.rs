//! The seed programs' ports print what the tutorials show, line for line. `cargo test` builds
//! the examples; this runs each binary (concurrently: several sleep for seconds, as the seeds
//! do) and compares its output. Lines that report measured time are compared up to the
//! measurement (e.g. "Task One elapsed time: 1.").

use std::path::PathBuf;
use std::process::Command;

fn example_path(name: &str) -> PathBuf {
    // target/<profile>/deps/examples_seed-<hash> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join(name))
        .expect("target directory layout")
}

/// An expected line: exact, or a prefix for lines carrying a measured duration.
enum Line {
    Exact(String),
    Prefix(&'static str),
}

fn exact(lines: &[&str]) -> Vec<Line> {
    lines.iter().map(|l| Line::Exact((*l).to_owned())).collect()
}

fn check(name: &str, expected: Vec<Line>) -> Result<(), String> {
    let path = example_path(name);
    let out = Command::new(&path)
        .output()
        .map_err(|e| format!("{name}: cannot run {}: {e}", path.display()))?;
    if !out.status.success() {
        return Err(format!("{name}: exit status {}", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let got: Vec<&str> = stdout.lines().collect();
    if got.len() != expected.len() {
        return Err(format!(
            "{name}: {} lines, expected {}:\n{stdout}",
            got.len(),
            expected.len()
        ));
    }
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        let ok = match e {
            Line::Exact(e) => g == e,
            Line::Prefix(p) => g.starts_with(p),
        };
        if !ok {
            return Err(format!("{name}: line {} is {g:?}:\n{stdout}", i + 1));
        }
    }
    Ok(())
}

fn counting_queue() -> Vec<Line> {
    let mut lines = Vec::new();
    for cnt in [2, 5, 10, 15, 20] {
        for _ in 0..cnt {
            lines.push("Task Async1 is running now".to_owned());
        }
        lines.push(format!("Task Async1 is running with a total of: {cnt}"));
    }
    lines.push("Task Async2 has nothing to do".to_owned());
    lines.push("Task Async3 has nothing to do".to_owned());
    lines.into_iter().map(Line::Exact).collect()
}

#[test]
fn every_seed_port_prints_what_the_tutorial_shows() {
    let cases: Vec<(&str, Vec<Line>)> = vec![
        (
            "synchronous_queue",
            exact(&[
                "Task One running",
                "Task One total: 15",
                "Task One running",
                "Task One total: 10",
                "Task One running",
                "Task One total: 5",
                "Task One running",
                "Task One total: 2",
                "Task Two nothing to do",
            ]),
        ),
        (
            "generator_round_robin",
            exact(&[
                "Task One running",
                "Task Two running",
                "Task Two total: 10",
                "Task Two running",
                "Task One total: 15",
                "Task One running",
                "Task Two total: 5",
                "Task One total: 2",
            ]),
        ),
        (
            "blocking_round_robin",
            vec![
                Line::Exact("Task One running".into()),
                Line::Prefix("Task One elapsed time: 1.5"),
                Line::Exact("Task Two running".into()),
                Line::Prefix("Task Two elapsed time: 1.0"),
                Line::Exact("Task One running".into()),
                Line::Prefix("Task One elapsed time: 0.5"),
                Line::Exact("Task Two running".into()),
                Line::Prefix("Task Two elapsed time: 0.2"),
                Line::Exact(String::new()),
                Line::Prefix("Total elapsed time: 3."),
            ],
        ),
        ("synchronous_queue_counting", counting_queue()),
        (
            "event_handler",
            exact(&[
                "Loop is being started",
                "Calling event handler",
                "Calling event handler",
                "Loop is being stopped",
                "Loop is being closed",
            ]),
        ),
        (
            "run_until_complete",
            exact(&[
                "Creation of tasks started",
                "Task takes 3 seconds to complete",
                "Task status: task has been completed",
            ]),
        ),
        ("hello_world", exact(&["Hello ...", "... World!"])),
        (
            "create_task_stock_prices",
            exact(&[
                "Get stock price of GOOG...",
                "Get stock price of APPL...",
                "300",
                "300",
                "It took 3.0 second(s) to complete.",
            ]),
        ),
        (
            "blocking_sequential",
            exact(&[
                "Task 1 started",
                "Task 1 completed",
                "Task 2 started",
                "Task 2 completed",
            ]),
        ),
        (
            "gather_concurrent",
            exact(&[
                "Task 1 started",
                "Task 2 started",
                "Task 2 completed",
                "Task 1 completed",
            ]),
        ),
        (
            "delayed_message",
            exact(&["Message will appear after 2 seconds...", "Hello, world!"]),
        ),
        (
            "gather_completion_order",
            exact(&["Task 2 completed", "Task 1 completed"]),
        ),
        (
            "create_task",
            exact(&[
                "Starting Task 1",
                "Starting Task 2",
                "Finished Task 2",
                "Finished Task 1",
            ]),
        ),
        (
            "queue_non_blocking",
            vec![
                Line::Exact("Task One running".into()),
                Line::Exact("Task Two running".into()),
                Line::Prefix("Task Two elapsed time: 1.0"),
                Line::Exact("Task Two running".into()),
                Line::Prefix("Task One elapsed time: 1.5"),
                Line::Exact("Task One running".into()),
                Line::Prefix("Task Two elapsed time: 0.5"),
                Line::Prefix("Task One elapsed time: 0.2"),
                Line::Exact(String::new()),
                Line::Prefix("Total elapsed time: 1.7"),
            ],
        ),
        (
            "producer_consumer",
            exact(&[
                "Produced 0",
                "Consumed 0",
                "Produced 1",
                "Consumed 1",
                "Produced 2",
                "Consumed 2",
            ]),
        ),
        (
            "exception_handling",
            exact(&["Caught an error: Something went wrong!"]),
        ),
    ];
    let runs: Vec<_> = cases
        .into_iter()
        .map(|(name, expected)| std::thread::spawn(move || check(name, expected)))
        .collect();
    let failures: Vec<String> = runs
        .into_iter()
        .filter_map(|h| h.join().expect("checker thread").err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
