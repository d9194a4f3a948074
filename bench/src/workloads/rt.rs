//! Building each runtime the way its own docs recommend, and running a future on it, timed.

use std::future::Future;

use super::support::timed;
use super::Measurement;

pub(crate) fn tokio_ct() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio current_thread runtime")
}

pub(crate) fn tokio_mt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio multi_thread runtime")
}

/// The tokio runtime named `tokio-ct` or `tokio-mt`.
pub(crate) fn tokio_named(runtime: &str) -> tokio::runtime::Runtime {
    match runtime {
        "tokio-ct" => tokio_ct(),
        "tokio-mt" => tokio_mt(),
        other => panic!("not a tokio runtime: {other}"),
    }
}

/// Runs `f` on a fresh asyncio-rs loop; loop creation is not timed.
pub(crate) fn asyncio<F: Future>(f: F) -> (Measurement, F::Output) {
    let lp = asyncio::EventLoop::new();
    let r = timed(|| lp.run_until_complete(f));
    lp.close();
    r
}

/// Runs `f` on a fresh tokio runtime; runtime creation is not timed.
pub(crate) fn tokio<F: Future>(rt: tokio::runtime::Runtime, f: F) -> (Measurement, F::Output) {
    let r = timed(|| rt.block_on(f));
    drop(rt);
    r
}
