//! The client: [`ClientSession`], [`RequestBuilder`], [`Response`], the pool.

mod body;
mod connector;
mod decode;
mod response;
mod retry;
mod session;
mod trace;

pub use connector::ConnectorConfig;
pub use decode::decompress;
pub use response::Response;
pub use retry::{Attempt, RetryPolicy};
pub use session::{ClientSession, IntoUrl, RequestBuilder, SessionConfig};
pub use trace::{Trace, Tracers, TracingTrace};
