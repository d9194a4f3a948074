//! Which runtime and loop the current thread belongs to (set for a worker's whole life, and on
//! loop 0's thread while `block_on` runs).

use std::cell::RefCell;
use std::sync::Arc;

use super::runtime::RtShared;

thread_local! {
    static CURRENT: RefCell<Option<(Arc<RtShared>, usize)>> = const { RefCell::new(None) };
}

/// The index of the runtime loop running on this thread, or `None` outside a [`Runtime`]'s
/// loops (monoio's and glommio's "current executor id").
///
/// [`Runtime`]: super::Runtime
pub fn current_loop_index() -> Option<usize> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(|(_, i)| *i))
        .ok()
        .flatten()
}

/// The runtime and loop index of this thread.
pub(crate) fn current() -> Option<(Arc<RtShared>, usize)> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// Runs `f` with this thread's runtime and loop index, without cloning the `Arc`.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<(&Arc<RtShared>, usize)>) -> R) -> R {
    let mut f = Some(f);
    match CURRENT.try_with(|c| {
        let c = c.borrow();
        (f.take().expect("called once"))(c.as_ref().map(|(rt, i)| (rt, *i)))
    }) {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

/// Marks this thread as loop `index` of `rt` until the guard drops.
pub(crate) fn enter(rt: Arc<RtShared>, index: usize) -> EnterGuard {
    let previous = CURRENT.with(|c| c.borrow_mut().replace((rt, index)));
    EnterGuard { previous }
}

pub(crate) struct EnterGuard {
    previous: Option<(Arc<RtShared>, usize)>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}
