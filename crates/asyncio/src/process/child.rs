//! [`Child`]: a running subprocess with async pipes.

use std::io;
use std::process::{ExitStatus, Output};
use std::task::Poll;

use super::reap::{reap_in_background, Reaper};
use crate::signal::SignalKind;

/// The child's standard input, when piped: a pipe write end.
pub type ChildStdin = crate::pipe::Sender;
/// The child's standard output, when piped (wrap it in a
/// [`StreamReader`](crate::streams::StreamReader) for `readline`/`readuntil`).
pub type ChildStdout = crate::pipe::Receiver;
/// The child's standard error, when piped.
pub type ChildStderr = crate::pipe::Receiver;

/// A spawned child process (asyncio's `Process`).
///
/// Dropping it does not kill the child unless [`kill_on_drop`](super::Command::kill_on_drop)
/// was set; either way the child is reaped in the background when it exits, never left a
/// zombie.
pub struct Child {
    /// The child's standard input, if piped. Take it to write; drop it to close the child's
    /// input.
    pub stdin: Option<ChildStdin>,
    /// The child's standard output, if piped.
    pub stdout: Option<ChildStdout>,
    /// The child's standard error, if piped.
    pub stderr: Option<ChildStderr>,
    pid: u32,
    reaper: Option<Reaper>,
    status: Option<ExitStatus>,
    kill_on_drop: bool,
}

impl std::fmt::Debug for Child {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.pid)
            .field("status", &self.status)
            .finish()
    }
}

impl Child {
    pub(crate) fn new(mut child: std::process::Child, kill_on_drop: bool) -> io::Result<Self> {
        let stdin = child
            .stdin
            .take()
            .map(|s| crate::pipe::Sender::from_mio(s.into()))
            .transpose()?;
        let stdout = child
            .stdout
            .take()
            .map(|s| crate::pipe::Receiver::from_mio(s.into()))
            .transpose()?;
        let stderr = child
            .stderr
            .take()
            .map(|s| crate::pipe::Receiver::from_mio(s.into()))
            .transpose()?;
        let pid = child.id();
        let reaper = Reaper::new(child)?;
        Ok(Self {
            stdin,
            stdout,
            stderr,
            pid,
            reaper: Some(reaper),
            status: None,
            kill_on_drop,
        })
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// The exit status, once known.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// asyncio's `returncode`: the exit code, `-N` when killed by signal N, `None` while
    /// running.
    pub fn returncode(&self) -> Option<i32> {
        self.status.map(returncode)
    }

    /// Waits for the child to exit. Closes its stdin first (as asyncio's `wait` warns, a child
    /// blocked on input would never exit).
    ///
    /// # Errors
    /// The system's error from waiting.
    ///
    /// # Cancel safety
    /// Cancel-safe: the child keeps running and a later `wait` finds it.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        if let Some(s) = self.status {
            return Ok(s);
        }
        let reaper = self.reaper.as_mut().expect("present until exit");
        let status = std::future::poll_fn(|cx| reaper.poll_wait(cx)).await?;
        self.status = Some(status);
        Ok(status)
    }

    /// The exit status if the child has exited, without waiting.
    ///
    /// # Errors
    /// The system's error.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            if let Some(r) = self.reaper.as_mut() {
                self.status = r.try_wait()?;
            }
        }
        Ok(self.status)
    }

    /// Sends `signal` to the child (nothing once it has been reaped: its pid may be reused).
    ///
    /// # Errors
    /// The system's error.
    pub fn send_signal(&mut self, signal: SignalKind) -> io::Result<()> {
        if self.try_wait()?.is_some() {
            return Ok(());
        }
        crate::sys::kill(self.pid as i32, signal.as_raw())
    }

    /// `SIGTERM` (asyncio's `terminate`).
    ///
    /// # Errors
    /// The system's error.
    pub fn terminate(&mut self) -> io::Result<()> {
        self.send_signal(SignalKind::terminate())
    }

    /// `SIGKILL` (asyncio's `kill`).
    ///
    /// # Errors
    /// The system's error.
    pub fn kill(&mut self) -> io::Result<()> {
        self.send_signal(SignalKind::from_raw(libc::SIGKILL))
    }

    /// Reads stdout and stderr to the end (whichever is piped) while waiting for the exit:
    /// large outputs on both never deadlock.
    ///
    /// # Errors
    /// Read or wait errors.
    ///
    /// # Cancel safety
    /// Dropping the future drops the child (killed with `kill_on_drop`, otherwise reaped in the
    /// background) and the output read so far.
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        self.communicate(None).await
    }

    /// asyncio's `communicate(input)`: writes `input` to stdin (then closes it) while reading
    /// stdout and stderr to the end, then waits for the exit.
    ///
    /// # Errors
    /// Read or wait errors; a child that exits without reading its input is not an error
    /// (`EPIPE` on stdin is ignored, as asyncio does).
    ///
    /// # Cancel safety
    /// Not cancel-safe: dropped midway, part of `input` may have been written and the output
    /// read so far is lost; the child keeps running.
    pub async fn communicate(&mut self, input: Option<&[u8]>) -> io::Result<Output> {
        let stdin = self.stdin.take();
        let stdout = self.stdout.take();
        let stderr = self.stderr.take();
        let mut input = input.unwrap_or(&[]);
        let mut stdin = if input.is_empty() { None } else { stdin };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (mut out_open, mut err_open) = (stdout.is_some(), stderr.is_some());
        let mut chunk = vec![0u8; 64 * 1024];
        std::future::poll_fn(|cx| loop {
            let mut progressed = false;
            if let Some(w) = &stdin {
                match w.poll_write(cx, input) {
                    Poll::Ready(Ok(n)) => {
                        input = &input[n..];
                        progressed = true;
                        if input.is_empty() {
                            stdin = None;
                        }
                    }
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                        stdin = None;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {}
                }
            }
            for (pipe, buf, open) in [
                (&stdout, &mut out, &mut out_open),
                (&stderr, &mut err, &mut err_open),
            ] {
                if !*open {
                    continue;
                }
                let r = pipe.as_ref().expect("open").poll_read(cx, &mut chunk);
                match r {
                    Poll::Ready(Ok(0)) => *open = false,
                    Poll::Ready(Ok(n)) => {
                        buf.extend_from_slice(&chunk[..n]);
                        progressed = true;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {}
                }
            }
            if stdin.is_none() && !out_open && !err_open {
                return Poll::Ready(Ok(()));
            }
            if !progressed {
                return Poll::Pending;
            }
        })
        .await?;
        drop((stdin, stdout, stderr));
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout: out,
            stderr: err,
        })
    }
}

fn returncode(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => -sig,
        (None, None) => -1,
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let Some(mut reaper) = self.reaper.take() else {
            return;
        };
        if self.status.is_some() {
            return;
        }
        if self.kill_on_drop && matches!(reaper.try_wait(), Ok(None)) {
            let _ = crate::sys::kill(self.pid as i32, libc::SIGKILL);
        }
        reap_in_background(reaper);
    }
}
