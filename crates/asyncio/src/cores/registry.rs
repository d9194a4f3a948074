//! Each loop thread's servers started by a [`ServerGroup`](super::ServerGroup), found again by
//! key when a command for them arrives from another thread.

use std::cell::RefCell;

use slab::Slab;

use super::LoopListener;
use crate::net::Server;

thread_local! {
    static SERVERS: RefCell<Slab<Server<LoopListener>>> = const { RefCell::new(Slab::new()) };
}

pub(crate) fn insert(server: Server<LoopListener>) -> usize {
    SERVERS.with(|s| s.borrow_mut().insert(server))
}

/// A handle to the server under `key`, if it is still registered on this thread.
pub(crate) fn get(key: usize) -> Option<Server<LoopListener>> {
    SERVERS
        .try_with(|s| s.borrow().get(key).cloned())
        .ok()
        .flatten()
}

/// Forgets the server (dropping the last handle closes it).
pub(crate) fn remove(key: usize) {
    let server = SERVERS
        .try_with(|s| s.borrow_mut().try_remove(key))
        .ok()
        .flatten();
    drop(server);
}
