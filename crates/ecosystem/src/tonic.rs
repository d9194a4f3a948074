//! tonic on the loop. tonic's own `Channel` and `Server` are built on tokio's runtime; its
//! generated clients and services are not. [`Channel`] is the client side: a tower `Service`
//! over one HTTP/2 connection driven by the loop, which any generated client takes
//! (`GreeterClient::with_origin(channel, origin)`). The server side needs no helper: a
//! generated server (or any `tower::Service<http::Request<_>>`) is served by
//! `asyncio::compat::hyper::serve` through hyper-util's `TowerToHyperService`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let channel = asyncio_ecosystem::tonic::Channel::connect("127.0.0.1:50051").await?;
//! let mut grpc = tonic::client::Grpc::with_origin(channel, "http://127.0.0.1:50051".parse().unwrap());
//! // grpc.unary(request, path, codec).await, as generated clients do.
//! # let _ = &mut grpc;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use asyncio::compat::{HyperIo, LoopExecutor, LoopTimer};
use asyncio::net::{TcpStream, ToSocketAddrs};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;

/// One HTTP/2 connection to a gRPC server, as the tower `Service` tonic's clients take.
/// Cheap to clone: clones share the connection (HTTP/2 multiplexes their calls).
#[derive(Clone, Debug)]
pub struct Channel {
    sender: SendRequest<tonic::body::Body>,
}

impl Channel {
    /// Connects (`TCP_NODELAY` set) and runs the HTTP/2 handshake; the connection is driven by
    /// a task of the running loop until every clone of the channel is dropped.
    ///
    /// # Errors
    /// Resolution, connection and handshake errors.
    ///
    /// # Cancel safety
    /// Cancel-safe: a dropped attempt closes its socket.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http2::Builder::new(LoopExecutor)
            .timer(LoopTimer)
            .handshake(HyperIo(stream))
            .await
            .map_err(io::Error::other)?;
        asyncio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "gRPC connection ended with an error");
            }
        });
        Ok(Self { sender })
    }
}

impl tower_service::Service<http::Request<tonic::body::Body>> for Channel {
    type Response = http::Response<Incoming>;
    type Error = hyper::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.sender.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        Box::pin(self.sender.send_request(req))
    }
}
