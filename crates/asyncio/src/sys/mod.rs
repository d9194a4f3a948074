//! Operating-system pieces mio does not offer. Chosen once here, by platform.

#[cfg(target_os = "linux")]
mod timerfd;

#[cfg(target_os = "linux")]
pub(crate) use timerfd::TimerFd;

mod poll_fd;

pub(crate) use poll_fd::{dup_cloexec, ready_now};

mod signal;

pub(crate) use signal::{
    claim_slot, install as install_signal, is_default as signal_is_default, is_main_thread, kill,
    reraise_default, COUNTS as SIGNAL_COUNTS, LISTENERS as SIGNAL_LISTENERS, PIPES as SIGNAL_PIPES,
};

#[cfg(target_os = "linux")]
mod pidfd;

#[cfg(target_os = "linux")]
pub(crate) use pidfd::pidfd_open;

#[cfg(target_os = "linux")]
mod pread_nowait;

#[cfg(target_os = "linux")]
pub(crate) use pread_nowait::{pread_nowait, NoWait};

mod affinity;
mod creds;

pub(crate) use affinity::{allowed_cpus, pin_current_thread};
pub(crate) use creds::{euid, peer_uid};
