//! WebSockets both ways with Python's `websockets` and aiohttp (our client against their
//! servers, their clients against our server: text, binary, fragmented messages, close
//! codes, subprotocols, TLS, a proxy), the heartbeat, and peers that break the protocol.

mod peers;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use asyncio::streams::start_server;
use asyncio_http::server::{serve, Router};
use asyncio_http::ws::{Message, WsOptions};
use asyncio_http::{ClientSession, ConnectorConfig, Error, Proxies, SessionConfig};

async fn echo_round(ws: &mut asyncio_http::ws::WebSocket) {
    ws.send_text("héllo").await.unwrap();
    assert_eq!(ws.receive().await.unwrap(), Some(Message::text("héllo")));
    ws.send_binary(vec![0u8, 1, 255]).await.unwrap();
    assert_eq!(
        ws.receive().await.unwrap(),
        Some(Message::Binary(vec![0u8, 1, 255].into()))
    );
}

#[test]
fn our_client_against_python_websockets_and_aiohttp_servers() {
    let Some(py) = peers::python(&["aiohttp", "websockets"]) else {
        return;
    };
    let dir = peers::TempDir::new("ws");
    let (cert, key, pem) = peers::certificate(&dir.0);
    let tls_args = [
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ];
    let websockets = peers::python_server(&py, "websockets_peer.py", &[]);
    let websockets_tls = peers::python_server(&py, "websockets_peer.py", &tls_args);
    let aiohttp = peers::python_server(&py, "aiohttp_peer.py", &[]);
    asyncio::run(async move {
        let session = ClientSession::with_config(SessionConfig {
            connector: ConnectorConfig {
                tls: Some(peers::trusting(&pem)),
                ..ConnectorConfig::default()
            },
            ..SessionConfig::default()
        });
        // websockets, plain then TLS.
        for url in [
            format!("ws://127.0.0.1:{}/", websockets.port),
            format!("wss://localhost:{}/", websockets_tls.port),
        ] {
            let mut ws = session
                .ws_connect(&url)
                .protocols(["chat"])
                .connect()
                .await
                .unwrap();
            assert_eq!(ws.protocol(), Some("chat"));
            echo_round(&mut ws).await;
            ws.send_text("fragment").await.unwrap();
            assert_eq!(
                ws.receive().await.unwrap(),
                Some(Message::text("fragmented")),
                "three frames arrive as one message"
            );
            ws.send_text("close:4001").await.unwrap();
            match ws.receive().await.unwrap() {
                Some(Message::Close(Some(frame))) => assert_eq!(u16::from(frame.code), 4001),
                other => panic!("expected a close frame, got {other:?}"),
            }
            assert_eq!(ws.close_code(), Some(4001));
            assert_eq!(ws.receive().await.unwrap(), None, "nothing after the close");
        }
        // aiohttp: it picks our second preference, since it knows no "v2".
        let url = format!("ws://127.0.0.1:{}/ws", aiohttp.port);
        let mut ws = session
            .ws_connect(&url)
            .protocols(["v2", "chat"])
            .connect()
            .await
            .unwrap();
        assert_eq!(ws.protocol(), Some("chat"));
        echo_round(&mut ws).await;
        ws.close(4003, "bye").await.unwrap();
        assert!(ws.is_closed());
        // A refused upgrade (a plain route) is a typed error naming the status.
        let e = session
            .ws_connect(&format!("ws://127.0.0.1:{}/headers", aiohttp.port))
            .connect()
            .await
            .unwrap_err();
        assert!(matches!(e, Error::WebSocket { .. }), "{e:?}");
        assert!(e.to_string().contains("refused the upgrade"), "{e}");
    });
}

#[test]
fn python_websockets_and_aiohttp_clients_against_our_server() {
    let Some(py) = peers::python(&["aiohttp", "websockets"]) else {
        return;
    };
    asyncio::run(async move {
        let options = WsOptions {
            protocols: vec!["chat".into()],
            ..WsOptions::default()
        };
        let closes = Rc::new(RefCell::new(Vec::new()));
        let c2 = closes.clone();
        let router = Router::new().websocket_with("/ws", options, move |_req, mut ws| {
            let closes = c2.clone();
            async move {
                while let Ok(Some(msg)) = ws.receive().await {
                    match msg {
                        Message::Text(t) if t.as_str() == "close-me" => {
                            ws.close(4002, "as asked").await.unwrap();
                        }
                        Message::Text(_) | Message::Binary(_) => ws.send(msg).await.unwrap(),
                        Message::Close(_) => {}
                        _ => {}
                    }
                }
                closes.borrow_mut().push(ws.close_code());
            }
        });
        let server = serve("127.0.0.1:0", router).await.unwrap();
        let url = format!("ws://{}/ws", server.local_addr().unwrap());
        let (p, u) = (py.clone(), url.clone());
        let seen =
            asyncio::blocking::to_thread(move || peers::python_client(&p, &["websockets", &u]))
                .await
                .unwrap();
        assert_eq!(seen["protocol"], "chat", "{seen}");
        assert_eq!(seen["text"], "héllo");
        assert_eq!(seen["binary"], serde_json::json!([0, 1, 255]));
        assert_eq!(
            seen["fragmented"], "fragmented",
            "we reassembled three frames"
        );
        assert_eq!(seen["close_code"], 4000);
        let (p, u) = (py.clone(), url.clone());
        let seen =
            asyncio::blocking::to_thread(move || peers::python_client(&p, &["aiohttp-ws", &u]))
                .await
                .unwrap();
        assert_eq!(seen["protocol"], "chat", "{seen}");
        assert_eq!(seen["text"], "hi");
        assert_eq!(seen["binary"], serde_json::json!([2, 3]));
        assert_eq!(seen["closed_by_server"], true);
        assert_eq!(seen["close_code"], 4002);
        // The handlers saw the clients' close codes: websockets' 4000, then our own 4002.
        assert_eq!(*closes.borrow(), [Some(4000), Some(4002)]);
        // A plain GET on the route is refused with 400.
        let resp = ClientSession::new()
            .get(url.replace("ws://", "http://"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        server.shutdown(Duration::from_secs(1)).await;
    });
}

#[test]
fn heartbeat_pings_a_live_peer_and_gives_up_on_a_silent_one() {
    let Some(py) = peers::python(&["websockets"]) else {
        return;
    };
    let peer = peers::python_server(&py, "websockets_peer.py", &[]);
    asyncio::run(async move {
        let session = ClientSession::new();
        let url = format!("ws://127.0.0.1:{}/", peer.port);
        let mut ws = session
            .ws_connect(&url)
            .protocols(["chat"])
            .heartbeat(Duration::from_millis(50))
            .connect()
            .await
            .unwrap();
        // Quiet for several intervals: pings go out, pongs come back, nothing breaks.
        ws.send_text("slow:0.4").await.unwrap();
        assert_eq!(ws.receive().await.unwrap(), Some(Message::text("slow")));
        ws.close(1000, "").await.unwrap();

        // A peer that completes the handshake, then never reads or answers.
        let silent = raw_server(|_w| async { true }).await;
        let mut ws = session
            .ws_connect(&format!("ws://{silent}/"))
            .heartbeat(Duration::from_millis(50))
            .connect()
            .await
            .unwrap();
        let e = ws.receive().await.unwrap_err();
        assert!(e.to_string().contains("no pong"), "{e}");
        assert_eq!(ws.close_code(), Some(1006));
    });
}

/// A server that answers the WebSocket handshake by hand, then runs `then` on the writer;
/// when it returns `true`, the connection stays open until the client goes.
async fn raw_server<F, Fut>(then: F) -> String
where
    F: Fn(asyncio::streams::Writer<asyncio::net::TcpStream>) -> Fut + 'static,
    Fut: std::future::Future<Output = bool> + 'static,
{
    let then = Rc::new(then);
    let server = start_server(
        move |mut r, w| {
            let then = then.clone();
            async move {
                let mut key = String::new();
                loop {
                    let line = r.readline().await.unwrap_or_default();
                    let line = String::from_utf8_lossy(&line).to_string();
                    if let Some(k) = line.to_ascii_lowercase().strip_prefix("sec-websocket-key:") {
                        key = line[line.len() - k.len()..].trim().to_owned();
                    }
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                }
                let accept =
                    async_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
                let _ = w.write(
                    format!(
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                         Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                let _ = w.drain().await;
                if !then(w.clone()).await {
                    return;
                }
                // Keep the connection open until the client goes (a silent peer).
                while !r.read(1 << 20).await.unwrap_or_default().is_empty() {}
            }
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap().to_string();
    std::mem::forget(server);
    addr
}

#[test]
fn peers_that_break_the_protocol_give_typed_errors() {
    asyncio::run(async {
        let session = ClientSession::new();
        let cases: Vec<(&'static [u8], &str)> = vec![
            // A 10 MB text frame announced (64-bit length) past a 1 MB limit.
            (b"\x81\x7f\x00\x00\x00\x00\x00\x98\x96\x80", "too long"),
            // Invalid UTF-8 in a text frame.
            (b"\x81\x02\xff\xfe", "UTF-8"),
            // A ping without FIN: a fragmented control frame.
            (b"\x09\x00", "fragmented"),
            // A masked frame from the server.
            (b"\x81\x82\x01\x02\x03\x04\x60\x60", "masked"),
        ];
        for (frame, words) in cases {
            let addr = raw_server(move |w| async move {
                let _ = w.write(frame);
                let _ = w.drain().await;
                true
            })
            .await;
            let mut ws = session
                .ws_connect(&format!("ws://{addr}/"))
                .max_message_size(Some(1 << 20))
                .connect()
                .await
                .unwrap();
            let e = ws.receive().await.unwrap_err();
            assert!(matches!(e, Error::WebSocket { .. }), "{e:?}");
            assert!(
                e.to_string().to_lowercase().contains(&words.to_lowercase()),
                "{e} should say {words:?}"
            );
            assert!(ws.is_closed());
            assert_eq!(ws.receive().await.unwrap(), None, "closed after the error");
        }
        // A close frame (1000), then a frame after it: the close arrives, the rest is dropped.
        let addr = raw_server(|w| async move {
            let _ = w.write(b"\x88\x02\x03\xe8\x81\x01a");
            let _ = w.drain().await;
            true
        })
        .await;
        let mut ws = session
            .ws_connect(&format!("ws://{addr}/"))
            .connect()
            .await
            .unwrap();
        assert!(matches!(
            ws.receive().await.unwrap(),
            Some(Message::Close(_))
        ));
        assert_eq!(ws.close_code(), Some(1000));
        assert_eq!(ws.receive().await.unwrap(), None);
        // A peer that disappears without a close frame.
        let addr = raw_server(|w| async move {
            w.abort();
            false
        })
        .await;
        let mut ws = session
            .ws_connect(&format!("ws://{addr}/"))
            .connect()
            .await
            .unwrap();
        let e = ws.receive().await.unwrap_err();
        assert!(e.to_string().contains("without a close frame"), "{e}");
        assert_eq!(ws.close_code(), Some(1006));
    });
}

#[test]
fn our_server_refuses_an_unmasked_client_frame() {
    asyncio::run(async {
        let errors = Rc::new(RefCell::new(Vec::new()));
        let e2 = errors.clone();
        let router = Router::new().websocket("/ws", move |_req, mut ws| {
            let errors = e2.clone();
            async move {
                if let Err(e) = ws.receive().await {
                    errors.borrow_mut().push(e.to_string());
                }
            }
        });
        let server = serve("127.0.0.1:0", router).await.unwrap();
        let addr = server.local_addr().unwrap();
        let (mut r, w) = asyncio::streams::open_connection(addr).await.unwrap();
        let _ = w.write(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        );
        let head = r.readuntil(b"\r\n\r\n").await.unwrap();
        assert!(
            head.starts_with(b"HTTP/1.1 101"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        let _ = w.write(b"\x81\x02hi");
        let _ = w.drain().await;
        // The server closes the connection after the error.
        while !r.read(1024).await.unwrap_or_default().is_empty() {}
        assert_eq!(errors.borrow().len(), 1);
        assert!(
            errors.borrow()[0].contains("unmasked") || errors.borrow()[0].contains("mask"),
            "{:?}",
            errors.borrow()
        );
        server.shutdown(Duration::from_secs(1)).await;
    });
}

#[test]
fn a_websocket_through_an_http_proxy_tunnels_with_connect() {
    let Some(py) = peers::python(&["websockets"]) else {
        return;
    };
    let Some(proxy) = peers::tinyproxy(None) else {
        return;
    };
    let peer = peers::python_server(&py, "websockets_peer.py", &[]);
    asyncio::run(async move {
        let session = ClientSession::with_config(SessionConfig {
            proxy: Proxies::all(format!("http://127.0.0.1:{}", proxy.port)),
            ..SessionConfig::default()
        });
        let mut ws = session
            .ws_connect(&format!("ws://127.0.0.1:{}/", peer.port))
            .protocols(["chat"])
            .connect()
            .await
            .unwrap();
        echo_round(&mut ws).await;
        ws.close(1000, "").await.unwrap();
    });
}
