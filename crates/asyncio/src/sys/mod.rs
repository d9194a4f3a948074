//! Operating-system pieces mio does not offer. Chosen once here, by platform.

#[cfg(target_os = "linux")]
mod timerfd;

#[cfg(target_os = "linux")]
pub(crate) use timerfd::TimerFd;
