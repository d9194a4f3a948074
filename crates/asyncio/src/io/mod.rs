//! Readiness-based I/O on the loop: [`AsyncFd`] for any descriptor, and read/write helpers
//! ([`AsyncReadExt`], [`AsyncWriteExt`]) over `futures-io`'s traits, which every stream
//! implements.

mod async_fd;
mod split;
mod split_owned;
mod stream_io;
#[cfg(any(feature = "hyper", feature = "tokio-io"))]
#[expect(
    unsafe_code,
    reason = "hyper and tokio lend uninitialised read buffers"
)]
pub(crate) mod uninit;
mod util;

pub use async_fd::{ready_now, AsyncFd, Interest};
pub use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
pub use split::{split, ReadHalf, ReuniteError, WriteHalf};
pub use split_owned::{split_owned, Exclusive, SharedStream};
pub use util::{os_error, AsyncReadExt, AsyncWriteExt};

pub(crate) use split::split_rc;
pub(crate) use stream_io::{stream_io_traits, ReadIo, WriteIo};
pub(crate) use util::{read_exact, write_all};
