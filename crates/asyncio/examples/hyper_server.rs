//! hyper's HTTP/1.1 server on an asyncio-rs loop: `Hello, World!` on every path, keep-alive,
//! no tokio. Listens on the address given as the first argument (default 127.0.0.1:3000).
//!
//! ```text
//! cargo run --release -p asyncio --features hyper --example hyper_server -- 127.0.0.1:3000
//! wrk -t1 -c100 -d10s http://127.0.0.1:3000/
//! ```

use std::convert::Infallible;

use asyncio::compat::LoopTimer;
use asyncio::net::TcpListener;
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};

async fn hello(_req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

#[asyncio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        asyncio::spawn(async move {
            let conn = http1::Builder::new()
                .timer(LoopTimer)
                .serve_connection(stream, service_fn(hello));
            if let Err(e) = conn.await {
                eprintln!("connection error: {e}");
            }
        });
    }
}
