//! The workloads, each run the same way on every runtime.

pub(crate) mod crawl;
pub(crate) mod echo;
pub(crate) mod ecosystem;
pub(crate) mod fetch;
mod http;
pub(crate) mod hyper_wrk;
mod idle_tasks;
mod lateness;
#[cfg(feature = "peers")]
mod local;
pub(crate) mod multicore;
mod os;
#[cfg(feature = "peers")]
mod os_peers;
mod pingpong;
mod pyfetch;
pub(crate) mod pyloop;
mod rt;
mod spawn;
pub(crate) mod support;
mod timeouts;
mod timers;
mod toolkit;
mod upload;
#[cfg(feature = "peers")]
mod uring_file;
pub(crate) mod ws_echo;

/// One measurement, taken in a child process.
pub(crate) struct Measurement {
    pub(crate) wall_s: f64,
    pub(crate) cpu_s: f64,
    pub(crate) bytes_per_task: Option<f64>,
    /// Percentiles, for workloads that measure a latency (µs).
    pub(crate) p50_us: Option<f64>,
    pub(crate) p99_us: Option<f64>,
    /// The channel a workload used on this runtime, where it needs one.
    pub(crate) channel: Option<String>,
    /// CPU seconds of the server process (echo workloads).
    pub(crate) server_cpu_s: Option<f64>,
    /// `lock` workloads: the share of acquisitions that went to another task than the last
    /// holder (1.0 for a fair lock; near 0 when a holder's yield does not let others run).
    pub(crate) handovers: Option<f64>,
    /// `lock` workloads: the share of a holder's yields during which another task ran (see
    /// `toolkit::Contention`).
    pub(crate) interleaved: Option<f64>,
}

/// What a workload counts.
#[derive(Clone, Copy)]
pub(crate) struct Info {
    pub(crate) count: f64,
    pub(crate) unit: &'static str,
    pub(crate) description: &'static str,
}

/// One workload: its name, what it counts, the runtimes it runs on, and how it runs. Each is
/// a `const` beside its code; [`ALL`] lists them.
pub(crate) struct Workload {
    /// The name on the command line and in `--json` (stable).
    pub(crate) name: &'static str,
    pub(crate) info: Info,
    /// Whether it has an implementation on a runtime.
    pub(crate) supports: fn(&str) -> bool,
    /// One measurement on a runtime, in this process.
    pub(crate) run: fn(&str) -> Measurement,
}

/// Every workload, in the order the command line lists and runs them (stable: other tooling
/// reads the output).
pub(crate) const ALL: &[&Workload] = &[
    &spawn::SPAWN,
    &pingpong::PINGPONG,
    &timeouts::TIMEOUTS,
    &timers::TIMERS,
    &idle_tasks::IDLE_TASKS,
    &lateness::LATENESS,
    &toolkit::QUEUE,
    &toolkit::LOCK,
    &toolkit::LOCK_UNFAIR,
    &toolkit::GATHER,
    &echo::ECHO,
    &echo::ECHO_1K,
    &echo::ECHO_100K,
    &hyper_wrk::HYPER_WRK,
    &os::BLOCKING,
    &os::PROCESS,
    &os::FILE,
    &http::HTTP,
    &http::HTTP_LARGE,
    &http::HTTP_FRESH,
    &http::HTTP_IDLE,
    &fetch::FETCH_DEMO,
    &fetch::FETCH_DEMO_FAST,
    &crawl::CRAWL,
    &crawl::CRAWL_REDIS,
    &pyloop::PY_CALL_SOON,
    &pyloop::PY_TASKS,
    &pyloop::PY_SLEEP0,
    &pyloop::PY_TIMERS,
    &pyloop::PY_ECHO,
    &echo::PY_ECHO_STREAMS,
    &pyloop::PY_AIOHTTP_WRK,
    &pyloop::PY_IDLE_CONNS,
    &multicore::SPAWN_MC,
    &multicore::ECHO_MC,
    &multicore::HYPER_WRK_MC,
    &multicore::FETCH_DEMO_MC,
    &ecosystem::AXUM_WRK,
    &ecosystem::PG_SELECT,
    &ws_echo::WS_ECHO,
    &upload::HTTP_PROXY,
    &upload::UPLOAD,
    &pyfetch::PY_FETCH_FAST,
    &pyfetch::PY_FETCH_DEMO,
];

#[cfg(not(feature = "peers"))]
pub(crate) const RUNTIMES: &[&str] = &[
    "asyncio-rs",
    "asyncio-rs-protocol",
    "asyncio-rs-per-loop",
    "tokio-ct",
    "tokio-mt",
    "python-asyncio",
    "uvloop",
    "reqwest",
    "aiohttp",
    "aiohttp-uvloop",
    "scrapy",
    "wget",
    "asyncio-rs-1-worker",
    "rloop",
    "asyncio-rs-py",
    "aiohttp-rloop",
    "aiohttp-asyncio-rs",
    "python-websockets",
    "httpx",
    "pyreqwest",
    "rnet",
];
#[cfg(feature = "peers")]
pub(crate) const RUNTIMES: &[&str] = &[
    "asyncio-rs",
    "asyncio-rs-protocol",
    "asyncio-rs-per-loop",
    "tokio-ct",
    "tokio-mt",
    "python-asyncio",
    "uvloop",
    "reqwest",
    "aiohttp",
    "aiohttp-uvloop",
    "scrapy",
    "wget",
    "asyncio-rs-1-worker",
    "rloop",
    "asyncio-rs-py",
    "aiohttp-rloop",
    "aiohttp-asyncio-rs",
    "python-websockets",
    "httpx",
    "pyreqwest",
    "rnet",
    "smol",
    "monoio",
    "monoio-legacy",
    "glommio",
    "compio",
    "io-uring-raw",
];

/// Every workload's name, in [`ALL`]'s order.
pub(crate) fn names() -> Vec<&'static str> {
    ALL.iter().map(|w| w.name).collect()
}

/// The workload named `name`.
///
/// # Panics
/// No workload has that name (the command line checks names first).
pub(crate) fn get(name: &str) -> &'static Workload {
    ALL.iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("unknown workload {name}"))
}

/// What `workload` counts.
pub(crate) fn info(workload: &str) -> Info {
    get(workload).info
}

/// Whether `workload` has an implementation on `runtime`. `io-uring-raw` is no runtime, only
/// a file loop driven by hand: it runs `file` alone.
pub(crate) fn supports(workload: &str, runtime: &str) -> bool {
    let w = get(workload);
    if runtime == "io-uring-raw" {
        return w.name == "file";
    }
    (w.supports)(runtime)
}

/// Runs one workload on one runtime in this process.
pub(crate) fn run(workload: &str, runtime: &str) -> Measurement {
    (get(workload).run)(runtime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_has_one_entry_that_some_runtime_runs() {
        let names = names();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "a name is registered twice");
        for w in ALL {
            assert!(w.info.count > 0.0, "{}", w.name);
            assert!(!w.info.unit.is_empty() && !w.info.description.is_empty());
            assert!(
                RUNTIMES.iter().any(|r| supports(w.name, r)),
                "{} runs on no runtime",
                w.name
            );
        }
    }

    #[test]
    fn io_uring_raw_runs_the_file_workload_alone() {
        for w in ALL {
            assert_eq!(supports(w.name, "io-uring-raw"), w.name == "file");
        }
    }
}
