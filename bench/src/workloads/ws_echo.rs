//! `ws-echo`: WebSocket echo servers side by side. One client (asyncio-http's `ws_connect`,
//! the same for every server) opens 100 connections and makes 10,000 round trips of a 64-byte
//! binary message on each. The runtime named is the server's: `asyncio-rs` (the router's
//! WebSocket route), `tokio-ct` (tokio-tungstenite on tokio's current-thread runtime),
//! `python-websockets` (the `websockets` package on asyncio) and `aiohttp-uvloop`. The server
//! runs in its own process, pinned to one core, the client to the other; cpu s is the server's.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::support::{proc_cpu_s, python_with};
use super::Measurement;

const CONNECTIONS: usize = 100;
const ROUND_TRIPS: usize = 10_000;
const MESSAGE: usize = 64;

fn supports(runtime: &str) -> bool {
    matches!(
        runtime,
        "asyncio-rs" | "tokio-ct" | "python-websockets" | "aiohttp-uvloop"
    )
}

/// `--serve-ws RUNTIME`: a WebSocket echo server on 127.0.0.1:0; prints the port first.
pub(crate) fn serve(runtime: &str) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    println!("{}", listener.local_addr().expect("addr").port());
    use std::io::Write;
    std::io::stdout().flush().expect("flush");
    match runtime {
        "asyncio-rs" => asyncio::run(async move {
            use asyncio_http::server::{serve_on, Router};
            use asyncio_http::ws::Message;
            let listener = asyncio::net::TcpListener::from_std(listener).unwrap();
            let router = Router::new().websocket("/", |_req, mut ws| async move {
                while let Ok(Some(m)) = ws.receive().await {
                    if matches!(m, Message::Binary(_) | Message::Text(_))
                        && ws.send(m).await.is_err()
                    {
                        break;
                    }
                }
            });
            serve_on(vec![listener], router)
                .unwrap()
                .serve_forever()
                .await;
        }),
        "tokio-ct" => super::rt::tokio_ct().block_on(async move {
            use futures_util::{SinkExt, StreamExt};
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (s, _) = listener.accept().await.unwrap();
                s.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let Ok(mut ws) = tokio_tungstenite::accept_async(s).await else {
                        return;
                    };
                    while let Some(Ok(m)) = ws.next().await {
                        if (m.is_binary() || m.is_text()) && ws.send(m).await.is_err() {
                            break;
                        }
                    }
                });
            }
        }),
        other => panic!("no WebSocket server for {other}"),
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(runtime: &str) -> (Server, u16) {
    let mut cmd = match runtime {
        "python-websockets" | "aiohttp-uvloop" => {
            let py = python_with(&["uvloop", "aiohttp", "websockets"]).unwrap_or_else(|e| {
                eprintln!("ws-echo/{runtime} {e}");
                std::process::exit(3);
            });
            let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/ws_echo_server.py");
            let mut c = Command::new(py);
            c.arg(script).arg(if runtime == "aiohttp-uvloop" {
                "aiohttp"
            } else {
                "websockets"
            });
            c
        }
        _ => {
            let mut c = Command::new(std::env::current_exe().expect("current_exe"));
            c.args(["--serve-ws", runtime]);
            c
        }
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().expect("piped"))
        .read_line(&mut line)
        .expect("server port");
    let port = line
        .trim()
        .trim_start_matches("PORT ")
        .parse()
        .unwrap_or_else(|_| panic!("ws-echo/{runtime}: no port in {line:?}"));
    (Server(child), port)
}

fn run(runtime: &str) -> Measurement {
    let (server, port) = start(runtime);
    crate::cpu::pin_to_cpu(server.0.id() as libc::pid_t, 1);
    crate::cpu::pin_to_cpu(0, 0);
    let url = format!("ws://127.0.0.1:{port}/");
    let cpu0 = proc_cpu_s(server.0.id());
    let (mut m, ()) = super::rt::asyncio(async move {
        let session = asyncio_http::ClientSession::new();
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                let (session, url) = (session.clone(), url.clone());
                asyncio::spawn(async move {
                    let mut ws = session
                        .ws_connect(&url)
                        .max_message_size(None)
                        .connect()
                        .await
                        .unwrap();
                    let payload = bytes::Bytes::from(vec![b'w'; MESSAGE]);
                    for _ in 0..ROUND_TRIPS {
                        ws.send_binary(payload.clone()).await.unwrap();
                        match ws.receive().await.unwrap() {
                            Some(asyncio_http::ws::Message::Binary(b)) => {
                                assert_eq!(b.len(), MESSAGE)
                            }
                            other => panic!("ws-echo: unexpected {other:?}"),
                        }
                    }
                    ws.close(1000, "").await.unwrap();
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
    m.server_cpu_s = Some(proc_cpu_s(server.0.id()) - cpu0);
    drop(server);
    m
}

/// The `ws-echo` workload.
pub(crate) const WS_ECHO: super::Workload = super::Workload {
    name: "ws-echo",
    info: super::Info {
        count: (CONNECTIONS * ROUND_TRIPS) as f64,
        unit: "round trips/s",
        description: "WebSocket echo: 100 connections × 10,000 round trips of 64 B from one asyncio-http client; the runtime is the server's (pinned to its own core); cpu s is the server's",
    },
    supports,
    run,
};
