//! [`Command`]: how to start a child (asyncio's `create_subprocess_exec` and
//! `create_subprocess_shell`).

use std::ffi::OsStr;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

use super::Child;

/// A process to start: program, arguments, environment, directory and the three standard
/// streams (each `Stdio::piped()`, `inherit()`, `null()` or a file). Built on
/// `std::process::Command`.
///
/// ```
/// use asyncio::process::Command;
/// use std::process::Stdio;
/// asyncio::run(async {
///     let out = Command::new("echo").arg("hello").output().await.unwrap();
///     assert!(out.status.success());
///     assert_eq!(out.stdout, b"hello\n");
///
///     let mut child = Command::shell("read line; echo got $line")
///         .stdin(Stdio::piped())
///         .stdout(Stdio::piped())
///         .spawn()
///         .unwrap();
///     let out = child.communicate(Some(b"it\n")).await.unwrap();
///     assert_eq!(out.stdout, b"got it\n");
///     assert_eq!(child.returncode(), Some(0));
/// });
/// ```
#[derive(Debug)]
pub struct Command {
    inner: std::process::Command,
    kill_on_drop: bool,
}

impl Command {
    /// Runs `program` (looked up on `PATH`) with no arguments (asyncio's
    /// `create_subprocess_exec`).
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Self {
            inner: std::process::Command::new(program),
            kill_on_drop: false,
        }
    }

    /// Runs `command` through `/bin/sh -c` (asyncio's `create_subprocess_shell`). Quote
    /// untrusted input yourself, or use [`new`](Self::new).
    pub fn shell(command: impl AsRef<OsStr>) -> Self {
        let mut c = Self::new("/bin/sh");
        c.arg("-c").arg(command);
        c
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.inner.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.inner.args(args);
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        self.inner.env(key, value);
        self
    }

    /// Removes an environment variable.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Self {
        self.inner.env_remove(key);
        self
    }

    /// Starts from an empty environment.
    pub fn env_clear(&mut self) -> &mut Self {
        self.inner.env_clear();
        self
    }

    /// The working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.inner.current_dir(dir);
        self
    }

    /// Standard input (default: inherited; `output()` uses null).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.inner.stdin(cfg);
        self
    }

    /// Standard output (default: inherited; `output()` pipes it).
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.inner.stdout(cfg);
        self
    }

    /// Standard error (default: inherited; `output()` pipes it).
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.inner.stderr(cfg);
        self
    }

    /// Kill the child (SIGKILL) when its [`Child`] is dropped before it exited.
    pub fn kill_on_drop(&mut self, on: bool) -> &mut Self {
        self.kill_on_drop = on;
        self
    }

    /// Puts the child in process group `pgroup` (0: a new group led by the child), so a
    /// terminal's Ctrl-C does not reach it.
    pub fn process_group(&mut self, pgroup: i32) -> &mut Self {
        use std::os::unix::process::CommandExt;
        self.inner.process_group(pgroup);
        self
    }

    /// The underlying `std::process::Command`, for options not wrapped here.
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.inner
    }

    /// Starts the child.
    ///
    /// # Errors
    /// The spawn error (program not found, …), naming the program.
    pub fn spawn(&mut self) -> io::Result<Child> {
        let child = self.inner.spawn().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot start {:?}: {e}", self.inner.get_program()),
            )
        })?;
        Child::new(child, self.kill_on_drop)
    }

    /// Starts the child from a thread of the blocking pool: `fork`/`exec` cost the loop
    /// nothing, and several children start in parallel on several cores.
    ///
    /// # Errors
    /// As [`spawn`](Self::spawn).
    ///
    /// # Cancel safety
    /// Dropping the future does not leak a child: one the pool started meanwhile is killed
    /// (with [`kill_on_drop`](Self::kill_on_drop)) and reaped later, never left a zombie. The
    /// `Command` itself travels to the pool and is lost with a dropped future: build a new one
    /// to try again.
    pub async fn spawn_async(&mut self) -> io::Result<Child> {
        let mut cmd = std::mem::replace(&mut self.inner, std::process::Command::new(""));
        let kill_on_drop = self.kill_on_drop;
        let (cmd, spawned) = crate::blocking::to_thread_named(Some("process.spawn"), move || {
            let r = cmd
                .spawn()
                .map(|c| super::reap::Unclaimed::new(c, kill_on_drop));
            (cmd, r)
        })
        .await
        .map_err(|e| io::Error::other(e.to_string()))?;
        self.inner = cmd;
        let child = spawned.map(super::reap::Unclaimed::claim).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot start {:?}: {e}", self.inner.get_program()),
            )
        })?;
        Child::new(child, self.kill_on_drop)
    }

    /// Runs to completion with stdout and stderr captured (stdin null unless set).
    ///
    /// # Errors
    /// Spawn, read or wait errors.
    ///
    /// # Cancel safety
    /// Dropping the future drops the child: it is killed if
    /// [`kill_on_drop`](Self::kill_on_drop) is set, otherwise it runs on and is reaped in the
    /// background; the output read so far is lost.
    pub async fn output(&mut self) -> io::Result<Output> {
        self.inner.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.spawn()?;
        child.communicate(None).await
    }

    /// Runs to completion and returns the exit status.
    ///
    /// # Errors
    /// Spawn or wait errors.
    ///
    /// # Cancel safety
    /// Dropping the future drops the child: it is killed if
    /// [`kill_on_drop`](Self::kill_on_drop) is set, otherwise it runs on and is reaped in the
    /// background.
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait().await
    }
}
