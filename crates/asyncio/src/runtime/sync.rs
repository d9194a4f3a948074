//! The one place where the cross-thread structures take their primitives from: `std`'s, or
//! loom's models of them when built with `--cfg asyncio_loom` (tokio's swap point, under a
//! name of our own: tokio itself, a dev-dependency, drops its `net` module under `--cfg
//! loom`, which its dependents need). The loom tests then check the real code of the remote queue ([`Shared`](super::shared::Shared)), the
//! loop's counted pointer ([`SharedRc`](super::task::raw::SharedRc)) and
//! [`ThreadSafePromise`](crate::future::ThreadSafePromise) under every interleaving.
//!
//! ```sh
//! RUSTFLAGS="--cfg asyncio_loom" cargo test -p asyncio --lib --release loom
//! ```

#[cfg(asyncio_loom)]
pub(crate) use loom::sync::{atomic, Arc, Condvar, Mutex, MutexGuard};
#[cfg(not(asyncio_loom))]
pub(crate) use std::sync::{atomic, Arc, Condvar, Mutex, MutexGuard};
