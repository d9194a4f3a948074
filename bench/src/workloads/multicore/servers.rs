//! The multi-core servers on asyncio-rs (a `Runtime` of two loops, `serve` with one
//! `SO_REUSEPORT` listener per loop) and tokio's multi-threaded runtime (two workers, one
//! listener, accepted sockets stolen between workers as tokio does).

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};

use super::{announce, LOOPS};

pub(crate) fn asyncio_echo() {
    let rt = asyncio::Runtime::builder()
        .loops(LOOPS)
        .build()
        .expect("runtime");
    let handle = rt.handle();
    rt.block_on(async move {
        let group = handle
            .serve("127.0.0.1:0".parse().expect("addr"), |listener| {
                asyncio::streams::Server::serve(
                    vec![listener],
                    super::super::echo::servers::echo_streams,
                )
            })
            .await
            .expect("serve");
        announce(group.local_addr().port());
        group.wait_closed().await;
    });
}

pub(crate) fn tokio_echo() {
    super::super::rt::tokio_mt().block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        announce(listener.local_addr().expect("addr").port());
        super::super::echo::servers::tokio_accept_echo(listener).await;
    });
}

async fn hello(_req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

pub(crate) fn asyncio_hyper() {
    let rt = asyncio::Runtime::builder()
        .loops(LOOPS)
        .build()
        .expect("runtime");
    let handle = rt.handle();
    rt.block_on(async move {
        let group = handle
            .serve("127.0.0.1:0".parse().expect("addr"), |listener| {
                asyncio::net::Server::serve_with(vec![listener], |stream| async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(asyncio::compat::LoopTimer)
                        .serve_connection(asyncio::compat::HyperIo(stream), service_fn(hello))
                        .await;
                })
            })
            .await
            .expect("serve");
        announce(group.local_addr().port());
        group.wait_closed().await;
    });
}

pub(crate) fn tokio_hyper() {
    super::super::rt::tokio_mt().block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        announce(listener.local_addr().expect("addr").port());
        loop {
            let (s, _) = listener.accept().await.expect("accept");
            s.set_nodelay(true).expect("nodelay");
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(super::super::hyper_wrk::TokioTimer)
                    .serve_connection(super::super::hyper_wrk::TokioIo(s), service_fn(hello))
                    .await;
            });
        }
    });
}
