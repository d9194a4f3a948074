//! Subprocesses: output capture without deadlocks, signals, shells, stdin, children that
//! outlive their handles, and thousands of children with no zombie left.

use std::process::Stdio;
use std::time::{Duration, Instant};

use asyncio::process::Command;
use asyncio::streams::StreamReader;

/// Whether process `pid` is gone (reaped).
fn gone(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits (real time: another process's progress) until `pid` is reaped.
async fn until_gone(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !gone(pid) {
        assert!(Instant::now() < deadline, "process {pid} was never reaped");
        asyncio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[asyncio::test]
async fn output_exit_codes_and_shell() {
    let out = Command::new("echo")
        .args(["a", "b"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.stdout, b"a b\n");
    assert!(out.status.success());
    let out = Command::shell("echo oops >&2; exit 3")
        .output()
        .await
        .unwrap();
    assert_eq!(out.stderr, b"oops\n");
    assert_eq!(out.status.code(), Some(3));
    let status = Command::new("false").status().await.unwrap();
    assert_eq!(status.code(), Some(1));
}

#[asyncio::test]
async fn megabytes_on_both_stdout_and_stderr_never_deadlock() {
    let out = Command::shell(
        "head -c 5000000 /dev/zero; head -c 3000000 /dev/zero >&2; head -c 1000000 /dev/zero",
    )
    .output()
    .await
    .unwrap();
    assert_eq!(out.stdout.len(), 6_000_000);
    assert_eq!(out.stderr.len(), 3_000_000);
    // And the other way round, with input: `cat` echoes 4 MB back while we still write.
    let input = vec![b'x'; 4_000_000];
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.communicate(Some(&input)).await.unwrap();
    assert_eq!(out.stdout.len(), input.len());
    assert_eq!(child.returncode(), Some(0));
}

#[asyncio::test]
async fn signals_end_children_and_returncode_says_which() {
    let mut child = Command::new("sleep").arg("100").spawn().unwrap();
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    child.wait().await.unwrap();
    assert_eq!(child.returncode(), Some(-libc::SIGKILL));
    let mut child = Command::new("sleep").arg("100").spawn().unwrap();
    child.terminate().unwrap();
    let status = child.wait().await.unwrap();
    assert!(!status.success());
    assert_eq!(child.returncode(), Some(-libc::SIGTERM));
    // Signalling an exited child is a no-op, not an error.
    child.kill().unwrap();
}

#[asyncio::test]
async fn line_by_line_from_stdout_and_stdin_closed_by_drop() {
    let mut child = Command::new("sh")
        .args(["-c", "while read l; do echo \"<$l>\"; done"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let mut lines = StreamReader::new(child.stdout.take().unwrap());
    for word in ["one", "two", "three"] {
        stdin
            .write_all(format!("{word}\n").as_bytes())
            .await
            .unwrap();
        assert_eq!(
            lines.readline().await.unwrap(),
            format!("<{word}>\n").as_bytes()
        );
    }
    drop(stdin);
    assert!(lines.readline().await.unwrap().is_empty());
    assert!(child.wait().await.unwrap().success());
}

#[asyncio::test]
async fn spawn_async_starts_from_the_pool() {
    let mut cmd = Command::new("echo");
    cmd.arg("from the pool").stdout(Stdio::piped());
    let child = cmd.spawn_async().await.unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.stdout, b"from the pool\n");
    // The command is usable again afterwards.
    let again = cmd
        .spawn_async()
        .await
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    assert_eq!(again.stdout, b"from the pool\n");
    let e = Command::new("/no/such/program")
        .spawn_async()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("/no/such/program"), "{e}");
}

#[asyncio::test]
async fn spawn_errors_name_the_program() {
    let e = Command::new("/definitely/not/here").spawn().unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    assert!(e.to_string().contains("/definitely/not/here"), "{e}");
}

#[asyncio::test]
async fn a_child_that_outlives_its_handle_is_reaped_in_the_background() {
    let child = Command::new("sh")
        .args(["-c", "read x"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Dropping the handle drops its stdin: `read` sees end of file, the child exits later
    // and the loop reaps it.
    drop(child);
    until_gone(pid).await;
}

#[asyncio::test]
async fn kill_on_drop_kills() {
    let child = Command::new("sleep")
        .arg("100")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id();
    drop(child);
    until_gone(pid).await;
}

/// Our children running `sleep <arg>`, found by scanning /proc for processes whose parent is
/// this process (the per-thread `children` files are missing on some kernels and sandboxes).
fn sleeping_children(arg: &str) -> Vec<u32> {
    let me = std::process::id().to_string();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let parent = status
            .lines()
            .find_map(|l| l.strip_prefix("PPid:"))
            .map(str::trim);
        if parent != Some(me.as_str()) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if cmdline.split(|b| *b == 0).any(|a| a == arg.as_bytes()) {
            pids.push(pid);
        }
    }
    pids
}

/// Waits (real time: another process's progress) until a child of ours with `arg` shows its
/// arguments. `spawn()` returns once the child's `execve` has passed the point of no return,
/// but the kernel fills in the new image's argument area a moment later, so for that moment
/// `/proc/PID/cmdline` reads empty: a child that has certainly been started can be unseen.
async fn until_started(arg: &str) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = sleeping_children(arg);
        if !found.is_empty() || Instant::now() >= deadline {
            return found;
        }
        asyncio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn a_dropped_spawn_async_leaves_no_child_behind() {
    let lp = asyncio::EventLoop::new();
    // One pool thread: jobs run in order, so the next job's end means the spawn has happened.
    let pool = asyncio::blocking::ThreadPool::builder()
        .max_threads(1)
        .build();
    lp.set_default_executor(Some(pool));
    lp.run_until_complete(async {
        // An argument no other test uses: the tests of this file run in parallel, and their
        // children are ours too.
        let arg = "30.0417";
        assert!(sleeping_children(arg).is_empty());
        let mut cmd = Command::new("sleep");
        cmd.arg(arg).kill_on_drop(true);
        // The pool's one thread is held until the spawn has been polled once, so the spawn
        // cannot have finished by then.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let blocker = asyncio::blocking::to_thread(move || {
            let _ = held.recv();
        });
        let mut spawning = Box::pin(cmd.spawn_async());
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(std::future::Future::poll(spawning.as_mut(), &mut cx).is_pending());
        release.send(()).unwrap();
        blocker.await.unwrap();
        asyncio::blocking::to_thread(|| ()).await.unwrap();
        let started = until_started(arg).await;
        assert_eq!(started.len(), 1, "the pool started the child");
        drop(spawning);
        // Killed at once; reaped by the next spawn's sweep of the orphan list.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !gone(started[0]) {
            assert!(Instant::now() < deadline, "the dropped child stayed behind");
            Command::new("true").status().await.unwrap();
        }
    });
}
