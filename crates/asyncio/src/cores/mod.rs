//! Many cores: a [`Runtime`] of event loops, one per core.
//!
//! asyncio's model stays: each loop runs on one thread, its tasks need not be `Send`, and
//! nothing is stolen between loops. What the runtime adds is the wiring a program would
//! otherwise write by hand: a loop per core (loop 0 on the thread that calls
//! [`Runtime::block_on`], the others on their own threads), spawning onto a chosen loop
//! ([`RuntimeHandle::spawn_on`], the closure builds a `!Send` future there) or onto the least
//! busy one ([`RuntimeHandle::spawn`], for `Send` futures), servers on every loop
//! ([`RuntimeHandle::serve`], one `SO_REUSEPORT` listener per loop) and one shutdown for all.
//!
//! ```
//! use std::rc::Rc;
//!
//! let rt = asyncio::Runtime::builder().loops(2).build().unwrap();
//! let handle = rt.handle();
//! let total = rt.block_on(async move {
//!     // A !Send future built on loop 1.
//!     let on_one = handle
//!         .spawn_on(1, || async {
//!             let local = Rc::new(40);
//!             (asyncio::cores::current_loop_index(), *local)
//!         })
//!         .unwrap();
//!     // A Send future on whichever loop has the least to do.
//!     let anywhere = handle.spawn(async { 2 }).unwrap();
//!     let (index, forty) = on_one.await.unwrap();
//!     assert_eq!(index, Some(1));
//!     forty + anywhere.await.unwrap()
//! });
//! assert_eq!(total, 42);
//! rt.shutdown(std::time::Duration::from_secs(1)).unwrap();
//! ```

mod builder;
mod context;
mod drain;
mod listener;
mod outbox;
mod registry;
mod runtime;
mod server;
mod spawn;

pub use builder::Builder;
pub use context::current_loop_index;
pub use listener::LoopListener;
pub use runtime::{LoopDied, Runtime, RuntimeHandle, ShutdownError};
pub use server::ServerGroup;
pub use spawn::{spawn, Canceller, SpawnHandle};
