//! The thread's running loop (the slot behind `get_running_loop`) and the fast path for local
//! wake-ups.

use std::cell::RefCell;
use std::rc::Rc;

use super::core::Core;
use super::shared::Shared;
use super::task::raw::{set_running_loop, Notified, SharedRc};
use super::task::Task;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// Makes `core` the thread's running loop until the guard drops.
///
/// # Panics
/// If another loop is already running on this thread (asyncio: "Cannot run the event loop while
/// another loop is running").
pub(crate) fn enter(core: &Rc<Core>) -> EnterGuard {
    CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        assert!(
            c.is_none(),
            "cannot run an event loop while another loop is running on this thread"
        );
        *c = Some(core.clone());
    });
    set_running_loop(&**core.shared());
    EnterGuard(())
}

pub(crate) struct EnterGuard(());

impl Drop for EnterGuard {
    fn drop(&mut self) {
        set_running_loop(std::ptr::null());
        let core = CURRENT.with(|c| c.borrow_mut().take());
        drop(core);
    }
}

/// Runs `f` with the running loop's core, if any.
pub(crate) fn with_core<R>(f: impl FnOnce(Option<&Rc<Core>>) -> R) -> R {
    CURRENT.with(|c| f(c.borrow().as_ref()))
}

/// If this thread is running the loop that owns `shared`, calls `f` with its core and returns
/// `true`; otherwise returns `false` without calling it. This is how a wake-up learns it may use
/// the lock-free, atomic-free local path.
pub(crate) fn with_local_core(shared: &Shared, f: impl FnOnce(&Core)) -> bool {
    CURRENT.with(|c| match &*c.borrow() {
        Some(core) if std::ptr::eq(&**core.shared(), shared) => {
            f(core);
            true
        }
        _ => false,
    })
}

/// Pushes a task's local entry onto the ready queue of the loop running on this thread.
pub(crate) fn push_local(task: Notified) {
    CURRENT.with(|c| match &*c.borrow() {
        Some(core) => core.push_task(task),
        None => unreachable!("push_local follows is_local"),
    });
}

/// Reports a panicked task whose error was never read to the running loop's exception handler
/// (or the default one when no loop runs on this thread).
pub(crate) fn report_unretrieved(task: &Task) {
    let core = with_core(|core| core.cloned());
    match core {
        Some(core) => core.report_unretrieved(task),
        None => super::exception::default_exception_handler(
            &super::exception::ExceptionContext::unretrieved(task),
        ),
    }
}

/// Gives a freed task's `Shared` count back to the running loop's pool when it is that loop's,
/// sparing an atomic decrement; drops it otherwise.
pub(crate) fn give_back_shared(shared: SharedRc) {
    let mut shared = Some(shared);
    with_core(|core| {
        if let Some(core) = core {
            core.give_back_shared(shared.take().expect("taken once"));
        }
    });
    drop(shared);
}

/// The running loop's core.
///
/// # Panics
/// If no loop is running on this thread (asyncio raises `RuntimeError: no running event loop`).
#[track_caller]
pub(crate) fn running_core() -> Rc<Core> {
    try_running_core().expect("no running event loop on this thread")
}

/// The running loop's core, if a loop runs on this thread.
pub(crate) fn try_running_core() -> Option<Rc<Core>> {
    with_core(|c| c.cloned())
}
