//! Uploads both ways with aiohttp: its server parses the multipart bodies we stream from disk,
//! and our router's upload route parses what aiohttp's client sends — within limits, with a
//! 400 or 413 for a body that is malformed or too large. Streamed request bodies, sized and
//! chunked.

mod peers;

use std::cell::RefCell;
use std::rc::Rc;

use asyncio_http::server::{multipart_status, serve, Multipart, Response, Router, UploadLimits};
use asyncio_http::{ClientSession, Form, Part};

/// FNV-1a, to compare contents without a hashing crate.
fn fnv(data: &[u8], mut h: u64) -> u64 {
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}
const FNV0: u64 = 0xcbf2_9ce4_8422_2325;

fn content(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn aiohttp_parses_the_multipart_body_we_stream_from_disk() {
    let Some(py) = peers::python(&["aiohttp"]) else {
        return;
    };
    let peer = peers::python_server(&py, "aiohttp_peer.py", &[]);
    let dir = peers::TempDir::new("upload");
    let file = dir.0.join("photo.jpg");
    let data = content(3 << 20);
    std::fs::write(&file, &data).unwrap();
    let sha = std::process::Command::new(&py)
        .args([
            "-c",
            "import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let sha = String::from_utf8(sha.stdout).unwrap().trim().to_owned();
    asyncio::run(async move {
        let form = Form::new()
            .text("title", "holiday ✓")
            .part("photo", Part::file(&file).await.unwrap().mime("image/jpeg"))
            .part("raw", Part::bytes(vec![0u8, 1, 2]).file_name("r.bin"));
        let resp = ClientSession::new()
            .post(format!("http://127.0.0.1:{}/upload", peer.port))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let seen: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(seen["title"]["size"], "holiday ✓".len());
        assert_eq!(seen["title"]["filename"], serde_json::Value::Null);
        assert_eq!(seen["photo"]["filename"], "photo.jpg");
        assert_eq!(seen["photo"]["content_type"], "image/jpeg");
        assert_eq!(seen["photo"]["size"], 3 << 20);
        assert_eq!(seen["photo"]["sha256"], sha);
        assert_eq!(seen["raw"]["filename"], "r.bin");
        assert_eq!(seen["raw"]["content_type"], "application/octet-stream");
        assert_eq!(seen["raw"]["size"], 3);
    });
}

/// Reads every field, answering `name:file_name:content_type:size:hash` lines, or the status
/// the failure maps to.
async fn summarise(mut mp: Multipart) -> Response {
    let mut lines = Vec::new();
    loop {
        let mut field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Response::text(e.to_string()).status(multipart_status(&e)),
        };
        let name = field.name().unwrap_or("").to_owned();
        let file = field.file_name().unwrap_or("").to_owned();
        let ct = field
            .content_type()
            .map(|m| m.to_string())
            .unwrap_or_default();
        let (mut size, mut hash) = (0usize, FNV0);
        loop {
            match field.chunk().await {
                Ok(Some(c)) => {
                    size += c.len();
                    hash = fnv(&c, hash);
                }
                Ok(None) => break,
                Err(e) => return Response::text(e.to_string()).status(multipart_status(&e)),
            }
        }
        lines.push(format!("{name}:{file}:{ct}:{size}:{hash:x}"));
    }
    Response::text(lines.join("\n"))
}

#[test]
fn our_upload_route_parses_what_aiohttp_sends_and_enforces_its_limits() {
    let Some(py) = peers::python(&["aiohttp"]) else {
        return;
    };
    let dir = peers::TempDir::new("route");
    let file = dir.0.join("big.bin");
    let data = content(2 << 20);
    std::fs::write(&file, &data).unwrap();
    let expected = format!(
        "photo:beach.bin:image/x-test:{}:{:x}",
        data.len(),
        fnv(&data, FNV0)
    );
    asyncio::run(async move {
        let limits = UploadLimits {
            body: 8 << 20,
            field: 4 << 20,
        };
        let router = Router::new()
            .upload("/up", limits, |_req, mp| summarise(mp))
            .upload(
                "/tiny",
                UploadLimits {
                    body: 1 << 20,
                    field: 1 << 20,
                },
                |_req, mp| summarise(mp),
            );
        let server = serve("127.0.0.1:0", router).await.unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());

        // aiohttp's client runs in a thread: this loop keeps serving meanwhile.
        let (py2, up, f) = (py.clone(), format!("{base}/up"), file.clone());
        let seen = asyncio::blocking::to_thread(move || {
            peers::python_client(&py2, &["upload", &up, f.to_str().unwrap()])
        })
        .await
        .unwrap();
        assert_eq!(seen["status"], 200, "{seen}");
        let body = seen["body"].as_str().unwrap_or_else(|| panic!("{seen}"));
        assert_eq!(
            body.lines().collect::<Vec<_>>(),
            [
                format!(
                    "title::text/plain; charset=utf-8:7:{:x}",
                    fnv(b"holiday", FNV0)
                ),
                expected
            ]
        );

        // Over the field limit: 413, from our client this time.
        let session = ClientSession::new();
        let form = Form::new().part("f", Part::file(&file).await.unwrap());
        let resp = session
            .post(format!("{base}/tiny"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 413);
        // No boundary, a wrong boundary, not multipart at all: 400.
        for (ct, body) in [
            ("multipart/form-data", "--x\r\n\r\n--x--\r\n"),
            (
                "multipart/form-data; boundary=other",
                "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n",
            ),
            ("text/plain", "hello"),
        ] {
            let resp = session
                .post(format!("{base}/up"))
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 400, "{ct}: {:?}", resp.text().await);
        }
        server.shutdown(std::time::Duration::from_secs(1)).await;
    });
}

#[test]
fn streamed_bodies_go_sized_or_chunked() {
    asyncio::run(async {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s2 = seen.clone();
        let router = Router::new().post("/", move |req| {
            let framing = match (
                req.headers().get("content-length"),
                req.headers().get("transfer-encoding"),
            ) {
                (Some(l), _) => format!("length {}", l.to_str().unwrap()),
                (None, Some(t)) => t.to_str().unwrap().to_owned(),
                (None, None) => "none".into(),
            };
            s2.borrow_mut().push((framing, req.body().len()));
            async { Response::text("ok") }
        });
        let server = serve("127.0.0.1:0", router).await.unwrap();
        let url = format!("http://{}/", server.local_addr().unwrap());
        let chunks = || {
            Chunks(
                (0..4)
                    .map(|_| bytes::Bytes::from(vec![b'a'; 1000]))
                    .collect(),
            )
        };
        let session = ClientSession::new();
        session
            .post(&url)
            .body_stream_sized(chunks(), 4000)
            .send()
            .await
            .unwrap();
        session
            .post(&url)
            .body_stream(chunks())
            .send()
            .await
            .unwrap();
        // A stream shorter than its declared length fails the request, not silently.
        let short = session
            .post(&url)
            .body_stream_sized(chunks(), 5000)
            .send()
            .await;
        assert!(short.is_err(), "{short:?}");
        assert_eq!(
            seen.borrow()[..2],
            [
                ("length 4000".to_owned(), 4000),
                ("chunked".to_owned(), 4000)
            ]
        );
        server.shutdown(std::time::Duration::from_secs(1)).await;
    });
}

struct Chunks(Vec<bytes::Bytes>);

impl futures_core::Stream for Chunks {
    type Item = bytes::Bytes;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<bytes::Bytes>> {
        let next = (!self.0.is_empty()).then(|| self.0.remove(0));
        std::task::Poll::Ready(next)
    }
}
