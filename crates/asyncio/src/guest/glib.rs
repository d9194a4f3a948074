//! Guest mode on glib's main loop (gtk-rs, GTK 3 and 4): [`attach`] drives a [`GuestRun`] from
//! the thread's default `MainContext` with one unix-fd source. glib polls the loop's descriptor
//! with the rest of its sources; a due timer, ready I/O or another thread's wake-up makes it
//! readable, and the source runs one step.
//!
//! ```no_run
//! use std::rc::Rc;
//! use std::time::Duration;
//!
//! use asyncio::guest::glib::glib;
//!
//! let main_loop = glib::MainLoop::new(None, false);
//! let quit = main_loop.clone();
//! let run = asyncio::guest::start(
//!     async {
//!         asyncio::time::sleep(Duration::from_millis(50)).await;
//!         "done"
//!     },
//!     move |outcome| {
//!         println!("{}", outcome.unwrap());
//!         quit.quit();
//!     },
//! )
//! .unwrap();
//! asyncio::guest::glib::attach(Rc::new(run));
//! main_loop.run();
//! ```

/// The glib crate this adapter is built with (re-exported: the `MainContext` must be the same
/// crate version's).
pub use ::glib;

use std::os::fd::AsRawFd;
use std::rc::Rc;

use glib::{ControlFlow, IOCondition, SourceId};

use super::GuestRun;

/// Drives `run` from the thread-default glib `MainContext` until it ends (the source then
/// removes itself). Keep a clone of the `Rc` to [`cancel`](GuestRun::cancel) the run, for
/// example when the window closes.
///
/// # Panics
/// As glib-unix's `unix_fd_add_local`: if the default main context is owned by another
/// thread.
pub fn attach(run: Rc<GuestRun>) -> SourceId {
    let fd = run.fd().as_raw_fd();
    glib_unix::unix_fd_add_local(fd, IOCondition::IN, move |_, _| {
        run.step();
        if run.is_done() {
            ControlFlow::Break
        } else {
            ControlFlow::Continue
        }
    })
}
