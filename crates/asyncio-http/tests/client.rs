//! The client against a well-behaved server: keep-alive reuse, methods and bodies, redirects,
//! decompression, limits, timeouts, errors.

mod common;

use std::time::Duration;

use asyncio_http::{ClientSession, ClientTimeout, Error, SessionConfig, StatusCode, TimeoutKind};

#[asyncio::test]
async fn get_text_json_and_keep_alive_reuse() {
    let s = common::start().await;
    let session = ClientSession::new();
    for _ in 0..20 {
        let r = session
            .get(format!("{}/hello", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.reason(), "OK");
        assert_eq!(r.text().await.unwrap(), "hello");
    }
    assert_eq!(s.hits.get(), 20);
    // Twenty sequential requests, one connection: it went back to the pool each time.
    assert_eq!(session.idle_connections(), 1);
    assert_eq!(s.server.client_count(), 1);
    let v: serde_json::Value = session
        .get(format!("{}/json", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["b"][0], true);
}

#[asyncio::test]
async fn methods_bodies_query_and_auth() {
    let s = common::start().await;
    let session = ClientSession::new();
    let v: serde_json::Value = session
        .post(format!("{}/echo", s.base))
        .query(&[("q", "a b&c")])
        .json(&serde_json::json!({"x": 1}))
        .basic_auth("user", Some("pw"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["ct"], "application/json");
    assert_eq!(v["body"], "{\"x\":1}");
    assert_eq!(v["q"], "a b&c");
    assert_eq!(v["auth"], "Basic dXNlcjpwdw==");
    let v: serde_json::Value = session
        .post(format!("{}/echo", s.base))
        .form(&[("k", "v w")])
        .bearer_auth("tok")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["body"], "k=v+w");
    assert_eq!(v["auth"], "Bearer tok");
    let t = session
        .put(format!("{}/echo", s.base))
        .text("12345")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(t, "PUT 5");
    let r = session
        .head(format!("{}/hello", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().is_empty());
}

#[asyncio::test]
async fn redirects_change_methods_as_the_rfc_says() {
    let s = common::start().await;
    let session = ClientSession::new();
    for (code, expect) in [
        (301, "GET 0"),
        (302, "GET 0"),
        (303, "GET 0"),
        (307, "POST 4"),
        (308, "POST 4"),
    ] {
        let r = session
            .post(format!("{}/redirect/{code}", s.base))
            .body("data")
            .send()
            .await
            .unwrap();
        assert_eq!(r.history().len(), 1);
        assert_eq!(r.url().path(), "/method");
        assert_eq!(r.text().await.unwrap(), expect, "after {code}");
    }
    let r = session
        .get(format!("{}/chain/5", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.history().len(), 5);
    assert_eq!(r.text().await.unwrap(), "end");
    let e = session
        .get(format!("{}/chain/11", s.base))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooManyRedirects {
                max: 10,
                looped: false,
                ..
            }
        ),
        "{e}"
    );
    let e = session
        .get(format!("{}/loop/a", s.base))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::TooManyRedirects { looped: true, .. }),
        "{e}"
    );
    let r = session
        .get(format!("{}/redirect/302", s.base))
        .follow_redirects(false)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
}

#[asyncio::test]
async fn bodies_are_decompressed() {
    let s = common::start().await;
    let session = ClientSession::new();
    let want = common::TEXT.repeat(200);
    for enc in ["gzip", "deflate", "br", "zstd"] {
        let t = session
            .get(format!("{}/{enc}", s.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(t, want, "{enc}");
    }
    let mut r = session
        .get(format!("{}/stream", s.base))
        .send()
        .await
        .unwrap();
    let mut got = Vec::new();
    while let Some(c) = r.chunk().await.unwrap() {
        got.extend_from_slice(&c);
    }
    assert_eq!(
        String::from_utf8(got).unwrap(),
        (0..10).map(|i| format!("chunk{i};")).collect::<String>()
    );
}

#[asyncio::test]
async fn status_errors_and_body_limits() {
    let s = common::start().await;
    let session = ClientSession::with_config(SessionConfig {
        max_body: Some(1000),
        ..SessionConfig::default()
    });
    let r = session
        .get(format!("{}/status/404", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let e = r.error_for_status().unwrap_err();
    assert_eq!(e.kind(), "status");
    assert!(e.to_string().contains("/status/404"), "{e}");
    assert!(session
        .get(format!("{}/big/1000", s.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .is_ok());
    let e = session
        .get(format!("{}/big/1001", s.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::BodyTooLarge { limit: 1000, .. }), "{e}");
    // The session goes on working.
    assert_eq!(
        session
            .get(format!("{}/hello", s.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "hello"
    );
}

#[asyncio::test]
async fn timeouts_say_which() {
    let s = common::start().await;
    let session = ClientSession::new();
    let e = session
        .get(format!("{}/slow", s.base))
        .timeout(ClientTimeout::total(Duration::from_millis(50)))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Timeout {
                kind: TimeoutKind::Total,
                ..
            }
        ),
        "{e}"
    );
    let e = session
        .get(format!("{}/slow", s.base))
        .timeout(ClientTimeout {
            sock_read: Some(Duration::from_millis(50)),
            ..ClientTimeout::none()
        })
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Timeout {
                kind: TimeoutKind::SockRead,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        session
            .get(format!("{}/slow", s.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "late"
    );
}

#[asyncio::test]
async fn connection_errors_name_the_url() {
    let session = ClientSession::new();
    let dead = {
        let l = asyncio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        l.local_addr().unwrap()
    };
    let url = format!("http://{dead}/x");
    let e = session.get(&url).send().await.unwrap_err();
    assert_eq!(e.kind(), "connect");
    assert_eq!(e.url(), url);
    let e = session.get("ftp://example.com/").send().await.unwrap_err();
    assert_eq!(e.kind(), "invalid_url");
    let e = session
        .get("http://nonexistent.invalid/")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "dns");
}

#[asyncio::test]
async fn limit_per_host_bounds_connections() {
    let s = common::start().await;
    let mut config = SessionConfig::default();
    config.connector.limit_per_host = 3;
    let session = ClientSession::with_config(config);
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let (session, url) = (session.clone(), format!("{}/slow", s.base));
            asyncio::spawn(async move {
                session
                    .get(&url)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut peak = 0;
    while tasks.iter().any(|t| !t.task().is_done()) {
        peak = peak.max(s.server.client_count());
        asyncio::time::sleep(Duration::from_millis(20)).await;
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), "late");
    }
    assert!(peak <= 3, "peak {peak}");
    assert!(peak >= 2, "peak {peak}");
}

#[asyncio::test]
async fn a_streamed_body_is_sent_chunked_and_never_replayed() {
    let s = common::start().await;
    let session = ClientSession::new();
    let chunks = (0..5).map(|i| bytes::Bytes::from(format!("part{i}-")));
    let v: serde_json::Value = session
        .post(format!("{}/echo", s.base))
        .body_stream(common::Iter(chunks.collect::<Vec<_>>().into_iter()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["body"], "part0-part1-part2-part3-part4-");
    // 307 would send the body again: with a stream, the redirect response is the answer.
    let r = session
        .post(format!("{}/redirect/307", s.base))
        .body_stream(common::Iter(vec![bytes::Bytes::from("once")].into_iter()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 307);
    // 303 turns it into a GET without a body: followed.
    let r = session
        .post(format!("{}/redirect/303", s.base))
        .body_stream(common::Iter(vec![bytes::Bytes::from("once")].into_iter()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "GET 0");
}

#[asyncio::test]
async fn a_parsed_url_is_used_as_given_and_a_bad_one_fails_at_send() {
    let s = common::start().await;
    let session = ClientSession::new();
    let url = url::Url::parse(&format!("{}/hello", s.base)).unwrap();
    let r = session.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ftp = url::Url::parse("ftp://example.invalid/x").unwrap();
    let err = session.get(ftp).send().await.unwrap_err();
    assert_eq!(err.kind(), "invalid_url", "{err}");
    let err = session.get("not a url").send().await.unwrap_err();
    assert_eq!(err.kind(), "invalid_url", "{err}");
}
