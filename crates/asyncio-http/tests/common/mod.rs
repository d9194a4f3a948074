//! A test server with the routes the client tests need.
#![allow(dead_code)]

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;
use std::time::Duration;

use asyncio_http::server::{serve, Response, Router};
use asyncio_http::StatusCode;

pub(crate) struct TestServer {
    pub(crate) base: String,
    pub(crate) server: asyncio::streams::Server<asyncio::net::TcpListener>,
    pub(crate) hits: Rc<Cell<usize>>,
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        w.write_all(data).unwrap();
    }
    out
}

pub(crate) const TEXT: &str = "the quick brown fox jumps over the lazy dog; ";

pub(crate) async fn start() -> TestServer {
    let hits = Rc::new(Cell::new(0));
    let h = hits.clone();
    let body: String = TEXT.repeat(200);
    let (b1, b2, b3, b4) = (body.clone(), body.clone(), body.clone(), body.clone());
    let router = Router::new()
        .get("/hello", move |_| {
            h.set(h.get() + 1);
            async { Response::text("hello") }
        })
        .get("/json", |_| async {
            Response::json(&serde_json::json!({"a": 1, "b": [true, null]}))
        })
        .post("/echo", |req| async move {
            let ct = req
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let auth = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            Response::json(&serde_json::json!({
                "method": req.method().as_str(),
                "ct": ct,
                "auth": auth,
                "body": String::from_utf8_lossy(req.body()),
                "q": req.query("q"),
            }))
        })
        .put("/echo", |req| async move {
            Response::text(format!("{} {}", req.method(), req.body().len()))
        })
        .get("/query", |req| async move {
            Response::text(req.query("q").unwrap_or_default())
        })
        .get("/status/:code", |req| async move {
            let code: u16 = req.param("code").unwrap().parse().unwrap();
            Response::text("status").status(StatusCode::from_u16(code).unwrap())
        })
        .get("/redirect/:code", |req| async move {
            let code: u16 = req.param("code").unwrap().parse().unwrap();
            Response::redirect(StatusCode::from_u16(code).unwrap(), "/method")
        })
        .post("/redirect/:code", |req| async move {
            let code: u16 = req.param("code").unwrap().parse().unwrap();
            Response::redirect(StatusCode::from_u16(code).unwrap(), "/method")
        })
        .get("/method", |req| async move {
            Response::text(format!("{} {}", req.method(), req.body().len()))
        })
        .post("/method", |req| async move {
            Response::text(format!("{} {}", req.method(), req.body().len()))
        })
        .get("/loop/a", |_| async {
            Response::redirect(StatusCode::FOUND, "/loop/b")
        })
        .get("/loop/b", |_| async {
            Response::redirect(StatusCode::FOUND, "/loop/a")
        })
        .get("/chain/:n", |req| async move {
            let n: u32 = req.param("n").unwrap().parse().unwrap();
            if n == 0 {
                Response::text("end")
            } else {
                Response::redirect(StatusCode::FOUND, &format!("/chain/{}", n - 1))
            }
        })
        .get("/gzip", move |_| {
            let b = gzip(b1.as_bytes());
            async move { Response::bytes(b).header("content-encoding", "gzip") }
        })
        .get("/deflate", move |_| {
            let b = deflate(b2.as_bytes());
            async move { Response::bytes(b).header("content-encoding", "deflate") }
        })
        .get("/br", move |_| {
            let b = brotli(b3.as_bytes());
            async move { Response::bytes(b).header("content-encoding", "br") }
        })
        .get("/zstd", move |_| {
            let b = zstd::encode_all(b4.as_bytes(), 3).unwrap();
            async move { Response::bytes(b).header("content-encoding", "zstd") }
        })
        .get("/slow", |_| async {
            asyncio::time::sleep(Duration::from_millis(300)).await;
            Response::text("late")
        })
        .get("/big/:n", |req| async move {
            let n: usize = req.param("n").unwrap().parse().unwrap();
            Response::bytes(vec![b'z'; n])
        })
        .get("/flaky", {
            let n = std::rc::Rc::new(Cell::new(0u32));
            move |_| {
                let n = n.clone();
                async move {
                    n.set(n.get() + 1);
                    if n.get() % 3 != 0 {
                        Response::text("busy")
                            .status(StatusCode::SERVICE_UNAVAILABLE)
                            .header("retry-after", "0")
                    } else {
                        Response::text("finally")
                    }
                }
            }
        })
        .get("/stream", |_| async {
            let chunks = (0..10).map(|i| bytes::Bytes::from(format!("chunk{i};")));
            Response::stream(Iter(chunks.collect::<Vec<_>>().into_iter()))
        });
    let server = serve("127.0.0.1:0", router).await.unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    TestServer { base, server, hits }
}

/// A stream from an iterator (no extra crate).
pub(crate) struct Iter<I>(pub I);

impl<I: Iterator<Item = bytes::Bytes> + Unpin> futures_core::Stream for Iter<I> {
    type Item = bytes::Bytes;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}
