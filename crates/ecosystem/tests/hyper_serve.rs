//! `compat::hyper::serve` with the crates users bring: an axum `Router`, a hyper upgrade to a
//! WebSocket (async-tungstenite), HTTP/2, graceful shutdown and the header-read timeout.

use std::convert::Infallible;
use std::time::Duration;

use async_tungstenite::tungstenite::handshake::derive_accept_key;
use async_tungstenite::tungstenite::protocol::Role;
use async_tungstenite::tungstenite::Message;
use asyncio::compat::hyper::{serve, serve_with, Config, FuturesIo};
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};

#[test]
fn an_axum_router_serves_in_one_call() {
    use axum::extract::{Path, Query};
    use axum::routing::{get, post};
    use axum::Json;

    #[derive(serde::Deserialize)]
    struct Greeting {
        name: String,
    }

    asyncio::run(async {
        let app = axum::Router::new()
            .route("/", get(|| async { "hello from axum" }))
            .route(
                "/users/{id}",
                get(|Path(id): Path<u32>| async move { format!("user {id}") }),
            )
            .route(
                "/greet",
                get(|Query(g): Query<Greeting>| async move { format!("hi {}", g.name) }),
            )
            .route(
                "/echo",
                post(|Json(v): Json<serde_json::Value>| async move { Json(v) }),
            );
        let server = serve(
            "127.0.0.1:0",
            hyper_util::service::TowerToHyperService::new(app),
        )
        .await
        .unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());
        let session = asyncio_http::ClientSession::new();
        let text = |path: &str| {
            let (session, url) = (session.clone(), format!("{base}{path}"));
            async move {
                let r = session.get(url.as_str()).send().await.unwrap();
                (r.status(), r.text().await.unwrap())
            }
        };
        assert_eq!(
            text("/").await,
            (StatusCode::OK, "hello from axum".to_owned())
        );
        assert_eq!(
            text("/users/7").await,
            (StatusCode::OK, "user 7".to_owned())
        );
        assert_eq!(
            text("/greet?name=ada").await,
            (StatusCode::OK, "hi ada".to_owned())
        );
        assert_eq!(text("/nowhere").await.0, StatusCode::NOT_FOUND);
        let r = session
            .post(format!("{base}/echo").as_str())
            .json(&serde_json::json!({"a": [1, 2, 3]}))
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v, serde_json::json!({"a": [1, 2, 3]}));
        assert_eq!(server.shutdown(Duration::from_secs(1)).await, 0);
    });
}

/// Answers a WebSocket handshake and echoes every message on the upgraded connection.
async fn websocket_echo(mut req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let Some(key) = req.headers().get("sec-websocket-key").cloned() else {
        return Ok(Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .body(Full::new(Bytes::from("not a websocket")))
            .unwrap());
    };
    let upgrade = hyper::upgrade::on(&mut req);
    asyncio::spawn(async move {
        let upgraded = upgrade.await.expect("upgraded");
        let mut ws = async_tungstenite::WebSocketStream::from_raw_socket(
            FuturesIo(upgraded),
            Role::Server,
            None,
        )
        .await;
        while let Some(Ok(msg)) = ws.next().await {
            if msg.is_close() || ws.send(msg).await.is_err() {
                break;
            }
        }
    });
    Ok(Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header("upgrade", "websocket")
        .header("connection", "upgrade")
        .header("sec-websocket-accept", derive_accept_key(key.as_bytes()))
        .body(Full::new(Bytes::new()))
        .unwrap())
}

#[test]
fn a_hyper_upgrade_to_a_websocket_echoes_a_thousand_messages() {
    asyncio::run(async {
        let server = serve("127.0.0.1:0", service_fn(websocket_echo))
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let stream = asyncio::net::TcpStream::connect(addr).await.unwrap();
        let (mut ws, resp) = async_tungstenite::client_async(format!("ws://{addr}/ws"), stream)
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
        for i in 0..1000 {
            ws.send(Message::text(format!("message {i}")))
                .await
                .unwrap();
            let back = ws.next().await.unwrap().unwrap();
            assert_eq!(back.into_text().unwrap().as_str(), format!("message {i}"));
        }
        ws.close(None).await.unwrap();
        server.close();
    });
}

fn hello() -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl std::future::Future<Output = Result<Response<Full<Bytes>>, Infallible>>,
> + Clone {
    service_fn(|req: Request<Incoming>| async move {
        Ok(Response::new(Full::new(Bytes::from(format!(
            "{:?}",
            req.version()
        )))))
    })
}

#[test]
fn http2_with_prior_knowledge_is_served_on_the_same_port() {
    asyncio::run(async {
        let server = serve("127.0.0.1:0", hello()).await.unwrap();
        let stream = asyncio::net::TcpStream::connect(server.local_addr().unwrap())
            .await
            .unwrap();
        let (mut sender, conn) =
            hyper::client::conn::http2::Builder::new(asyncio::compat::LoopExecutor)
                .timer(asyncio::compat::LoopTimer)
                .handshake(asyncio::compat::HyperIo(stream))
                .await
                .unwrap();
        asyncio::spawn(async move {
            let _ = conn.await;
        });
        for _ in 0..3 {
            let req = Request::builder()
                .uri("http://localhost/")
                .body(Full::new(Bytes::new()))
                .unwrap();
            let resp = sender.send_request(req).await.unwrap();
            assert_eq!(resp.version(), hyper::Version::HTTP_2);
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"HTTP/2.0");
        }
        server.close();
    });
}

#[test]
fn shutdown_lets_the_request_in_flight_finish_then_closes() {
    asyncio::run(async {
        let started = asyncio::sync::Event::new();
        let release = asyncio::sync::Event::new();
        let service = {
            let (started, release) = (started.clone(), release.clone());
            service_fn(move |_req: Request<Incoming>| {
                let (started, release) = (started.clone(), release.clone());
                async move {
                    started.set();
                    release.wait().await;
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("finished"))))
                }
            })
        };
        let server = serve_with(
            asyncio::net::TcpListener::bind_all("127.0.0.1:0")
                .await
                .unwrap(),
            service,
            Config::default(),
        )
        .unwrap();
        let addr = server.local_addr().unwrap();
        let session = asyncio_http::ClientSession::new();
        let client = asyncio::spawn({
            let url = format!("http://{addr}/slow");
            async move {
                let r = session.get(url.as_str()).send().await.unwrap();
                (r.status(), r.text().await.unwrap())
            }
        });
        started.wait().await;
        let shutdown = asyncio::spawn({
            let server = server.clone();
            async move { server.shutdown(Duration::from_secs(30)).await }
        });
        // The shutdown has begun: no new connections, the one in flight goes on.
        asyncio::time::yield_now().await;
        assert!(!server.is_serving());
        assert!(asyncio::net::TcpStream::connect(addr).await.is_err());
        release.set();
        assert_eq!(
            client.await.unwrap(),
            (StatusCode::OK, "finished".to_owned())
        );
        // Graceful: the keep-alive connection closed after its response, nobody was aborted.
        assert_eq!(shutdown.await.unwrap(), 0);
    });
}

#[test]
fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let lp = asyncio::EventLoop::builder()
        .virtual_time(true)
        .build()
        .unwrap();
    lp.run_until_complete(async {
        let mut config = Config::default();
        config.header_read_timeout = Some(Duration::from_secs(5));
        let server = serve_with(
            asyncio::net::TcpListener::bind_all("127.0.0.1:0")
                .await
                .unwrap(),
            hello(),
            config,
        )
        .unwrap();
        let s = asyncio::net::TcpStream::connect(server.local_addr().unwrap())
            .await
            .unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n").await.unwrap();
        let started = asyncio::time::now();
        let mut buf = vec![0u8; 1024];
        let mut got = Vec::new();
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        let waited = asyncio::time::now().duration_since(started);
        assert!(waited >= Duration::from_secs(5), "{waited:?}");
        assert!(
            got.is_empty() || got.starts_with(b"HTTP/1.1 408"),
            "{}",
            String::from_utf8_lossy(&got)
        );
        server.close();
    });
}

#[test]
fn an_axum_route_upgrades_to_a_websocket_with_asyncio_http() {
    use axum::routing::get;

    // axum's own `WebSocketUpgrade` needs tokio; `asyncio_http::ws::upgrade` works on the
    // request any handler can take, and the socket's task runs on our loop.
    async fn chat(mut req: axum::extract::Request) -> axum::response::Response {
        let options = asyncio_http::ws::WsOptions {
            protocols: vec!["chat".into()],
            ..Default::default()
        };
        match asyncio_http::ws::upgrade(&mut req, &options) {
            Ok((answer, upgrading)) => {
                asyncio::spawn(async move {
                    let Ok(mut ws) = upgrading.await else { return };
                    while let Ok(Some(m)) = ws.receive().await {
                        if let Message::Text(t) = m {
                            let _ = ws.send_text(format!("axum: {t}")).await;
                        }
                    }
                });
                answer.map(axum::body::Body::new)
            }
            Err(refusal) => refusal.map(axum::body::Body::new),
        }
    }

    asyncio::run(async {
        let app = axum::Router::new()
            .route("/", get(|| async { "plain" }))
            .route("/chat", get(chat));
        let server = serve(
            "127.0.0.1:0",
            hyper_util::service::TowerToHyperService::new(app),
        )
        .await
        .unwrap();
        let addr = server.local_addr().unwrap();
        let session = asyncio_http::ClientSession::new();
        let mut ws = session
            .ws_connect(&format!("ws://{addr}/chat"))
            .protocols(["chat"])
            .connect()
            .await
            .unwrap();
        assert_eq!(ws.protocol(), Some("chat"));
        for i in 0..100 {
            ws.send_text(format!("m{i}")).await.unwrap();
            assert_eq!(
                ws.receive().await.unwrap(),
                Some(Message::text(format!("axum: m{i}")))
            );
        }
        ws.close(1000, "").await.unwrap();
        // The route refuses a request that is not a handshake; the other routes still work.
        let r = session
            .get(format!("http://{addr}/chat"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = session.get(format!("http://{addr}/")).send().await.unwrap();
        assert_eq!(r.text().await.unwrap(), "plain");
        server.shutdown(Duration::from_secs(1)).await;
    });
}
