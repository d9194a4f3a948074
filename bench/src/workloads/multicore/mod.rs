//! The multi-core workloads: each runtime with two loops/workers/executors (this machine has
//! two cores, and the echo and wrk clients share them with the server).
//!
//! - `spawn-mc`: 1,000,000 `Send` tasks spread over the loops and awaited (asyncio-rs's
//!   `RuntimeHandle::spawn`, tokio-mt's and smol's work-stealing spawn from one task; glommio,
//!   monoio and compio have no cross-thread spawn, so each of their two executors spawns its
//!   half locally — an easier job, which `asyncio-rs-per-loop` does too, with `spawn_on` and
//!   local spawns).
//! - `echo-mc`: the echo server on every loop (`SO_REUSEPORT` listeners, or the runtime's
//!   shared listener), the echo workloads' client as it is.
//! - `hyper-wrk-mc`: hyper's hello world on every loop under `wrk -t1 -c100`.
//! - `fetch-demo-mc`: the demo job with `asyncio-fetch --loops 2`, against reqwest on tokio's
//!   multi-threaded runtime (two workers); peak RSS per client.

#[cfg(feature = "peers")]
mod peers;
pub(crate) mod servers;
mod spawn;

use super::Measurement;

/// Loops (workers, executors) per runtime.
pub(crate) const LOOPS: usize = 2;

pub(crate) fn supports(workload: &str, runtime: &str) -> bool {
    let ours = matches!(runtime, "asyncio-rs" | "tokio-mt");
    let peer = matches!(runtime, "smol" | "monoio" | "glommio" | "compio");
    match workload {
        "spawn-mc" if runtime == "asyncio-rs-per-loop" => true,
        "spawn-mc" | "echo-mc" => ours || (cfg!(feature = "peers") && peer),
        "hyper-wrk-mc" => ours,
        "fetch-demo-mc" => matches!(runtime, "asyncio-rs" | "reqwest"),
        _ => false,
    }
}

pub(crate) fn run(workload: &str, runtime: &str) -> Measurement {
    match workload {
        "spawn-mc" => spawn::run(runtime),
        "echo-mc" => super::echo::run_with("echo", runtime, "--serve-echo-mc"),
        "hyper-wrk-mc" => super::hyper_wrk::run_with(runtime, "--serve-hyper-mc"),
        "fetch-demo-mc" => super::fetch::run_with(runtime, LOOPS),
        other => panic!("not a multi-core workload: {other}"),
    }
}

/// Binds `n` listeners on one loopback port with `SO_REUSEPORT` (the kernel spreads the
/// connections over them).
#[cfg_attr(not(feature = "peers"), allow(dead_code))]
pub(crate) fn reuseport_listeners(n: usize) -> Vec<std::net::TcpListener> {
    let mut addr: std::net::SocketAddr = "127.0.0.1:0".parse().expect("addr");
    (0..n)
        .map(|_| {
            let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                .expect("socket");
            s.set_reuse_address(true).expect("SO_REUSEADDR");
            s.set_reuse_port(true).expect("SO_REUSEPORT");
            s.bind(&addr.into()).expect("bind");
            s.listen(1024).expect("listen");
            let l: std::net::TcpListener = s.into();
            addr = l.local_addr().expect("addr");
            l
        })
        .collect()
}

/// Prints the port of the first listener (the server processes' first line).
pub(crate) fn announce(port: u16) {
    use std::io::Write;
    println!("{port}");
    std::io::stdout().flush().expect("flush");
}

/// `--serve-echo-mc RUNTIME`.
pub(crate) fn serve_echo(runtime: &str) {
    match runtime {
        "asyncio-rs" => servers::asyncio_echo(),
        "tokio-mt" => servers::tokio_echo(),
        #[cfg(feature = "peers")]
        other => peers::serve_echo(other),
        #[cfg(not(feature = "peers"))]
        other => panic!("no multi-core echo server for {other}"),
    }
}

/// `--serve-hyper-mc RUNTIME`.
pub(crate) fn serve_hyper(runtime: &str) {
    match runtime {
        "asyncio-rs" => servers::asyncio_hyper(),
        "tokio-mt" => servers::tokio_hyper(),
        other => panic!("no multi-core hyper server for {other}"),
    }
}

/// The `spawn-mc` workload.
pub(crate) const SPAWN_MC: super::Workload = super::Workload {
    name: "spawn-mc",
    info: super::Info {
        count: 1e6,
        unit: "tasks/s",
        description: "1,000,000 Send tasks spread over 2 loops/workers, awaited and summed",
    },
    supports: |runtime| supports("spawn-mc", runtime),
    run: |runtime| run("spawn-mc", runtime),
};

/// The `echo-mc` workload.
pub(crate) const ECHO_MC: super::Workload = super::Workload {
    name: "echo-mc",
    info: super::Info {
        count: (super::echo::CONNECTIONS * super::echo::SMALL_ROUND_TRIPS) as f64,
        unit: "round trips/s",
        description: "echo server on 2 loops; 100 connections × 10,000 round trips of 64 B (one mio client on the same 2 cores)",
    },
    supports: |runtime| supports("echo-mc", runtime),
    run: |runtime| run("echo-mc", runtime),
};

/// The `hyper-wrk-mc` workload.
pub(crate) const HYPER_WRK_MC: super::Workload = super::Workload {
    name: "hyper-wrk-mc",
    info: super::Info {
        count: super::hyper_wrk::REQUESTS as f64,
        unit: "requests/s",
        description:
            "hyper hello world on 2 loops under wrk -t1 -c100 -d5s (wrk shares the 2 cores)",
    },
    supports: |runtime| supports("hyper-wrk-mc", runtime),
    run: |runtime| run("hyper-wrk-mc", runtime),
};

/// The `fetch-demo-mc` workload.
pub(crate) const FETCH_DEMO_MC: super::Workload = super::Workload {
    name: "fetch-demo-mc",
    info: super::Info {
        count: super::fetch::URLS as f64,
        unit: "URLs/s",
        description:
            "the demo job on 2 loops (reqwest: tokio multi_thread, 2 workers); peak RSS per client",
    },
    supports: |runtime| supports("fetch-demo-mc", runtime),
    run: |runtime| run("fetch-demo-mc", runtime),
};
