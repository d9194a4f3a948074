//! The loop's clock: real (monotonic) or virtual.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Nanoseconds since the loop's epoch (which lies before its creation, see [`BACKDATE`]), real
/// or virtual.
pub(crate) struct Clock {
    epoch: Instant,
    /// `Some` under virtual time: the current virtual offset from the epoch.
    virtual_ns: Option<Cell<u64>>,
    /// The latest real reading. Never ahead of the true time, so deciding "due" from it can only
    /// make a timer late (by at most one batch of callbacks), never early. Kept as the
    /// `Instant` read: most readers want an `Instant` (`now()`, `deadline_passed`), and turning
    /// it into nanoseconds costs a subtraction that only the timer check needs.
    last: Cell<Instant>,
    /// Whether `last` was read since the loop last consumed it (see [`Clock::reached`]).
    fresh: Cell<bool>,
    /// The last deadline [`Clock::reached`] was asked about, as an `Instant` (`None`: beyond
    /// what an `Instant` can hold).
    due: Cell<(u64, Option<Instant>)>,
}

/// How far before the loop's creation its epoch lies, so that deadlines taken before the loop
/// existed keep their order (10 years; less where the platform's `Instant` cannot go back that
/// far). Earlier instants are clamped to the epoch.
const BACKDATE: [Duration; 4] = [
    Duration::from_secs(86_400 * 3650),
    Duration::from_secs(86_400),
    Duration::from_secs(60),
    Duration::ZERO,
];

/// Where a manual `advance` stops (~290 years after the epoch): far enough for any test, and
/// far enough from `u64::MAX` that deadlines computed after a huge `advance` still lie ahead.
pub(crate) const VIRTUAL_END: u64 = u64::MAX / 2;

impl Clock {
    pub(crate) fn new(virtual_time: bool) -> Self {
        let created = Instant::now();
        let (epoch, start) = BACKDATE
            .iter()
            .find_map(|&back| created.checked_sub(back).map(|e| (e, duration_ns(back))))
            .unwrap_or((created, 0));
        Self {
            epoch,
            virtual_ns: virtual_time.then(|| Cell::new(start)),
            last: Cell::new(created),
            fresh: Cell::new(false),
            due: Cell::new((0, Some(epoch))),
        }
    }

    /// The reading at creation (the wheel starts there).
    pub(crate) fn start_ns(&self) -> u64 {
        self.last_ns()
    }

    pub(crate) fn is_virtual(&self) -> bool {
        self.virtual_ns.is_some()
    }

    /// Nanoseconds since the epoch.
    pub(crate) fn now_ns(&self) -> u64 {
        match &self.virtual_ns {
            Some(v) => v.get(),
            None => self.ns_of(self.read()),
        }
    }

    /// Reads the real clock and keeps the reading.
    fn read(&self) -> Instant {
        let now = Instant::now();
        self.last.set(now);
        self.fresh.set(true);
        now
    }

    /// The latest reading: a lower bound of the current time, with no clock read.
    pub(crate) fn last_ns(&self) -> u64 {
        match &self.virtual_ns {
            Some(v) => v.get(),
            None => self.ns_of(self.last.get()),
        }
    }

    /// Whether `when` has certainly passed, judged from the latest reading (no clock read).
    pub(crate) fn passed(&self, when: Instant) -> bool {
        match &self.virtual_ns {
            Some(v) => self.ns_of(when) <= v.get(),
            None => when <= self.last.get(),
        }
    }

    /// For the loop's timer check: whether `due_ns` is reached by a reading taken since the
    /// previous call if there is one (the tasks of the last batch read the clock anyway, e.g. to
    /// compute deadlines), otherwise by a new one; `Some(now)` when it is. Saves a clock read per
    /// iteration on timer-heavy loads; a timer can then fire late by the rest of the batch that
    /// took the reading, never early. While nothing is due the check compares two `Instant`s:
    /// `due_ns` is turned into one only when it changes.
    pub(crate) fn reached(&self, due_ns: u64) -> Option<u64> {
        if let Some(v) = &self.virtual_ns {
            let now = v.get();
            return (now >= due_ns).then_some(now);
        }
        let now = if self.fresh.replace(false) {
            self.last.get()
        } else {
            let now = self.read();
            self.fresh.set(false);
            now
        };
        let (memo_ns, memo) = self.due.get();
        let due = if memo_ns == due_ns {
            memo
        } else {
            let due = self.epoch.checked_add(Duration::from_nanos(due_ns));
            self.due.set((due_ns, due));
            due
        };
        match due {
            Some(due) if now >= due => Some(self.ns_of(now)),
            _ => None,
        }
    }

    /// Forgets the latest reading's freshness (after the loop slept).
    pub(crate) fn mark_stale(&self) {
        self.fresh.set(false);
    }

    pub(crate) fn now(&self) -> Instant {
        match &self.virtual_ns {
            Some(v) => self.instant(v.get()),
            None => self.read(),
        }
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

    /// Moves virtual time forward by `by`, but not past [`VIRTUAL_END`] (a manual jump; the
    /// loop's own jumps to a timer's deadline are never capped).
    pub(crate) fn advance_by(&self, by: Duration) {
        let now = self.now_ns();
        let target = now
            .saturating_add(duration_ns(by))
            .min(VIRTUAL_END.max(now));
        self.advance_to(target);
    }
}

pub(crate) fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
