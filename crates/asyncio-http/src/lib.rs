//! # asyncio-http
//!
//! An aiohttp-style HTTP client on asyncio-rs: a [`ClientSession`] with one shared connection
//! pool (limits in total and per host, keep-alive with expiry, a DNS cache), aiohttp's
//! [`ClientTimeout`]s, redirects, gzip/deflate/brotli/zstd decoding, TLS with HTTP/2 through
//! ALPN, and one [`Error`] enum that says what went wrong and where. hyper 1.x speaks the
//! protocol. [`server`] is a small router for examples, tests and demos.

#![deny(unsafe_code)]

pub mod client;
mod error;
pub mod server;
mod timeout;
pub mod ws;

pub use client::{
    Attempt, Auth, ClientSession, ConnectorConfig, CookieError, CookieJar, Form, IntoUrl, Netrc,
    Part, Proxies, ProxyScheme, Redirect, RequestBuilder, RequestRecord, Response, RetryPolicy,
    SessionConfig, Trace, TracingTrace, Via,
};
pub use error::{Error, Result, TimeoutKind};
pub use http::header::{self, HeaderName, HeaderValue};
pub use http::{HeaderMap, Method, StatusCode, Version};
pub use timeout::ClientTimeout;
