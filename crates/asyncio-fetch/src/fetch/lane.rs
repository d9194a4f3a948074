//! A lane: one loop's share of the fetching, with its own HTTP session, host slots and saver.

use std::cell::RefCell;
use std::collections::HashMap;

use asyncio::sync::Semaphore;
use asyncio_http::ClientSession;

use crate::save::Saver;
use crate::shared::Politeness;

/// What one loop's fetches share.
pub(crate) struct Lane {
    /// This loop's session (its own connection pool).
    pub(crate) session: ClientSession,
    /// Each host's slots (`--per-host`, this lane's share of it): a request's clock starts
    /// once it holds one.
    slots: RefCell<HashMap<String, Semaphore>>,
    per_host: usize,
    /// `--save`: where bodies go.
    pub(crate) saver: Option<Saver>,
    /// `--redis`: the host slots and clocks of the whole job (beside `slots`), or why this
    /// lane has no connection to it.
    pub(crate) politeness: Option<Result<Politeness, String>>,
}

impl Lane {
    pub(crate) fn new(
        session: ClientSession,
        per_host: usize,
        saver: Option<Saver>,
        politeness: Option<Result<Politeness, String>>,
    ) -> Self {
        Self {
            session,
            slots: RefCell::new(HashMap::new()),
            per_host,
            saver,
            politeness,
        }
    }

    /// `host`'s slots on this lane.
    pub(crate) fn slot(&self, host: &str) -> Semaphore {
        let mut slots = self.slots.borrow_mut();
        if let Some(s) = slots.get(host) {
            return s.clone();
        }
        let s = Semaphore::new(self.per_host);
        slots.insert(host.to_owned(), s.clone());
        s
    }
}
