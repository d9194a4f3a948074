//! Proxies against real ones — tinyproxy (HTTP forward and `CONNECT`, Basic credentials) and
//! pproxy (SOCKS5 with and without credentials, an HTTPS proxy) — in front of an aiohttp
//! server over HTTP and HTTPS; and against broken ones, each failing with a typed error.

mod peers;

use std::time::Duration;

use asyncio::streams::start_server;
use asyncio_http::{ClientSession, ClientTimeout, ConnectorConfig, Error, Proxies, SessionConfig};
use http::StatusCode;

struct Setup {
    py: std::path::PathBuf,
    /// aiohttp over HTTP and over HTTPS (certificate for `localhost`).
    plain: peers::Peer,
    tls: peers::Peer,
    pem: Vec<u8>,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
    _dir: peers::TempDir,
}

fn setup() -> Option<Setup> {
    let py = peers::python(&["aiohttp", "pproxy"])?;
    let dir = peers::TempDir::new("proxy");
    let (cert, key, pem) = peers::certificate(&dir.0);
    let plain = peers::python_server(&py, "aiohttp_peer.py", &[]);
    let args = [
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ];
    let tls = peers::python_server(&py, "aiohttp_peer.py", &args);
    Some(Setup {
        py,
        plain,
        tls,
        pem,
        cert,
        key,
        _dir: dir,
    })
}

fn session(pem: &[u8], proxy: Proxies) -> ClientSession {
    ClientSession::with_config(SessionConfig {
        connector: ConnectorConfig {
            tls: Some(peers::trusting(pem)),
            ..ConnectorConfig::default()
        },
        timeout: ClientTimeout {
            total: Some(Duration::from_secs(20)),
            ..ClientTimeout::default()
        },
        proxy,
        ..SessionConfig::default()
    })
}

async fn headers(s: &ClientSession, url: &str) -> serde_json::Value {
    let resp = s.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{url}");
    resp.json().await.unwrap()
}

#[test]
fn tinyproxy_forwards_http_tunnels_https_and_asks_for_credentials() {
    let Some(s) = setup() else { return };
    let Some(open) = peers::tinyproxy(None) else {
        return;
    };
    let Some(locked) = peers::tinyproxy(Some(("bob", "pw"))) else {
        return;
    };
    asyncio::run(async move {
        let plain = format!("http://127.0.0.1:{}/headers", s.plain.port);
        let secure = format!("https://localhost:{}/headers", s.tls.port);
        let via = session(
            &s.pem,
            Proxies::all(format!("http://127.0.0.1:{}", open.port)),
        );
        // Forwarded: tinyproxy adds its Via header.
        let seen = headers(&via, &plain).await;
        assert!(
            seen["via"].as_str().unwrap_or("").contains("tinyproxy"),
            "{seen}"
        );
        // Tunnelled: TLS end to end, so no Via.
        let seen = headers(&via, &secure).await;
        assert!(seen.get("via").is_none(), "{seen}");
        // The pool keys connections by proxy: a direct request does not reuse the proxy's.
        let direct = session(&s.pem, Proxies::none());
        let seen = headers(&direct, &plain).await;
        assert!(seen.get("via").is_none(), "{seen}");
        let seen = headers(&via, &plain).await;
        assert!(seen.get("via").is_some(), "{seen}");
        // Per request: this one goes direct on the proxied session.
        let resp = via.get(&plain).proxy(Proxies::none()).send().await.unwrap();
        let seen: serde_json::Value = resp.json().await.unwrap();
        assert!(seen.get("via").is_none(), "{seen}");

        // Credentials: without them, a typed 407 for both forwarding and CONNECT.
        let bare = session(
            &s.pem,
            Proxies::all(format!("http://127.0.0.1:{}", locked.port)),
        );
        for url in [&plain, &secure] {
            match bare.get(url).send().await {
                Err(
                    e @ Error::Proxy {
                        status: Some(StatusCode::PROXY_AUTHENTICATION_REQUIRED),
                        ..
                    },
                ) => {
                    assert!(e.to_string().contains("credentials"), "{e}");
                }
                other => panic!("{url}: expected a 407 proxy error, got {other:?}"),
            }
        }
        let authed = session(
            &s.pem,
            Proxies::all(format!("http://bob:pw@127.0.0.1:{}", locked.port)),
        );
        assert!(headers(&authed, &plain).await.get("via").is_some());
        headers(&authed, &secure).await;
    });
}

#[test]
fn socks5_and_socks5h_with_and_without_credentials() {
    let Some(s) = setup() else { return };
    let open = peers::pproxy(&s.py, "socks5", None, None);
    let locked = peers::pproxy(&s.py, "socks5", Some("carol:pw"), None);
    asyncio::run(async move {
        for scheme in ["socks5", "socks5h"] {
            let p = session(
                &s.pem,
                Proxies::all(format!("{scheme}://127.0.0.1:{}", open.port)),
            );
            headers(&p, &format!("http://localhost:{}/headers", s.plain.port)).await;
            headers(&p, &format!("https://localhost:{}/headers", s.tls.port)).await;
        }
        let wrong = session(
            &s.pem,
            Proxies::all(format!("socks5h://carol:nope@127.0.0.1:{}", locked.port)),
        );
        let e = wrong
            .get(format!("http://localhost:{}/headers", s.plain.port))
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "proxy", "{e}");
        let none = session(
            &s.pem,
            Proxies::all(format!("socks5h://127.0.0.1:{}", locked.port)),
        );
        let e = none
            .get(format!("http://localhost:{}/headers", s.plain.port))
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "proxy", "{e}");
        let right = session(
            &s.pem,
            Proxies::all(format!("socks5h://carol:pw@127.0.0.1:{}", locked.port)),
        );
        headers(&right, &format!("https://localhost:{}/headers", s.tls.port)).await;
    });
}

#[test]
fn an_https_proxy_gets_tls_to_itself() {
    let Some(s) = setup() else { return };
    let proxy = peers::pproxy(&s.py, "http+ssl", None, Some((&s.cert, &s.key)));
    asyncio::run(async move {
        let p = session(
            &s.pem,
            Proxies::all(format!("https://localhost:{}", proxy.port)),
        );
        headers(&p, &format!("http://127.0.0.1:{}/headers", s.plain.port)).await;
        headers(&p, &format!("https://localhost:{}/headers", s.tls.port)).await;
    });
}

#[test]
fn the_environment_picks_the_proxy_unless_no_proxy_says_otherwise() {
    let Some(s) = setup() else { return };
    let Some(tp) = peers::tinyproxy(None) else {
        return;
    };
    // Only sessions with trust_env read these; no other test in this binary does.
    std::env::set_var("HTTP_PROXY", format!("http://127.0.0.1:{}", tp.port));
    std::env::set_var("NO_PROXY", "localhost");
    asyncio::run(async move {
        let env = ClientSession::with_config(SessionConfig {
            trust_env: true,
            ..SessionConfig::default()
        });
        let seen = headers(&env, &format!("http://127.0.0.1:{}/headers", s.plain.port)).await;
        assert!(seen.get("via").is_some(), "HTTP_PROXY is used: {seen}");
        let seen = headers(&env, &format!("http://localhost:{}/headers", s.plain.port)).await;
        assert!(seen.get("via").is_none(), "NO_PROXY goes direct: {seen}");
        let ignored = ClientSession::new();
        let seen = headers(
            &ignored,
            &format!("http://127.0.0.1:{}/headers", s.plain.port),
        )
        .await;
        assert!(seen.get("via").is_none(), "without trust_env: {seen}");
    });
    std::env::remove_var("HTTP_PROXY");
    std::env::remove_var("NO_PROXY");
}

/// A proxy that answers every connection with `reply` (then closes, or resets).
async fn broken_proxy(reply: &'static [u8], reset: bool) -> String {
    let server = start_server(
        move |mut r, w| async move {
            let _ = r.read(512).await;
            let _ = w.write(reply);
            let _ = w.drain().await;
            if reset {
                w.with_inner(|h| {
                    let _ = h.stream().set_linger(Some(Duration::ZERO));
                });
                w.abort();
            } else {
                w.close();
            }
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    std::mem::forget(server);
    addr.to_string()
}

#[test]
fn broken_proxies_fail_with_typed_errors() {
    asyncio::run(async {
        let target_https = "https://example.invalid/";
        let target_http = "http://example.invalid/";
        let s = |proxy: String| {
            ClientSession::with_config(SessionConfig {
                proxy: Proxies::all(proxy),
                timeout: ClientTimeout {
                    total: Some(Duration::from_secs(5)),
                    ..ClientTimeout::default()
                },
                ..SessionConfig::default()
            })
        };
        let expect =
            |r: Result<asyncio_http::Response, Error>, status: Option<u16>, words: &str| match r {
                Err(Error::Proxy {
                    status: st, reason, ..
                }) => {
                    assert_eq!(st.map(|s| s.as_u16()), status, "{reason}");
                    assert!(reason.contains(words), "{reason:?} should say {words:?}");
                }
                other => panic!("expected a proxy error ({words}), got {other:?}"),
            };
        // Refused: nothing listens.
        let closed = peers::free_port();
        expect(
            s(format!("http://127.0.0.1:{closed}"))
                .get(target_http)
                .send()
                .await,
            None,
            "cannot reach",
        );
        // CONNECT answered 502, garbage, a reset, a close.
        let p = broken_proxy(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n",
            false,
        )
        .await;
        expect(
            s(format!("http://{p}")).get(target_https).send().await,
            Some(502),
            "502",
        );
        let p = broken_proxy(b"SSH-2.0-OpenSSH\r\n\r\n", false).await;
        expect(
            s(format!("http://{p}")).get(target_https).send().await,
            None,
            "not an HTTP answer",
        );
        let p = broken_proxy(b"HTTP/1.1 200 Conn", true).await;
        expect(
            s(format!("http://{p}")).get(target_https).send().await,
            None,
            "CONNECT",
        );
        // SOCKS5: a wrong version, then an unknown address type in the reply.
        let p = broken_proxy(b"\x04\x00", false).await;
        expect(
            s(format!("socks5h://{p}")).get(target_http).send().await,
            None,
            "version 4",
        );
        let p = socks_with_bad_address_type().await;
        expect(
            s(format!("socks5h://{p}")).get(target_http).send().await,
            None,
            "address type 9",
        );
        // The session still works after all that.
        let ok = ClientSession::new();
        assert!(ok.get("http://127.0.0.1:1/").send().await.is_err());
    });
}

/// A SOCKS5 server that accepts the greeting, then replies with address type 9.
async fn socks_with_bad_address_type() -> String {
    let server = start_server(
        |mut r, w| async move {
            if r.readexactly(3).await.is_err() {
                return;
            }
            let _ = w.write(b"\x05\x00");
            let _ = w.drain().await;
            let _ = r.read(512).await;
            let _ = w.write(b"\x05\x00\x00\x09\x00\x00");
            let _ = w.drain().await;
            w.close();
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    std::mem::forget(server);
    addr.to_string()
}
