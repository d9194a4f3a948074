//! Operating-system pieces mio does not offer. Chosen once here, by platform.

#[cfg(target_os = "linux")]
mod timerfd;

#[cfg(target_os = "linux")]
pub(crate) use timerfd::TimerFd;

mod poll_fd;

pub(crate) use poll_fd::{dup, ready_now};
