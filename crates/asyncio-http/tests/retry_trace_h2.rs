//! Retries with backoff, trace hooks, and HTTP/2 over TLS chosen by ALPN.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use asyncio_http::{ClientSession, Method, RetryPolicy, SessionConfig, StatusCode, Trace};

#[asyncio::test]
async fn idempotent_requests_retry_on_503_until_success() {
    let s = common::start().await;
    let session = ClientSession::with_config(SessionConfig {
        retry: Some(RetryPolicy {
            max_retries: 3,
            base: Duration::from_millis(1),
            max_delay: Duration::from_millis(10),
            retry_timeouts: false,
        }),
        ..SessionConfig::default()
    });
    let r = session
        .get(format!("{}/flaky", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "finally");
    // Without a policy the 503 comes back as it is.
    let plain = ClientSession::new();
    let r = plain.get(format!("{}/flaky", s.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[derive(Default, Clone)]
struct Recorder(Rc<RefCell<Vec<String>>>);

impl Trace for Recorder {
    fn request_start(&self, method: &Method, url: &url::Url) {
        self.0
            .borrow_mut()
            .push(format!("start {method} {}", url.path()));
    }
    fn request_end(&self, _: &Method, _: &url::Url, status: StatusCode, _: Duration) {
        self.0.borrow_mut().push(format!("end {}", status.as_u16()));
    }
    fn redirect(&self, from: &url::Url, to: &url::Url, _: StatusCode) {
        self.0
            .borrow_mut()
            .push(format!("redirect {} -> {}", from.path(), to.path()));
    }
    fn connection_reuse(&self, _: &str) {
        self.0.borrow_mut().push("reuse".into());
    }
    fn connection_create_end(&self, _: &str, _: Duration) {
        self.0.borrow_mut().push("new".into());
    }
    fn chunk_received(&self, _: &url::Url, len: usize) {
        self.0.borrow_mut().push(format!("chunk {len}"));
    }
}

#[asyncio::test]
async fn trace_hooks_see_connections_redirects_and_chunks() {
    let s = common::start().await;
    let rec = Recorder::default();
    let mut config = SessionConfig::default();
    config.trace.push(rec.clone());
    let session = ClientSession::with_config(config);
    session
        .get(format!("{}/hello", s.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    session
        .get(format!("{}/chain/1", s.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let log = rec.0.borrow().clone();
    assert_eq!(
        log,
        [
            "start GET /hello",
            "new",
            "end 200",
            "chunk 5",
            "start GET /chain/1",
            "reuse",
            "end 302",
            "redirect /chain/1 -> /chain/0",
            "start GET /chain/0",
            "reuse",
            "end 200",
            "chunk 3",
        ]
    );
}

/// An HTTP/2 server behind TLS with a self-signed certificate for `localhost`, answering with
/// the request's version and path: its port, its certificate (PEM) and its connection count.
async fn tls_h2_server() -> (u16, String, Rc<std::cell::Cell<usize>>) {
    use asyncio::tls::TlsAcceptor;
    use http_body_util::Full;
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (ck.cert.pem(), ck.key_pair.serialize_pem());
    let acceptor = TlsAcceptor::from_pem(cert.as_bytes(), key.as_bytes(), &[b"h2"]).unwrap();
    let connections = Rc::new(std::cell::Cell::new(0));
    let c2 = connections.clone();
    let listener = asyncio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    asyncio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            c2.set(c2.get() + 1);
            let acceptor = acceptor.clone();
            asyncio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return; // a client that refused the certificate
                };
                let service = hyper::service::service_fn(
                    |req: http::Request<hyper::body::Incoming>| async move {
                        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(
                            bytes::Bytes::from(format!("{:?} {}", req.version(), req.uri().path())),
                        )))
                    },
                );
                let _ = hyper::server::conn::http2::Builder::new(asyncio::compat::LoopExecutor)
                    .serve_connection(asyncio::compat::HyperIo(tls), service)
                    .await;
            });
        }
    });
    (port, cert, connections)
}

#[asyncio::test]
async fn an_untrusted_certificate_fails_unless_invalid_certificates_are_accepted() {
    let (port, _, _) = tls_h2_server().await;
    let url = format!("https://localhost:{port}/x");
    let strict = ClientSession::new();
    let err = strict.get(&url).send().await.unwrap_err();
    assert_eq!(err.kind(), "tls", "{err}");
    let mut config = SessionConfig::default();
    config.connector.accept_invalid_certs = true;
    let lax = ClientSession::with_config(config);
    let r = lax.get(&url).send().await.unwrap();
    // The pool's own connector still offers h2.
    assert_eq!(r.text().await.unwrap(), "HTTP/2.0 /x");
}

#[asyncio::test]
async fn alpn_chooses_http2_and_requests_share_one_connection() {
    use asyncio::tls::TlsConnector;
    let (port, cert, connections) = tls_h2_server().await;
    let mut config = SessionConfig::default();
    config.connector.tls = Some(
        TlsConnector::builder()
            .webpki_roots(false)
            .native_roots(false)
            .add_root_pem(cert.as_bytes())
            .unwrap()
            .alpn(["h2", "http/1.1"])
            .build()
            .unwrap(),
    );
    let session = ClientSession::with_config(config);
    let first = session
        .get(format!("https://localhost:{port}/first"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.version(), http::Version::HTTP_2);
    assert_eq!(first.text().await.unwrap(), "HTTP/2.0 /first");
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let session = session.clone();
            asyncio::spawn(async move {
                session
                    .get(format!("https://localhost:{port}/p{i}"))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap(), format!("HTTP/2.0 /p{i}"));
    }
    assert_eq!(connections.get(), 1, "one multiplexed connection");
}
