//! Bridges to other ecosystems' traits, each behind a feature:
//! - `hyper`: hyper 1.x's `rt` traits — [`LoopExecutor`], [`LoopTimer`], `Read`/`Write` on
//!   [`TcpStream`](crate::net::TcpStream), [`UnixStream`](crate::net::UnixStream) and the pipe
//!   ends, and [`HyperIo`] for any `futures-io` stream.
//! - `hyper-server`: [`hyper::serve`] — any hyper or tower service in one call (HTTP/1 and
//!   HTTP/2, upgrades through [`hyper::LoopBound`], header-read timeout, graceful shutdown).
//! - `tokio-io`: tokio's `AsyncRead`/`AsyncWrite` on the same types and [`TokioIo`] for any
//!   `futures-io` stream.
//!
//! The socket and pipe impls come from one macro over each type's `&self` I/O
//! (`io/stream_io.rs`).

#[cfg(feature = "hyper-server")]
#[path = "hyper_serve.rs"]
pub mod hyper;
#[cfg(feature = "hyper")]
pub(crate) mod hyper_io;
#[cfg(feature = "hyper")]
mod hyper_rt;
#[cfg(feature = "tokio-io")]
pub(crate) mod tokio_io;

#[cfg(feature = "hyper")]
pub use hyper_io::HyperIo;
#[cfg(feature = "hyper")]
pub use hyper_rt::{LoopExecutor, LoopTimer};
#[cfg(feature = "tokio-io")]
pub use tokio_io::TokioIo;
