//! Reads into memory nobody initialised: hyper's and tokio's read buffers, filled by the
//! socket's `recv` without zeroing them first (the compat impls and the stream macro use
//! these; the unsafe steps are all here).

use std::io;
use std::mem::MaybeUninit;
use std::task::Poll;

/// Zero-fills `uninit` and returns it as bytes, for readers that need initialised memory.
pub(crate) fn zeroed(uninit: &mut [MaybeUninit<u8>]) -> &mut [u8] {
    for b in uninit.iter_mut() {
        b.write(0);
    }
    // SAFETY: every byte was just initialised; `MaybeUninit<u8>` and `u8` share a layout.
    unsafe { &mut *(uninit as *mut [MaybeUninit<u8>] as *mut [u8]) }
}

/// Reads into hyper's cursor with `read`, which must initialise the first `n` bytes of the
/// slice it gets when it returns `Ok(n)`.
#[cfg(feature = "hyper")]
pub(crate) fn read_into_cursor(
    mut cursor: hyper::rt::ReadBufCursor<'_>,
    read: impl FnOnce(&mut [MaybeUninit<u8>]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<()>> {
    // SAFETY: we only write into the slice (through `read`) and never de-initialise bytes.
    let uninit = unsafe { cursor.as_mut() };
    let len = uninit.len();
    let n = std::task::ready!(read(uninit))?;
    assert!(n <= len, "a read reported more bytes than the buffer holds");
    // SAFETY: `read` initialised the first `n` bytes (its contract, upheld by the two callers
    // below: a socket `recv` into the slice, or a read into a zero-filled slice).
    unsafe { cursor.advance(n) };
    Poll::Ready(Ok(()))
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

    #[cfg(feature = "hyper")]
    #[test]
    fn a_read_fills_and_advances_the_cursor() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 16];
        let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
        let r = read_into_cursor(buf.unfilled(), |uninit| {
            let bytes = zeroed(uninit);
            bytes[..5].copy_from_slice(b"hello");
            Poll::Ready(Ok(5))
        });
        assert!(matches!(r, Poll::Ready(Ok(()))));
        assert_eq!(buf.filled(), b"hello");
        // A pending read advances nothing.
        let r = read_into_cursor(buf.unfilled(), |_| Poll::Pending);
        assert!(r.is_pending());
        assert_eq!(buf.filled(), b"hello");
    }

    #[cfg(feature = "hyper")]
    #[test]
    #[should_panic(expected = "more bytes than the buffer holds")]
    fn a_read_cannot_claim_more_than_the_buffer() {
        let mut storage = [MaybeUninit::<u8>::uninit(); 4];
        let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
        let _ = read_into_cursor(buf.unfilled(), |_| Poll::Ready(Ok(5)));
    }

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
