//! `asyncio-bench`: runs each workload on asyncio-rs and its peers, interleaved, in separate
//! child processes, and prints medians and ratios (or JSON lines with `--json`).
//!
//! ```text
//! cargo run --release -p asyncio-bench [--features peers] -- [--workloads a,b] [--reps N] [--json]
//! ```

mod cpu;
mod harness;
mod instructions;
mod plot;
mod report;
mod rng;
mod workloads;

use clap::Parser;

/// Command line. Keep it stable: other tooling calls it.
#[derive(Parser, Debug)]
#[command(
    name = "asyncio-bench",
    about = "asyncio-rs vs tokio and the thread-per-core runtimes"
)]
struct Args {
    /// Comma-separated workloads (default: all).
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<String>,
    /// Comma-separated runtimes (default: all built).
    #[arg(long, value_delimiter = ',')]
    runtimes: Vec<String>,
    /// Repetitions per workload and runtime.
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
    /// Also count the instructions of one run of each workload and runtime (perf where the
    /// CPU's counters are reachable, else valgrind's callgrind; a separate, untimed run).
    #[arg(long)]
    instructions: bool,
    /// Also write the results as an SVG bar chart to this file.
    #[arg(long, value_name = "FILE")]
    plot: Option<std::path::PathBuf>,
    /// Internal: serve the echo workload with this runtime on 127.0.0.1 (prints the port).
    #[arg(long, hide = true, value_name = "RUNTIME")]
    serve_echo: Option<String>,
    /// Internal: serve hyper's hello world with this runtime on 127.0.0.1 (prints the port).
    #[arg(long, hide = true, value_name = "RUNTIME")]
    serve_hyper: Option<String>,
    /// Internal: the multi-core echo server of this runtime (prints the port).
    #[arg(long, hide = true, value_name = "RUNTIME")]
    serve_echo_mc: Option<String>,
    /// Internal: the multi-core hyper server of this runtime (prints the port).
    #[arg(long, hide = true, value_name = "RUNTIME")]
    serve_hyper_mc: Option<String>,
    /// Internal: serve the axum-wrk router with this runtime (prints the port).
    #[arg(long, hide = true, value_name = "RUNTIME")]
    serve_axum: Option<String>,
    /// Internal: the ws-echo WebSocket server of this runtime (prints the port).
    #[arg(long, hide = true, value_name = "RUNTIME")]
    serve_ws: Option<String>,
    /// Internal: run the echo client of WORKLOAD against a server at ADDR (for profiling).
    #[arg(long, hide = true, num_args = 2, value_names = ["WORKLOAD", "ADDR"])]
    echo_client: Vec<String>,
    /// Internal: the reqwest client of the fetch-demo workload.
    #[arg(long, hide = true, value_name = "FILE")]
    fetch_reqwest: Option<String>,
    /// Internal: the reqwest client of fetch-demo-mc (tokio multi_thread).
    #[arg(long, hide = true, value_name = "FILE")]
    fetch_reqwest_mt: Option<String>,
    /// Internal: run one measurement in this process and print it as JSON.
    #[arg(long, hide = true, num_args = 2, value_names = ["WORKLOAD", "RUNTIME"])]
    child: Vec<String>,
}

fn main() {
    let args = Args::parse();
    if let [workload, addr] = args.echo_client.as_slice() {
        workloads::echo::client_only(workload, addr);
        return;
    }
    if let Some(file) = &args.fetch_reqwest_mt {
        workloads::fetch::reqwest_client_mt(file);
        return;
    }
    if let Some(file) = &args.fetch_reqwest {
        workloads::fetch::reqwest_client(file);
        return;
    }
    if let Some(runtime) = &args.serve_hyper {
        workloads::hyper_wrk::serve(runtime);
        return;
    }
    if let Some(runtime) = &args.serve_axum {
        workloads::ecosystem::serve_axum(runtime);
        return;
    }
    if let Some(runtime) = &args.serve_echo_mc {
        workloads::multicore::serve_echo(runtime);
        return;
    }
    if let Some(runtime) = &args.serve_hyper_mc {
        workloads::multicore::serve_hyper(runtime);
        return;
    }
    if let Some(runtime) = &args.serve_ws {
        workloads::ws_echo::serve(runtime);
        return;
    }
    if let Some(runtime) = &args.serve_echo {
        workloads::echo::serve(runtime);
        return;
    }
    if let [workload, runtime] = args.child.as_slice() {
        harness::child(workload, runtime);
        return;
    }
    let workloads = harness::select(&args.workloads, &workloads::names(), "workload");
    let runtimes = harness::select(&args.runtimes, workloads::RUNTIMES, "runtime");
    let mut results = harness::run_all(&workloads, &runtimes, args.reps.max(1), !args.json);
    if args.instructions {
        harness::count_instructions(&mut results, !args.json);
    }
    if args.json {
        report::json(&results);
    } else {
        report::table(&results);
    }
    if let Some(path) = &args.plot {
        let caption = format!(
            "asyncio-bench: medians of {} interleaved runs; bar = score ÷ best score (longer is better)",
            args.reps.max(1)
        );
        if let Err(e) = std::fs::write(path, plot::svg(&results, &caption)) {
            eprintln!("cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
    }
}
