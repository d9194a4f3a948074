//! The core of `asyncio_rs.http`: asyncio-http's client driven from Python, on the loop's own
//! thread. The Python package (`python/asyncio_rs/http/`) gives it aiohttp's API.
//!
//! - [`HttpSession`] holds one `asyncio_http::ClientSession` (its pool, cookie jar, settings).
//!   `request` spawns the request as a task on the loop and resolves an asyncio future with an
//!   [`HttpResponse`] once the headers are in.
//! - The same task then reads the body into a buffer ([`body::Body`]), pausing at a high-water
//!   mark, as aiohttp's protocol fills its `StreamReader`; Python takes bytes out of it and waits
//!   on a future only when what it asks for has not arrived yet.
//! - Failures reach Python as the exception the package's factory makes from an error's kind
//!   (`errors.rs`): the classes live in Python, where aiohttp's programs catch them.
//! - [`HttpBodyPipe`] is a request body Python writes from an async iterator, with
//!   backpressure (`upload.rs`).
//! - [`HttpWebSocket`] is `ws_connect`'s socket: one task owns it and serves Python's sends
//!   and receives (`ws.rs`).

mod body;
mod errors;
mod response;
mod session;
mod upload;
mod ws;

pub use response::{HttpCall, HttpResponse};
pub use session::HttpSession;
pub use upload::HttpBodyPipe;
pub use ws::HttpWebSocket;
