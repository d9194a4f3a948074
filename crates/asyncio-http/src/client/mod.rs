//! The client: [`ClientSession`], [`RequestBuilder`], [`Response`], the pool.

mod connector;
mod decode;
mod response;
mod session;

pub use connector::ConnectorConfig;
pub use response::Response;
pub use session::{ClientSession, RequestBuilder, SessionConfig};
