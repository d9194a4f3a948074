//! Issue 5's workloads (`blocking`, `process`, `file`) on the thread-per-core peers, each with
//! the API its docs show for the job:
//!
//! - `blocking`: monoio's `spawn_blocking` on its `DefaultThreadPool` (monoio has no default
//!   pool; it gets as many threads as calls in flight), glommio's `spawn_blocking` (its pool
//!   sized the same), compio's `spawn_blocking` (its default pool), smol's `unblock`.
//! - `process`: smol's `async-process`, compio's `compio-process`; monoio and glommio have no
//!   child-process API, so they are not in this one.
//! - `file`: positioned writes and reads of owned buffers through io_uring on monoio and compio
//!   (`write_all_at`/`read_at`), glommio's `BufferedFile` (io_uring, through the page cache like
//!   the others, not its O_DIRECT `DmaFile`), smol's `async-fs` (its blocking pool).

use super::local::{Compio, Glommio, LocalRuntime, Monoio, MonoioLegacy, Smol};
use super::os::{
    file_path, BLOCKING_CALLS, BLOCKING_IN_FLIGHT, FILE_BYTES, FILE_CHUNK, PROCESSES,
    PROCESS_IN_FLIGHT,
};
use super::support::timed;
use super::Measurement;

/// Whether `runtime` is a peer this module measures `workload` on.
pub(crate) fn supports(workload: &str, runtime: &str) -> bool {
    match workload {
        "file" if runtime == "io-uring-raw" => true,
        "blocking" | "file" => {
            matches!(
                runtime,
                "monoio" | "monoio-legacy" | "glommio" | "compio" | "smol"
            )
        }
        "process" => matches!(runtime, "compio" | "smol"),
        _ => false,
    }
}

macro_rules! blocking_monoio {
    ($driver:ty) => {{
        let mut rt = monoio::RuntimeBuilder::<$driver>::new()
            .enable_timer()
            .attach_thread_pool(Box::new(monoio::blocking::DefaultThreadPool::new(
                BLOCKING_IN_FLIGHT,
            )))
            .build()
            .expect("monoio runtime");
        timed(|| {
            rt.block_on(blocking_calls::<Monoio, _, _>(|f: Call| async move {
                monoio::spawn_blocking(f).await.expect("blocking call")
            }))
        })
        .0
    }};
}

pub(crate) fn run(workload: &str, runtime: &str) -> Measurement {
    match (workload, runtime) {
        ("blocking", "monoio") => blocking_monoio!(monoio::IoUringDriver),
        ("blocking", "monoio-legacy") => blocking_monoio!(monoio::LegacyDriver),
        ("blocking", "glommio") => blocking_glommio(),
        ("blocking", "compio") => blocking_on::<Compio, _, _>(|f| async move {
            compio::runtime::spawn_blocking(f)
                .await
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        }),
        ("blocking", "smol") => blocking_on::<Smol, _, _>(blocking::unblock),
        ("process", "compio") => process_on::<Compio, _, _>(|| async {
            compio::process::Command::new("true").status().await
        }),
        ("process", "smol") => process_on::<Smol, _, _>(|| async {
            async_process::Command::new("true").status().await
        }),
        ("file", "monoio") => Monoio::run(file_monoio()).0,
        ("file", "monoio-legacy") => MonoioLegacy::run(file_monoio()).0,
        ("file", "glommio") => Glommio::run(file_glommio()).0,
        ("file", "compio") => Compio::run(file_compio()).0,
        ("file", "smol") => Smol::run(file_smol()).0,
        ("file", "io-uring-raw") => super::uring_file::run(),
        (w, r) => panic!("{w}: no peer implementation on {r}"),
    }
}

type Call = Box<dyn FnOnce() -> u64 + Send>;

/// `BLOCKING_IN_FLIGHT` tasks each making their share of calls through `call`.
async fn blocking_calls<R: LocalRuntime, C, Fut>(call: C)
where
    C: Fn(Call) -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = u64>,
{
    let per = BLOCKING_CALLS / BLOCKING_IN_FLIGHT;
    let tasks: Vec<_> = (0..BLOCKING_IN_FLIGHT)
        .map(|i| {
            let call = call.clone();
            R::spawn(async move {
                let mut sum = 0u64;
                for j in 0..per {
                    sum += call(Box::new(move || (i * j) as u64 & 1)).await;
                }
                sum
            })
        })
        .collect();
    for t in tasks {
        std::hint::black_box(R::output::<u64>(t.await));
    }
}

fn blocking_on<R: LocalRuntime, C, Fut>(call: C) -> Measurement
where
    C: Fn(Call) -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = u64>,
{
    R::run(blocking_calls::<R, C, Fut>(call)).0
}

fn blocking_glommio() -> Measurement {
    let ex = glommio::LocalExecutorBuilder::default()
        .blocking_thread_pool_placement(glommio::PoolPlacement::Unbound(BLOCKING_IN_FLIGHT))
        .make()
        .expect("glommio executor");
    timed(|| {
        ex.run(blocking_calls::<Glommio, _, _>(|f: Call| async move {
            glommio::executor().spawn_blocking(f).await
        }))
    })
    .0
}

fn process_on<R: LocalRuntime, C, Fut>(status: C) -> Measurement
where
    C: Fn() -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = std::io::Result<std::process::ExitStatus>>,
{
    R::run(async move {
        let per = PROCESSES / PROCESS_IN_FLIGHT;
        let tasks: Vec<_> = (0..PROCESS_IN_FLIGHT)
            .map(|_| {
                let status = status.clone();
                R::spawn(async move {
                    for _ in 0..per {
                        assert!(status().await.expect("spawn true").success());
                    }
                })
            })
            .collect();
        for t in tasks {
            R::output::<()>(t.await);
        }
    })
    .0
}

const CHUNKS: usize = FILE_BYTES / FILE_CHUNK;

/// Writes the file's chunks in order through `write_all_at` (an owned-buffer API: the buffer
/// comes back with the result).
async fn write_chunks<F, Fut>(mut write_all_at: F)
where
    F: FnMut(Vec<u8>, u64) -> Fut,
    Fut: std::future::Future<Output = (std::io::Result<()>, Vec<u8>)>,
{
    let mut chunk = vec![7u8; FILE_CHUNK];
    for i in 0..CHUNKS {
        let (r, back) = write_all_at(chunk, (i * FILE_CHUNK) as u64).await;
        r.expect("write");
        chunk = back;
    }
}

/// Reads the file back to its end through `read_at` (owned buffers) and checks its length.
async fn read_back<F, Fut>(mut read_at: F)
where
    F: FnMut(Vec<u8>, u64) -> Fut,
    Fut: std::future::Future<Output = (std::io::Result<usize>, Vec<u8>)>,
{
    let mut buf = vec![0u8; FILE_CHUNK];
    let mut total = 0;
    loop {
        let (r, back) = read_at(buf, total as u64).await;
        buf = back;
        match r.expect("read") {
            0 => break,
            n => total += n,
        }
    }
    assert_eq!(total, FILE_BYTES);
}

async fn file_monoio() {
    let path = file_path("monoio");
    let f = monoio::fs::File::create(&path).await.expect("create");
    let w = &f;
    write_chunks(|buf, pos| async move { w.write_all_at(buf, pos).await }).await;
    f.close().await.expect("close");
    let f = monoio::fs::File::open(&path).await.expect("open");
    let r = &f;
    read_back(|buf, pos| async move { r.read_at(buf, pos).await }).await;
    let _ = std::fs::remove_file(&path);
}

async fn file_compio() {
    use compio::io::{AsyncReadAt, AsyncWriteAtExt};
    let path = file_path("compio");
    let f = compio::fs::File::create(&path).await.expect("create");
    let w = &f;
    write_chunks(|buf, pos| async move {
        let mut w = w;
        let compio::BufResult(r, back) = w.write_all_at(buf, pos).await;
        (r, back)
    })
    .await;
    f.close().await.expect("close");
    let f = compio::fs::File::open(&path).await.expect("open");
    let r = &f;
    read_back(|mut buf: Vec<u8>, pos| async move {
        buf.clear();
        let compio::BufResult(res, back) = r.read_at(buf, pos).await;
        (res, back)
    })
    .await;
    let _ = std::fs::remove_file(&path);
}

async fn file_glommio() {
    let path = file_path("glommio");
    let f = glommio::io::BufferedFile::create(&path)
        .await
        .expect("create");
    for i in 0..CHUNKS {
        let n = f
            .write_at(vec![7u8; FILE_CHUNK], (i * FILE_CHUNK) as u64)
            .await
            .expect("write");
        assert_eq!(n, FILE_CHUNK, "short write");
    }
    f.close().await.expect("close");
    let f = glommio::io::BufferedFile::open(&path).await.expect("open");
    let mut total = 0;
    loop {
        let r = f.read_at(total as u64, FILE_CHUNK).await.expect("read");
        if r.is_empty() {
            break;
        }
        total += r.len();
    }
    assert_eq!(total, FILE_BYTES);
    f.close().await.expect("close");
    let _ = std::fs::remove_file(&path);
}

async fn file_smol() {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let path = file_path("smol");
    let chunk = vec![7u8; FILE_CHUNK];
    let mut f = async_fs::File::create(&path).await.expect("create");
    for _ in 0..CHUNKS {
        f.write_all(&chunk).await.expect("write");
    }
    f.flush().await.expect("flush");
    drop(f);
    let mut f = async_fs::File::open(&path).await.expect("open");
    let mut buf = vec![0u8; FILE_CHUNK];
    let mut total = 0;
    loop {
        match f.read(&mut buf).await.expect("read") {
            0 => break,
            n => total += n,
        }
    }
    assert_eq!(total, FILE_BYTES);
    let _ = async_fs::remove_file(&path).await;
}
