//! [`ReadError`]: how a stream read that wants a shape (exactly n bytes, up to a separator) can
//! fail.

use std::fmt;
use std::io;

/// The error of [`StreamReader`](super::StreamReader)'s shaped reads: asyncio's
/// `IncompleteReadError` and `LimitOverrunError`, or an I/O error. Converts into `io::Error`
/// (kinds `UnexpectedEof` and `InvalidData`) for `?` in I/O code.
#[derive(Debug)]
pub enum ReadError {
    /// The stream ended first. `partial` holds what was read (and is no longer buffered).
    Incomplete {
        /// The bytes read before end of file.
        partial: Vec<u8>,
        /// How many bytes were wanted (`None` for a separator search).
        expected: Option<usize>,
    },
    /// No separator within the reader's limit. The data stays buffered; `consumed` bytes were
    /// searched.
    LimitOverrun {
        /// How many buffered bytes were searched.
        consumed: usize,
    },
    /// The stream failed.
    Io(io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Incomplete {
                partial,
                expected: Some(n),
            } => write!(
                f,
                "{} bytes read on a total of {n} expected bytes",
                partial.len()
            ),
            ReadError::Incomplete {
                partial,
                expected: None,
            } => write!(
                f,
                "the stream ended after {} bytes, before the separator",
                partial.len()
            ),
            ReadError::LimitOverrun { consumed } => write!(
                f,
                "separator not found within the buffer limit ({consumed} bytes searched)"
            ),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl From<ReadError> for io::Error {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Io(e) => e,
            e @ ReadError::Incomplete { .. } => io::Error::new(io::ErrorKind::UnexpectedEof, e),
            e @ ReadError::LimitOverrun { .. } => io::Error::new(io::ErrorKind::InvalidData, e),
        }
    }
}
