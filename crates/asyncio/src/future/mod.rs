//! Settable results: [`Promise`] (one thread) and [`ThreadSafePromise`] (any thread).

mod promise;
mod threadsafe;

pub use promise::{InvalidStateError, Promise, PromiseError};
pub use threadsafe::ThreadSafePromise;
