//! The client: [`ClientSession`], [`RequestBuilder`], [`Response`], the pool, and what a
//! session adds to a request — cookies, credentials, proxies, multipart bodies.

mod auth;
mod body;
mod connector;
mod cookies;
mod decode;
mod exchange;
mod multipart;
mod netrc;
mod proxy;
mod request;
mod response;
mod retry;
mod send;
mod session;
mod trace;
mod tunnel;
mod url;

pub(crate) use auth::strip_credentials;
pub use auth::Auth;
pub(crate) use connector::BoxIo;
pub use connector::ConnectorConfig;
pub use cookies::{CookieError, CookieJar};
pub use decode::decompress;
pub(crate) use exchange::key_for;
pub use multipart::{Form, Part};
pub use netrc::Netrc;
pub(crate) use proxy::Rules;
pub use proxy::{Proxies, ProxyScheme, Via};
pub use request::RequestBuilder;
pub use response::{Redirect, Response};
pub use retry::{Attempt, RetryPolicy};
pub use session::{ClientSession, SessionConfig};
pub use trace::{RequestRecord, Trace, Tracers, TracingTrace};
pub use url::IntoUrl;
