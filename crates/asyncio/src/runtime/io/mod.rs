//! I/O readiness in one place: the reactor (registered sources and their readiness), a source's
//! registration, and [`PollEvented`], which runs system calls against the readiness rules.

pub(crate) mod poll_evented;
pub(crate) mod reactor;
pub(crate) mod registration;

pub(crate) use poll_evented::PollEvented;
