//! `get_running_loop`: the public face of the thread's running-loop slot.

use super::EventLoop;
use crate::runtime::context::with_core;

/// The loop running on this thread, like `asyncio.get_running_loop()`.
///
/// # Panics
/// If no loop is running on this thread (asyncio raises `RuntimeError`). See
/// [`try_get_running_loop`].
///
/// ```
/// asyncio::run(async {
///     let lp = asyncio::get_running_loop();
///     assert!(lp.is_running());
/// });
/// ```
#[track_caller]
pub fn get_running_loop() -> EventLoop {
    try_get_running_loop().expect("no running event loop on this thread")
}

/// The loop running on this thread, or `None`.
pub fn try_get_running_loop() -> Option<EventLoop> {
    with_core(|c| c.map(|core| EventLoop { core: core.clone() }))
}
