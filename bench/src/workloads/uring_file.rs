//! `io-uring-raw` on the `file` workload: no runtime at all, one io_uring ring driven by hand
//! with several positioned writes (then reads) of 64 KiB in flight at once, from buffers it
//! owns. It is the ceiling an io_uring file path in a runtime could reach on this kernel and
//! file system, measured beside the runtimes (issue 17: keep io_uring only where it wins).

use std::os::fd::AsRawFd;

use io_uring::{opcode, types, IoUring};

use super::os::{file_path, FILE_BYTES, FILE_CHUNK};
use super::support::timed;
use super::Measurement;

/// Operations in flight at once.
const DEPTH: usize = 4;

pub(crate) fn run() -> Measurement {
    timed(file).0
}

fn file() {
    let path = file_path("uring");
    let chunks = FILE_BYTES / FILE_CHUNK;
    let mut ring = IoUring::new(2 * DEPTH as u32).expect("io_uring");
    let mut bufs: Vec<Vec<u8>> = (0..DEPTH).map(|_| vec![7u8; FILE_CHUNK]).collect();

    let f = std::fs::File::create(&path).expect("create");
    transfer(&mut ring, &mut bufs, chunks, |buf, i| {
        opcode::Write::new(types::Fd(f.as_raw_fd()), buf.as_ptr(), FILE_CHUNK as u32)
            .offset((i * FILE_CHUNK) as u64)
            .build()
    });
    drop(f);
    let f = std::fs::File::open(&path).expect("open");
    transfer(&mut ring, &mut bufs, chunks, |buf, i| {
        opcode::Read::new(
            types::Fd(f.as_raw_fd()),
            buf.as_mut_ptr(),
            FILE_CHUNK as u32,
        )
        .offset((i * FILE_CHUNK) as u64)
        .build()
    });
    let _ = std::fs::remove_file(&path);
}

/// Runs `chunks` operations made by `op` (buffer, chunk index), `DEPTH` at a time; every one
/// must move a whole chunk.
fn transfer(
    ring: &mut IoUring,
    bufs: &mut [Vec<u8>],
    chunks: usize,
    op: impl Fn(&mut Vec<u8>, usize) -> io_uring::squeue::Entry,
) {
    let (mut next, mut done) = (0, 0);
    let mut free: Vec<usize> = (0..bufs.len()).collect();
    while done < chunks {
        while next < chunks {
            let Some(b) = free.pop() else { break };
            let entry = op(&mut bufs[b], next).user_data(b as u64);
            // SAFETY: the entry points into `bufs[b]`, which is neither moved nor touched until
            // its completion is reaped below, and into a descriptor open for the whole call.
            unsafe { ring.submission().push(&entry).expect("queue full") };
            next += 1;
        }
        ring.submit_and_wait(1).expect("io_uring_enter");
        for cqe in ring.completion() {
            assert_eq!(cqe.result(), FILE_CHUNK as i32, "short or failed transfer");
            free.push(cqe.user_data() as usize);
            done += 1;
        }
    }
}
