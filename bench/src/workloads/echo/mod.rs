//! The `echo` workloads: a server per runtime in its own process, the same mio client for all,
//! 100 connections doing round trips of a fixed message size. Reports round trips/s, latency
//! percentiles and the server's CPU seconds.

mod client;
#[cfg(feature = "peers")]
pub(crate) mod peers;
pub(crate) mod python;
pub(crate) mod servers;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use super::Measurement;

/// Connections the client holds.
pub(crate) const CONNECTIONS: usize = 100;

/// Round trips per connection of 64 B and 1 KiB messages.
pub(crate) const SMALL_ROUND_TRIPS: usize = 10_000;
/// Round trips per connection of 100 KiB messages: fewer keep a run near the others' length.
const LARGE_ROUND_TRIPS: usize = 200;
/// Round trips per connection against the Python servers: fewer, or a run of CPython's loop
/// takes a minute.
const PY_ROUND_TRIPS: usize = 1_000;

/// The message size and round trips per connection of an echo workload.
pub(crate) fn shape(workload: &str) -> (usize, usize) {
    match workload {
        "echo" => (64, SMALL_ROUND_TRIPS),
        "echo-1k" => (1024, SMALL_ROUND_TRIPS),
        "echo-100k" => (100 * 1024, LARGE_ROUND_TRIPS),
        "py-echo-streams" => (64, PY_ROUND_TRIPS),
        other => panic!("not an echo workload: {other}"),
    }
}

/// Runtimes with an echo server here for `workload`: `py-echo-streams` is issue 11's, the
/// same asyncio streams server on each Python loop.
pub(crate) fn supports(workload: &str, runtime: &str) -> bool {
    if workload == "py-echo-streams" {
        // rloop 0.5's streams server stalls here: with 100 connections it stops answering
        // after the first round trips (seen 2026-11-29), so the run would never end.
        return super::pyloop::supports(runtime) && runtime != "rloop";
    }
    matches!(
        runtime,
        "asyncio-rs" | "asyncio-rs-protocol" | "tokio-ct" | "python-asyncio" | "uvloop"
    ) || peer_supports(runtime)
}

#[cfg(feature = "peers")]
fn peer_supports(runtime: &str) -> bool {
    peers::supports(runtime)
}

#[cfg(not(feature = "peers"))]
fn peer_supports(_runtime: &str) -> bool {
    false
}

/// `--serve-echo RUNTIME`: bind 127.0.0.1:0, print the port, serve until killed.
pub(crate) fn serve(runtime: &str) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    println!("{}", listener.local_addr().expect("addr").port());
    use std::io::Write;
    std::io::stdout().flush().expect("flush");
    match runtime {
        "asyncio-rs" => servers::asyncio_streams(listener),
        "asyncio-rs-protocol" => servers::asyncio_protocol(listener),
        "tokio-ct" => servers::tokio_ct(listener),
        #[cfg(feature = "peers")]
        other => peers::serve(other, listener),
        #[cfg(not(feature = "peers"))]
        other => panic!("no echo server for {other}"),
    }
}

/// The server process, killed on drop.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl ServerProcess {
    fn start(workload: &str, runtime: &str, flag: &str) -> Result<(Self, SocketAddr), String> {
        let mut cmd = match runtime {
            _ if workload == "py-echo-streams" => python::streams_command(runtime)?,
            "python-asyncio" | "uvloop" => python::command(runtime)?,
            _ => {
                let mut c = Command::new(std::env::current_exe().expect("current_exe"));
                c.args([flag, runtime]);
                c
            }
        };
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the {runtime} echo server: {e}"))?;
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("piped"))
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let port: u16 = line
            .trim()
            .parse()
            .map_err(|_| format!("the {runtime} server printed {line:?}, not a port"))?;
        Ok((
            ServerProcess(child),
            SocketAddr::from(([127, 0, 0, 1], port)),
        ))
    }

    /// User + system CPU seconds the server has used.
    fn cpu_s(&self) -> f64 {
        super::support::proc_cpu_s(self.0.id())
    }
}

/// Runs one echo measurement: start the server, run the client, read the server's CPU.
pub(crate) fn run(workload: &str, runtime: &str) -> Measurement {
    run_with(workload, runtime, "--serve-echo")
}

/// One echo measurement against the server `current_exe FLAG RUNTIME` starts.
pub(crate) fn run_with(workload: &str, runtime: &str, flag: &str) -> Measurement {
    let (size, round_trips) = shape(workload);
    let (server, addr) = ServerProcess::start(workload, runtime, flag).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(3);
    });
    let cpu0 = server.cpu_s();
    let client_cpu0 = crate::cpu::process_cpu_time();
    let t0 = Instant::now();
    let mut lat = client::run(addr, CONNECTIONS, size, round_trips).unwrap_or_else(|e| {
        eprintln!("{workload}/{runtime}: {e}");
        std::process::exit(1);
    });
    let wall = t0.elapsed();
    let client_cpu = crate::cpu::process_cpu_time() - client_cpu0;
    let server_cpu = server.cpu_s() - cpu0;
    drop(server);
    lat.sort_unstable();
    Measurement {
        wall_s: wall.as_secs_f64(),
        cpu_s: client_cpu.as_secs_f64(),
        bytes_per_task: None,
        p50_us: Some(client::percentile_us(&lat, 50.0)),
        p99_us: Some(client::percentile_us(&lat, 99.0)),
        channel: None,
        server_cpu_s: Some(server_cpu),
        handovers: None,
        interleaved: None,
    }
}

/// `--echo-client WORKLOAD ADDR`: the client alone, against a server started by hand.
pub(crate) fn client_only(workload: &str, addr: &str) {
    let (size, round_trips) = shape(workload);
    let addr: SocketAddr = addr.parse().expect("an address like 127.0.0.1:8888");
    let t0 = Instant::now();
    let lat = client::run(addr, CONNECTIONS, size, round_trips).expect("echo client");
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "{} round trips in {wall:.3} s: {:.0}/s",
        lat.len(),
        lat.len() as f64 / wall
    );
}

/// The `echo` workload.
pub(crate) const ECHO: super::Workload = super::Workload {
    name: "echo",
    info: super::Info {
        count: (CONNECTIONS * SMALL_ROUND_TRIPS) as f64,
        unit: "round trips/s",
        description: "echo server; 100 connections × 10,000 round trips of 64 B (one mio client)",
    },
    supports: |runtime| supports("echo", runtime),
    run: |runtime| run("echo", runtime),
};

/// The `echo-1k` workload.
pub(crate) const ECHO_1K: super::Workload = super::Workload {
    name: "echo-1k",
    info: super::Info {
        count: (CONNECTIONS * SMALL_ROUND_TRIPS) as f64,
        unit: "round trips/s",
        description: "echo server; 100 connections × 10,000 round trips of 1 KiB",
    },
    supports: |runtime| supports("echo-1k", runtime),
    run: |runtime| run("echo-1k", runtime),
};

/// The `echo-100k` workload.
pub(crate) const ECHO_100K: super::Workload = super::Workload {
    name: "echo-100k",
    info: super::Info {
        count: (CONNECTIONS * LARGE_ROUND_TRIPS) as f64,
        unit: "round trips/s",
        description: "echo server; 100 connections × 200 round trips of 100 KiB",
    },
    supports: |runtime| supports("echo-100k", runtime),
    run: |runtime| run("echo-100k", runtime),
};

/// The `py-echo-streams` workload.
pub(crate) const PY_ECHO_STREAMS: super::Workload = super::Workload {
    name: "py-echo-streams",
    info: super::Info {
        count: (CONNECTIONS * PY_ROUND_TRIPS) as f64,
        unit: "round trips/s",
        description: "Python: asyncio streams echo server; 100 connections × 1,000 round trips of 64 B (the mio client)",
    },
    supports: |runtime| supports("py-echo-streams", runtime),
    run: |runtime| run("py-echo-streams", runtime),
};
