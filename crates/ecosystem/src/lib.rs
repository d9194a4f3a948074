//! The crates users bring, on asyncio-rs's loop: what needs a helper has it here, and the
//! tests of this crate back every row of `docs/ecosystem.md`.
//!
//! - [`postgres`]: tokio-postgres's `connect` without tokio's runtime — resolve, connect with
//!   a timeout, keepalive and nodelay, the connection driven by a loop task, and a cancel
//!   function that works.
//! - [`pg_server`]: a throwaway PostgreSQL server (initdb + pg_ctl in a temporary directory)
//!   for this crate's tests and the `pg-select` benchmark.
//! - [`tonic`]: a client `Channel` (one HTTP/2 connection on the loop) for tonic's clients.
//! - hyper, axum, tonic's servers and WebSockets need no code here: `asyncio`'s
//!   `compat::hyper::serve` (feature `hyper-server`) serves them; see the tests.

pub mod pg_server;
pub mod postgres;
pub mod tonic;
