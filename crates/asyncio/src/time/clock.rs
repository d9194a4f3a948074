//! The loop's clock: real (monotonic) or virtual.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Nanoseconds since the loop's epoch, real or virtual.
pub(crate) struct Clock {
    epoch: Instant,
    /// `Some` under virtual time: the current virtual offset from the epoch.
    virtual_ns: Option<Cell<u64>>,
}

impl Clock {
    pub(crate) fn new(virtual_time: bool) -> Self {
        Self {
            epoch: Instant::now(),
            virtual_ns: virtual_time.then(|| Cell::new(0)),
        }
    }

    pub(crate) fn is_virtual(&self) -> bool {
        self.virtual_ns.is_some()
    }

    /// Nanoseconds since the epoch.
    pub(crate) fn now_ns(&self) -> u64 {
        match &self.virtual_ns {
            Some(v) => v.get(),
            None => duration_ns(self.epoch.elapsed()),
        }
    }

    pub(crate) fn now(&self) -> Instant {
        self.instant(self.now_ns())
    }

    pub(crate) fn instant(&self, ns: u64) -> Instant {
        self.epoch + Duration::from_nanos(ns)
    }

    /// Nanoseconds since the epoch of `when` (0 for instants before it).
    pub(crate) fn ns_of(&self, when: Instant) -> u64 {
        duration_ns(when.saturating_duration_since(self.epoch))
    }

    /// Moves virtual time forward to `ns` (never backwards). No effect on a real clock.
    pub(crate) fn advance_to(&self, ns: u64) {
        if let Some(v) = &self.virtual_ns {
            v.set(v.get().max(ns));
        }
    }
}

pub(crate) fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
