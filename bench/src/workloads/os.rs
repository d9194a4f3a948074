//! Issue 5's workloads: the blocking pool, child processes and files.
//!
//! - `blocking`: 100,000 calls of a trivial closure on the blocking pool, 64 in flight.
//! - `process`: spawn and wait 1,000 `true` children, 16 in flight.
//! - `file`: write a 256 MiB file in 64 KiB chunks, then read it back.
//!
//! The thread-per-core peers' versions are in `os_peers.rs`.

use super::rt;
use super::Measurement;

pub(crate) const BLOCKING_CALLS: usize = 100_000;
pub(crate) const BLOCKING_IN_FLIGHT: usize = 64;
pub(crate) const PROCESSES: usize = 1_000;
pub(crate) const PROCESS_IN_FLIGHT: usize = 16;
pub(crate) const FILE_BYTES: usize = 256 * 1024 * 1024;
pub(crate) const FILE_CHUNK: usize = 64 * 1024;

pub(crate) fn supports(workload: &str, runtime: &str) -> bool {
    #[cfg(feature = "peers")]
    if super::os_peers::supports(workload, runtime) {
        return true;
    }
    let _ = workload;
    matches!(runtime, "asyncio-rs" | "tokio-ct" | "tokio-mt")
}

pub(crate) fn run(workload: &str, runtime: &str) -> Measurement {
    match (workload, runtime) {
        ("blocking", "asyncio-rs") => rt::asyncio(ours::blocking()).0,
        ("process", "asyncio-rs") => rt::asyncio(ours::process()).0,
        ("file", "asyncio-rs") => rt::asyncio(ours::file()).0,
        #[cfg(feature = "peers")]
        (w, r) if super::os_peers::supports(w, r) => super::os_peers::run(w, r),
        ("blocking", r) => rt::tokio(rt::tokio_named(r), theirs::blocking()).0,
        ("process", r) => rt::tokio(rt::tokio_named(r), theirs::process()).0,
        ("file", r) => rt::tokio(rt::tokio_named(r), theirs::file()).0,
        (w, r) => panic!("{w}: unknown runtime {r}"),
    }
}

pub(crate) fn file_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("asyncio-bench-file-{tag}-{}", std::process::id()))
}

mod ours {
    use asyncio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    pub(super) async fn blocking() {
        let per = BLOCKING_CALLS / BLOCKING_IN_FLIGHT;
        let tasks: Vec<_> = (0..BLOCKING_IN_FLIGHT)
            .map(|i| {
                asyncio::spawn(async move {
                    let mut sum = 0u64;
                    for j in 0..per {
                        sum += asyncio::blocking::to_thread(move || (i * j) as u64 & 1)
                            .await
                            .unwrap();
                    }
                    sum
                })
            })
            .collect();
        for t in tasks {
            std::hint::black_box(t.await.unwrap());
        }
    }

    pub(super) async fn process() {
        let per = PROCESSES / PROCESS_IN_FLIGHT;
        let tasks: Vec<_> = (0..PROCESS_IN_FLIGHT)
            .map(|_| {
                asyncio::spawn(async move {
                    for _ in 0..per {
                        // fork/exec on the pool, in parallel, as tokio-mt's two workers each
                        // start their own (a `spawn` on the loop holds it for the `vfork`).
                        let s = asyncio::process::Command::new("true")
                            .spawn_async()
                            .await
                            .unwrap()
                            .wait()
                            .await
                            .unwrap();
                        assert!(s.success());
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    }

    pub(super) async fn file() {
        let path = file_path("ours");
        let chunk = vec![7u8; FILE_CHUNK];
        let mut f = asyncio::fs::File::create(&path).await.unwrap();
        for _ in 0..FILE_BYTES / FILE_CHUNK {
            f.write_all(&chunk).await.unwrap();
        }
        f.close().await.unwrap();
        let mut f = asyncio::fs::File::open(&path).await.unwrap();
        let mut buf = vec![0u8; FILE_CHUNK];
        let mut total = 0;
        loop {
            let n = f.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            total += n;
        }
        assert_eq!(total, FILE_BYTES);
        let _ = std::fs::remove_file(&path);
    }
}

mod theirs {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    pub(super) async fn blocking() {
        let per = BLOCKING_CALLS / BLOCKING_IN_FLIGHT;
        let tasks: Vec<_> = (0..BLOCKING_IN_FLIGHT)
            .map(|i| {
                tokio::spawn(async move {
                    let mut sum = 0u64;
                    for j in 0..per {
                        sum += tokio::task::spawn_blocking(move || (i * j) as u64 & 1)
                            .await
                            .unwrap();
                    }
                    sum
                })
            })
            .collect();
        for t in tasks {
            std::hint::black_box(t.await.unwrap());
        }
    }

    pub(super) async fn process() {
        let per = PROCESSES / PROCESS_IN_FLIGHT;
        let tasks: Vec<_> = (0..PROCESS_IN_FLIGHT)
            .map(|_| {
                tokio::spawn(async move {
                    for _ in 0..per {
                        let s = tokio::process::Command::new("true").status().await.unwrap();
                        assert!(s.success());
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    }

    pub(super) async fn file() {
        let path = file_path("tokio");
        let chunk = vec![7u8; FILE_CHUNK];
        let mut f = tokio::fs::File::create(&path).await.unwrap();
        for _ in 0..FILE_BYTES / FILE_CHUNK {
            f.write_all(&chunk).await.unwrap();
        }
        f.flush().await.unwrap();
        drop(f);
        let mut f = tokio::fs::File::open(&path).await.unwrap();
        let mut buf = vec![0u8; FILE_CHUNK];
        let mut total = 0;
        loop {
            let n = f.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            total += n;
        }
        assert_eq!(total, FILE_BYTES);
        let _ = tokio::fs::remove_file(&path).await;
    }
}

/// The `blocking` workload.
pub(crate) const BLOCKING: super::Workload = super::Workload {
    name: "blocking",
    info: super::Info {
        count: BLOCKING_CALLS as f64,
        unit: "ops/s",
        description: "100,000 to_thread/spawn_blocking calls of a trivial closure, 64 in flight",
    },
    supports: |runtime| supports("blocking", runtime),
    run: |runtime| run("blocking", runtime),
};

/// The `process` workload.
pub(crate) const PROCESS: super::Workload = super::Workload {
    name: "process",
    info: super::Info {
        count: PROCESSES as f64,
        unit: "processes/s",
        description: "spawn and wait 1,000 `true` children, 16 in flight",
    },
    supports: |runtime| supports("process", runtime),
    run: |runtime| run("process", runtime),
};

/// The `file` workload.
pub(crate) const FILE: super::Workload = super::Workload {
    name: "file",
    info: super::Info {
        count: (2 * FILE_BYTES) as f64 / 1e6,
        unit: "MB/s",
        description: "write then read back a 256 MiB file in 64 KiB chunks",
    },
    supports: |runtime| supports("file", runtime),
    run: |runtime| run("file", runtime),
};
