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
pub(crate) mod pyloop;
mod rt;
mod spawn;
mod timeouts;
mod timers;
mod toolkit;
#[cfg(feature = "peers")]
mod uring_file;

use std::time::Instant;

use crate::cpu::process_cpu_time;

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
}

/// What a workload counts.
pub(crate) struct Info {
    pub(crate) count: f64,
    pub(crate) unit: &'static str,
    pub(crate) description: &'static str,
}

pub(crate) const NAMES: &[&str] = &[
    "spawn",
    "pingpong",
    "timeouts",
    "timers",
    "idle-tasks",
    "lateness",
    "queue",
    "lock",
    "lock-unfair",
    "gather",
    "echo",
    "echo-1k",
    "echo-100k",
    "hyper-wrk",
    "blocking",
    "process",
    "file",
    "http",
    "http-large",
    "http-fresh",
    "http-idle",
    "fetch-demo",
    "fetch-demo-fast",
    "crawl",
    "crawl-redis",
    "py-call-soon",
    "py-tasks",
    "py-sleep0",
    "py-timers",
    "py-echo",
    "py-echo-streams",
    "py-aiohttp-wrk",
    "py-idle-conns",
    "spawn-mc",
    "echo-mc",
    "hyper-wrk-mc",
    "fetch-demo-mc",
    "axum-wrk",
    "pg-select",
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
    "smol",
    "monoio",
    "monoio-legacy",
    "glommio",
    "compio",
    "io-uring-raw",
];

/// Whether `workload` has an implementation on `runtime` (the server-only runtimes exist for
/// the echo workloads alone).
pub(crate) fn supports(workload: &str, runtime: &str) -> bool {
    if runtime == "io-uring-raw" {
        return workload == "file";
    }
    if ecosystem::WORKLOADS.contains(&workload) {
        return ecosystem::supports(runtime);
    }
    if multicore::WORKLOADS.contains(&workload) {
        return multicore::supports(workload, runtime);
    }
    if echo::WORKLOADS.contains(&workload) {
        return echo::supports(workload, runtime);
    }
    if workload == "hyper-wrk" {
        return hyper_wrk::supports(runtime);
    }
    if os::WORKLOADS.contains(&workload) {
        return os::supports(workload, runtime);
    }
    if http::WORKLOADS.contains(&workload) {
        return http::supports_workload(workload, runtime);
    }
    if workload == "fetch-demo" || workload == "fetch-demo-fast" {
        return fetch::supports(runtime);
    }
    if workload == "crawl" {
        return crawl::supports(runtime);
    }
    if workload == "crawl-redis" {
        return crawl::supports_redis(runtime);
    }
    if pyloop::WORKLOADS.contains(&workload) {
        return pyloop::supports(runtime);
    }
    if workload == "lock-unfair" && matches!(runtime, "tokio-ct" | "tokio-mt") {
        return false;
    }
    !matches!(
        runtime,
        "asyncio-rs-protocol"
            | "asyncio-rs-per-loop"
            | "python-asyncio"
            | "uvloop"
            | "reqwest"
            | "aiohttp"
            | "aiohttp-uvloop"
            | "scrapy"
            | "wget"
            | "asyncio-rs-1-worker"
            | "rloop"
            | "asyncio-rs-py"
            | "aiohttp-rloop"
            | "aiohttp-asyncio-rs"
    )
}

pub(crate) fn info(workload: &str) -> Info {
    if pyloop::WORKLOADS.contains(&workload) {
        return pyloop::info(workload);
    }
    match workload {
        "axum-wrk" => {
            return Info {
                count: hyper_wrk::REQUESTS as f64,
                unit: "requests/s",
                description: "an axum Router (hello world) under wrk -t1 -c100 -d5s (time per 100,000 requests)",
            };
        }
        "pg-select" => {
            return Info {
                count: 8.0 * ecosystem::PG_QUERIES as f64,
                unit: "queries/s",
                description: "tokio-postgres: 8 connections × 5,000 prepared SELECTs against a local PostgreSQL",
            };
        }
        "spawn-mc" => {
            return Info {
                count: 1e6,
                unit: "tasks/s",
                description: "1,000,000 Send tasks spread over 2 loops/workers, awaited and summed",
            };
        }
        "echo-mc" => {
            return Info {
                count: (echo::CONNECTIONS * echo::shape("echo").1) as f64,
                unit: "round trips/s",
                description: "echo server on 2 loops; 100 connections × 10,000 round trips of 64 B (one mio client on the same 2 cores)",
            };
        }
        "crawl" => {
            return Info {
                count: crawl::PAGES as f64,
                unit: "pages/s",
                description: "the demo server's generated site (20,000 pages, ~10 links each, robots.txt with a disallowed part) crawled whole, robots obeyed, concurrency 64 (wget: one at a time); peak RSS per crawler",
            };
        }
        "crawl-redis" => {
            return Info {
                count: crawl::PAGES as f64,
                unit: "pages/s",
                description: "the crawl workload's site as one job shared on a local redis-server: 2 worker processes of one loop (asyncio-rs) against 1 (asyncio-rs-1-worker); the ratio is the scaling; peak RSS of the largest worker",
            };
        }
        "fetch-demo-fast" => {
            return Info {
                count: fetch::FAST_URLS as f64,
                unit: "URLs/s",
                description: "the demo job with no page delay: 50,000 URLs at concurrency 500, one loop; the client's own cost decides; peak RSS per client",
            };
        }
        "fetch-demo-mc" => {
            return Info {
                count: fetch::URLS as f64,
                unit: "URLs/s",
                description: "the demo job on 2 loops (reqwest: tokio multi_thread, 2 workers); peak RSS per client",
            };
        }
        "hyper-wrk-mc" => {
            return Info {
                count: hyper_wrk::REQUESTS as f64,
                unit: "requests/s",
                description:
                    "hyper hello world on 2 loops under wrk -t1 -c100 -d5s (wrk shares the 2 cores)",
            };
        }
        "fetch-demo" => {
            return Info {
                count: fetch::URLS as f64,
                unit: "URLs/s",
                description: "the demo job: 10,000 URLs at concurrency 500 (~50 ms pages); peak RSS per client",
            };
        }
        "http-idle" => {
            return Info {
                count: http::IDLE_CONNECTIONS as f64,
                unit: "conns/s",
                description:
                    "1,000 connections left idle in the pool; resident bytes per idle connection",
            };
        }
        "http" | "http-large" | "http-fresh" => {
            let (count, _, _) = http::shape(workload);
            return Info {
                count: count as f64,
                unit: "requests/s",
                description: match workload {
                    "http" => "100,000 GETs of 1 KiB from nginx, 100 in flight, keep-alive; nginx pinned to one core, the client to the other; cpu s is the client's",
                    "http-large" => "5,000 GETs of 1 MiB from nginx, 100 in flight; nginx and the client pinned to separate cores",
                    _ => "30,000 GETs of 1 KiB from nginx, a new connection each, 100 in flight; nginx and the client pinned to separate cores",
                },
            };
        }
        "blocking" => {
            return Info {
                count: os::BLOCKING_CALLS as f64,
                unit: "ops/s",
                description:
                    "100,000 to_thread/spawn_blocking calls of a trivial closure, 64 in flight",
            }
        }
        "process" => {
            return Info {
                count: os::PROCESSES as f64,
                unit: "processes/s",
                description: "spawn and wait 1,000 `true` children, 16 in flight",
            }
        }
        "file" => {
            return Info {
                count: (2 * os::FILE_BYTES) as f64 / 1e6,
                unit: "MB/s",
                description: "write then read back a 256 MiB file in 64 KiB chunks",
            }
        }
        _ => {}
    }
    if workload == "hyper-wrk" {
        return Info {
            count: hyper_wrk::REQUESTS as f64,
            unit: "requests/s",
            description:
                "hyper HTTP/1.1 hello world under wrk -t1 -c100 -d5s (time per 100,000 requests)",
        };
    }
    if echo::WORKLOADS.contains(&workload) {
        let (_, round_trips) = echo::shape(workload);
        return Info {
            count: (echo::CONNECTIONS * round_trips) as f64,
            unit: "round trips/s",
            description: match workload {
                "echo" => {
                    "echo server; 100 connections × 10,000 round trips of 64 B (one mio client)"
                }
                "echo-1k" => "echo server; 100 connections × 10,000 round trips of 1 KiB",
                "py-echo-streams" => {
                    "Python: asyncio streams echo server; 100 connections × 1,000 round trips of 64 B (the mio client)"
                }
                _ => "echo server; 100 connections × 200 round trips of 100 KiB",
            },
        };
    }
    match workload {
        "spawn" => Info {
            count: spawn::N as f64,
            unit: "tasks/s",
            description: "1,000,000 tasks each returning a number, all awaited and summed",
        },
        "pingpong" => Info {
            count: pingpong::N as f64,
            unit: "round trips/s",
            description:
                "two tasks pass a token through two one-slot channels, 1,000,000 round trips",
        },
        "timeouts" => Info {
            count: timeouts::N as f64,
            unit: "ops/s",
            description: "1,000,000 × a future that yields once, inside a 10 s timeout",
        },
        "timers" => Info {
            count: timers::N as f64,
            unit: "timers/s",
            description: "100,000 tasks sleep a pseudo-random 1..100 ms (fixed seed), gathered",
        },
        "idle-tasks" => Info {
            count: idle_tasks::N as f64,
            unit: "tasks/s",
            description: "1,000,000 tasks parked on a long sleep; resident bytes per task",
        },
        "lateness" => Info {
            count: lateness::N as f64,
            unit: "sleeps/s",
            description: "200 sleeps in a row of 0.5–3 ms on an idle loop; how late each wakes",
        },
        "queue" => Info {
            count: toolkit::QUEUE_ITEMS as f64,
            unit: "items/s",
            description: "1 producer, 4 consumers, capacity 1024, 1,000,000 items (task_done/join on our side)",
        },
        "lock" => Info {
            count: (toolkit::LOCK_TASKS * toolkit::LOCK_ROUNDS) as f64,
            unit: "ops/s",
            description: "100 tasks lock and unlock one mutex 10,000 times each, yielding inside; asyncio-rs and tokio hand the lock over FIFO (fair), the peers' async-lock lets a releaser take it back (unfair)",
        },
        "lock-unfair" => Info {
            count: (toolkit::LOCK_TASKS * toolkit::LOCK_ROUNDS) as f64,
            unit: "ops/s",
            description: "as lock, with unfair locks on every side: asyncio-rs's opt-in Mutex::new_unfair and the peers' async-lock (tokio has no unfair mutex)",
        },
        "gather" => Info {
            count: (toolkit::GATHER_FUTURES * toolkit::GATHER_ROUNDS) as f64,
            unit: "ops/s",
            description: "gather 100,000 ready futures, 10 times",
        },
        other => panic!("unknown workload {other}"),
    }
}

/// Runs one workload on one runtime in this process.
pub(crate) fn run(workload: &str, runtime: &str) -> Measurement {
    if ecosystem::WORKLOADS.contains(&workload) {
        return ecosystem::run(workload, runtime);
    }
    if multicore::WORKLOADS.contains(&workload) {
        return multicore::run(workload, runtime);
    }
    if echo::WORKLOADS.contains(&workload) {
        return echo::run(workload, runtime);
    }
    if workload == "hyper-wrk" {
        return hyper_wrk::run(runtime);
    }
    if os::WORKLOADS.contains(&workload) {
        return os::run(workload, runtime);
    }
    if http::WORKLOADS.contains(&workload) {
        return http::run(workload, runtime);
    }
    if workload == "fetch-demo" {
        return fetch::run(runtime);
    }
    if workload == "fetch-demo-fast" {
        return fetch::run_fast(runtime);
    }
    if workload == "crawl" {
        return crawl::run(runtime);
    }
    if workload == "crawl-redis" {
        return crawl::run_redis(runtime);
    }
    if pyloop::WORKLOADS.contains(&workload) {
        return pyloop::run(workload, runtime);
    }
    #[cfg(feature = "peers")]
    if let Some(m) = local::run(workload, runtime) {
        return m;
    }
    match workload {
        "spawn" => spawn::run(runtime),
        "pingpong" => pingpong::run(runtime),
        "timeouts" => timeouts::run(runtime),
        "timers" => timers::run(runtime),
        "idle-tasks" => idle_tasks::run(runtime),
        "lateness" => lateness::run(runtime),
        "queue" | "lock" | "lock-unfair" | "gather" => toolkit_run(workload, runtime),
        other => panic!("unknown workload {other}"),
    }
}

/// Times `f` (wall and process CPU).
pub(crate) fn timed<R>(f: impl FnOnce() -> R) -> (Measurement, R) {
    let cpu0 = process_cpu_time();
    let t0 = Instant::now();
    let r = f();
    let wall = t0.elapsed();
    let cpu = process_cpu_time() - cpu0;
    (
        Measurement {
            wall_s: wall.as_secs_f64(),
            cpu_s: cpu.as_secs_f64(),
            bytes_per_task: None,
            p50_us: None,
            p99_us: None,
            channel: None,
            server_cpu_s: None,
        },
        r,
    )
}

fn toolkit_run(workload: &str, runtime: &str) -> Measurement {
    match (workload, runtime) {
        ("queue", "asyncio-rs") => toolkit::ours::queue(),
        ("lock", "asyncio-rs") => toolkit::ours::lock(),
        ("lock-unfair", "asyncio-rs") => toolkit::ours::lock_unfair(),
        ("gather", "asyncio-rs") => toolkit::ours::gather(),
        ("queue", "tokio-ct" | "tokio-mt") => toolkit::tokio_side::queue(runtime),
        ("lock", "tokio-ct" | "tokio-mt") => toolkit::tokio_side::lock(runtime),
        ("gather", "tokio-ct" | "tokio-mt") => toolkit::tokio_side::gather(runtime),
        (w, r) => panic!("{w}: unknown runtime {r}"),
    }
}
