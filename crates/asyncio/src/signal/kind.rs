//! [`SignalKind`]: which signal.

/// A Unix signal number, with names for the usual ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// Any signal by number.
    pub const fn from_raw(signum: i32) -> Self {
        Self(signum)
    }

    /// The number.
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// `SIGINT` (Ctrl-C).
    pub const fn interrupt() -> Self {
        Self(libc::SIGINT)
    }

    /// `SIGTERM` (polite termination: service managers, `kill`).
    pub const fn terminate() -> Self {
        Self(libc::SIGTERM)
    }

    /// `SIGHUP` (terminal gone; by convention, reload configuration).
    pub const fn hangup() -> Self {
        Self(libc::SIGHUP)
    }

    /// `SIGQUIT`.
    pub const fn quit() -> Self {
        Self(libc::SIGQUIT)
    }

    /// `SIGUSR1`.
    pub const fn user_defined1() -> Self {
        Self(libc::SIGUSR1)
    }

    /// `SIGUSR2`.
    pub const fn user_defined2() -> Self {
        Self(libc::SIGUSR2)
    }

    /// `SIGCHLD` (a child changed state).
    pub const fn child() -> Self {
        Self(libc::SIGCHLD)
    }

    /// `SIGWINCH` (terminal resized).
    pub const fn window_change() -> Self {
        Self(libc::SIGWINCH)
    }

    /// `SIGPIPE`.
    pub const fn pipe() -> Self {
        Self(libc::SIGPIPE)
    }
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> Self {
        Self(signum)
    }
}
