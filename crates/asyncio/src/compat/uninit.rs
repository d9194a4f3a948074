//! Reads into memory nobody initialised: hyper's and tokio's read buffers, filled by the
//! socket's `recv` without zeroing them first.

use std::mem::MaybeUninit;
#[cfg(feature = "tokio-io")]
use std::{io, task::Poll};

/// Zero-fills `uninit` and returns it as bytes, for readers that need initialised memory.
pub(crate) fn zeroed(uninit: &mut [MaybeUninit<u8>]) -> &mut [u8] {
    for b in uninit.iter_mut() {
        b.write(0);
    }
    // SAFETY: every byte was just initialised; `MaybeUninit<u8>` and `u8` share a layout.
    unsafe { &mut *(uninit as *mut [MaybeUninit<u8>] as *mut [u8]) }
}

/// Reads into tokio's buffer with `read`, which writes into uninitialised memory and reports
/// how many bytes it filled (a socket's `recv`): no zeroing of the buffer on every read, which
/// a fresh `ReadBuf` (tokio-postgres hands one per read) would otherwise cost.
#[cfg(feature = "tokio-io")]
pub(crate) fn read_tokio_buf(
    buf: &mut tokio::io::ReadBuf<'_>,
    read: impl FnOnce(&mut [MaybeUninit<u8>]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<()>> {
    // SAFETY: `read` only writes bytes into the slice (it never de-initialises any), as
    // `unfilled_mut` requires.
    let dst = unsafe { buf.unfilled_mut() };
    let n = std::task::ready!(read(dst))?;
    // SAFETY: `read` initialised the first `n` bytes of the unfilled part (its contract, and
    // `n` is at most the slice's length: `recv` never reports more than it was given).
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Poll::Ready(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "tokio-io")]
    use std::task::Poll;

    #[test]
    fn zeroed_initialises_every_byte() {
        let mut raw = [MaybeUninit::<u8>::uninit(); 16];
        assert!(zeroed(&mut raw).iter().all(|&b| b == 0));
    }

    #[cfg(feature = "tokio-io")]
    #[test]
    fn read_tokio_buf_advances_by_what_was_written() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 8];
        let mut buf = tokio::io::ReadBuf::uninit(&mut storage);
        let r = read_tokio_buf(&mut buf, |dst| {
            for (i, b) in dst.iter_mut().take(3).enumerate() {
                b.write(i as u8 + 1);
            }
            Poll::Ready(Ok(3))
        });
        assert!(matches!(r, Poll::Ready(Ok(()))));
        assert_eq!(buf.filled(), &[1, 2, 3]);
        assert_eq!(buf.remaining(), 5);
    }
}
