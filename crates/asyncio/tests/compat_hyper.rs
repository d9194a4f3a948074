//! hyper 1.x on an asyncio-rs loop: HTTP/1.1 and HTTP/2 servers and clients, over TCP and a
//! generic `futures-io` stream, with the loop's executor and timer.

use std::convert::Infallible;
use std::time::Duration;

use asyncio::compat::{HyperIo, LoopExecutor, LoopTimer};
use asyncio::net::{TcpListener, TcpStream, UnixStream};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};

async fn echo_path(
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let body = req.into_body().collect().await.unwrap().to_bytes();
    Ok(Response::new(Full::new(Bytes::from(format!(
        "{path}:{}",
        body.len()
    )))))
}

#[asyncio::test]
async fn http1_server_and_client_with_keep_alive() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let server = asyncio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        hyper::server::conn::http1::Builder::new()
            .timer(LoopTimer)
            .header_read_timeout(Duration::from_secs(5))
            .serve_connection(s, service_fn(echo_path))
            .await
            .unwrap();
    });
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(stream).await.unwrap();
    asyncio::spawn(conn);
    // Several requests over the one connection.
    for i in 0..20 {
        let req = Request::post(format!("/item/{i}"))
            .header("host", "localhost")
            .body(Full::new(Bytes::from(vec![b'x'; i * 100])))
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, format!("/item/{i}:{}", i * 100));
    }
    drop(sender);
    server.await.unwrap();
}

#[asyncio::test]
async fn http2_needs_the_loop_executor_and_works_over_unix_streams() {
    let (a, b) = UnixStream::pair().unwrap();
    asyncio::spawn(async move {
        hyper::server::conn::http2::Builder::new(LoopExecutor)
            .timer(LoopTimer)
            .serve_connection(a, service_fn(echo_path))
            .await
            .unwrap();
    });
    let (sender, conn) = hyper::client::conn::http2::Builder::new(LoopExecutor)
        .timer(LoopTimer)
        .handshake(HyperIo(b))
        .await
        .unwrap();
    asyncio::spawn(conn);
    // Concurrent streams on one connection.
    let mut tasks = Vec::new();
    for i in 0..10 {
        let mut s = sender.clone();
        tasks.push(asyncio::spawn(async move {
            let req = Request::get(format!("http://localhost/s{i}"))
                .body(Full::new(Bytes::new()))
                .unwrap();
            let resp = s.send_request(req).await.unwrap();
            resp.into_body().collect().await.unwrap().to_bytes()
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap(), format!("/s{i}:0"));
    }
}

#[asyncio::test(virtual_time)]
async fn hyper_timer_uses_loop_time() {
    use hyper::rt::Timer;
    let start = asyncio::time::now();
    LoopTimer.sleep(Duration::from_secs(30)).await;
    assert_eq!(asyncio::time::now() - start, Duration::from_secs(30));
    let mut s = LoopTimer.sleep(Duration::from_secs(100));
    LoopTimer.reset(&mut s, start + Duration::from_secs(40));
    s.await;
    assert_eq!(asyncio::time::now() - start, Duration::from_secs(40));
}
