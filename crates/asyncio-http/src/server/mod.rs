//! A small aiohttp.web: [`Router`] (method + path with `:param` segments) and [`serve`] on
//! hyper, with keep-alive, a request body limit, streamed multipart uploads, WebSocket routes
//! and graceful shutdown (through the returned [`asyncio::streams::Server`]). Enough for
//! examples, tests, demos and small services.

mod body;
mod multipart;
mod router;

pub use body::{Request, Response};
pub use multipart::{multipart_status, Field, Multipart, MultipartError, UploadLimits};
pub use router::Router;

use std::io;
use std::rc::Rc;

use asyncio::net::Server;
use asyncio::net::{TcpListener, TcpStream, ToSocketAddrs};
use hyper::service::service_fn;

/// Serves `router` on every address `addr` resolves to.
///
/// ```
/// use asyncio_http::server::{serve, Response, Router};
/// asyncio::run(async {
///     let router = Router::new().get("/hello/:name", |req| async move {
///         Response::text(format!("hello {}", req.param("name").unwrap()))
///     });
///     let server = serve("127.0.0.1:0", router).await.unwrap();
///     let url = format!("http://{}/hello/world", server.local_addr().unwrap());
///     let text = asyncio_http::ClientSession::new().get(&url).send().await.unwrap()
///         .text().await.unwrap();
///     assert_eq!(text, "hello world");
///     server.shutdown(std::time::Duration::from_secs(1)).await;
/// });
/// ```
///
/// # Errors
/// Resolution and bind errors.
///
/// # Cancel safety
/// Cancel-safe: listeners bound for a dropped future are closed.
pub async fn serve(addr: impl ToSocketAddrs, router: Router) -> io::Result<Server<TcpListener>> {
    serve_on(TcpListener::bind_all(addr).await?, router)
}

/// Serves `router` on listeners made elsewhere.
///
/// # Errors
/// When a listener's address cannot be read.
pub fn serve_on<L>(listeners: Vec<L>, router: Router) -> io::Result<Server<L>>
where
    L: asyncio::net::Listen<Stream = TcpStream>,
{
    let router = Rc::new(router);
    Server::serve_with(
        listeners,
        move |stream: asyncio::io::SharedStream<TcpStream>| {
            let router = router.clone();
            async move {
                let io = stream;
                let service = service_fn(move |req| {
                    let router = router.clone();
                    async move { Ok::<_, std::convert::Infallible>(router.handle(req).await) }
                });
                // Upgrades (WebSocket routes) want a `Send` socket: the loop's, checked at
                // run time by `LoopBound`.
                let io = asyncio::compat::hyper::LoopBound::new(io);
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(asyncio::compat::LoopTimer)
                    .serve_connection(io, service)
                    .with_upgrades();
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "HTTP connection ended with an error");
                }
            }
        },
    )
}
