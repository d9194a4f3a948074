//! [`Router`]: routes by method and path, with `:param` segments; a route's body is read
//! whole (up to the limit), streamed as multipart fields, or upgraded to a WebSocket.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Limited};

use super::body::{Request, Response, ResponseBody};
use super::multipart::{Multipart, UploadLimits};
use crate::ws::{WebSocket, WsOptions};

type Boxed<T> = Pin<Box<dyn Future<Output = T>>>;

/// What a route does with a request.
#[derive(Clone)]
enum Handler {
    /// The body read whole, then the handler.
    Whole(Rc<dyn Fn(Request) -> Boxed<Response>>),
    /// The body parsed as multipart fields while the handler reads them.
    Upload(
        UploadLimits,
        Rc<dyn Fn(Request, Multipart) -> Boxed<Response>>,
    ),
    /// A WebSocket handshake answered, then the handler in a task of its own.
    WebSocket(WsOptions, Rc<dyn Fn(Request, WebSocket) -> Boxed<()>>),
}

enum Segment {
    Literal(String),
    Param(String),
}

struct Route {
    method: Method,
    segments: Vec<Segment>,
    handler: Handler,
}

/// Routes requests to handlers; unknown paths get 404, known paths with another method 405,
/// bodies over the limit (default 1 MiB) 413.
pub struct Router {
    routes: Vec<Route>,
    body_limit: usize,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("routes", &self.routes.len())
            .field("body_limit", &self.body_limit)
            .finish()
    }
}

impl Default for Router {
    fn default() -> Self {
        Self::new()
    }
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Self {
            routes: Vec::new(),
            body_limit: 1 << 20,
        }
    }

    /// The largest request body accepted, in bytes.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Adds a route for `method` and `path` (`/users/:id`).
    pub fn route<F, Fut>(self, method: Method, path: &str, handler: F) -> Self
    where
        F: Fn(Request) -> Fut + 'static,
        Fut: Future<Output = Response> + 'static,
    {
        self.add(
            method,
            path,
            Handler::Whole(Rc::new(move |r| Box::pin(handler(r)))),
        )
    }

    /// A POST route whose `multipart/form-data` body is parsed as a stream (the `multer`
    /// crate) within `limits`: the handler reads the fields one by one, a file's chunks as
    /// they arrive, so nothing is held whole in memory. A request that is not multipart or
    /// has no boundary gets `400` without calling the handler; a field or body over the limit
    /// makes the field's read fail ([`multipart_status`](super::multipart_status) maps it to
    /// `413`).
    pub fn upload<F, Fut>(self, path: &str, limits: UploadLimits, handler: F) -> Self
    where
        F: Fn(Request, Multipart) -> Fut + 'static,
        Fut: Future<Output = Response> + 'static,
    {
        let h = Handler::Upload(limits, Rc::new(move |r, m| Box::pin(handler(r, m))));
        self.add(Method::POST, path, h)
    }

    /// A WebSocket route (aiohttp's `WebSocketResponse`): the handshake is checked and
    /// answered, then `handler` runs in a task of its own with the [`WebSocket`]. A plain
    /// request to the path gets `400`.
    pub fn websocket<F, Fut>(self, path: &str, handler: F) -> Self
    where
        F: Fn(Request, WebSocket) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.websocket_with(path, WsOptions::default(), handler)
    }

    /// [`websocket`](Self::websocket) with subprotocols, a message limit or a heartbeat.
    pub fn websocket_with<F, Fut>(self, path: &str, options: WsOptions, handler: F) -> Self
    where
        F: Fn(Request, WebSocket) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let h = Handler::WebSocket(options, Rc::new(move |r, ws| Box::pin(handler(r, ws))));
        self.add(Method::GET, path, h)
    }

    fn add(mut self, method: Method, path: &str, handler: Handler) -> Self {
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix(':') {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(s.to_owned()),
            })
            .collect();
        self.routes.push(Route {
            method,
            segments,
            handler,
        });
        self
    }

    /// A GET route (also answers HEAD).
    pub fn get<F, Fut>(self, path: &str, handler: F) -> Self
    where
        F: Fn(Request) -> Fut + 'static,
        Fut: Future<Output = Response> + 'static,
    {
        self.route(Method::GET, path, handler)
    }

    /// A PUT route.
    pub fn put<F, Fut>(self, path: &str, handler: F) -> Self
    where
        F: Fn(Request) -> Fut + 'static,
        Fut: Future<Output = Response> + 'static,
    {
        self.route(Method::PUT, path, handler)
    }

    /// A DELETE route.
    pub fn delete<F, Fut>(self, path: &str, handler: F) -> Self
    where
        F: Fn(Request) -> Fut + 'static,
        Fut: Future<Output = Response> + 'static,
    {
        self.route(Method::DELETE, path, handler)
    }

    /// A POST route.
    pub fn post<F, Fut>(self, path: &str, handler: F) -> Self
    where
        F: Fn(Request) -> Fut + 'static,
        Fut: Future<Output = Response> + 'static,
    {
        self.route(Method::POST, path, handler)
    }

    fn find(
        &self,
        method: &Method,
        path: &str,
    ) -> Result<(Handler, HashMap<String, String>), StatusCode> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut path_matched = false;
        for route in &self.routes {
            if route.segments.len() != parts.len() {
                continue;
            }
            let mut params = HashMap::new();
            let ok = route
                .segments
                .iter()
                .zip(&parts)
                .all(|(seg, part)| match seg {
                    Segment::Literal(l) => l == part,
                    Segment::Param(name) => {
                        params.insert(name.clone(), (*part).to_owned());
                        true
                    }
                });
            if !ok {
                continue;
            }
            path_matched = true;
            if route.method == *method || (*method == Method::HEAD && route.method == Method::GET) {
                return Ok((route.handler.clone(), params));
            }
        }
        Err(if path_matched {
            StatusCode::METHOD_NOT_ALLOWED
        } else {
            StatusCode::NOT_FOUND
        })
    }

    pub(crate) async fn handle(
        &self,
        mut req: http::Request<hyper::body::Incoming>,
    ) -> http::Response<ResponseBody> {
        let (handler, params) = match self.find(req.method(), req.uri().path()) {
            Ok(found) => found,
            Err(status) => {
                return Response::text(status.canonical_reason().unwrap_or("error"))
                    .status(status)
                    .into_hyper()
            }
        };
        if let Handler::WebSocket(options, handler) = &handler {
            return match crate::ws::upgrade(&mut req, options) {
                Ok((answer, upgrading)) => {
                    let (parts, _) = req.into_parts();
                    let request = Request::new(parts, params, Bytes::new());
                    let handler = handler.clone();
                    asyncio::task::Builder::new()
                        .name("http.websocket")
                        .spawn(async move {
                            match upgrading.connect().await {
                                Ok(ws) => handler(request, ws).await,
                                Err(e) => tracing::debug!(error = %e, "WebSocket upgrade failed"),
                            }
                        });
                    answer.map(|_| ResponseBody(super::body::Payload::Full(None)))
                }
                Err(refusal) => {
                    let (parts, body) = refusal.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    let mut r = Response::bytes(body).status(parts.status).into_hyper();
                    r.headers_mut().extend(parts.headers);
                    r
                }
            };
        }
        let (parts, body) = req.into_parts();
        match handler {
            Handler::Whole(handler) => {
                let body: Bytes = match Limited::new(body, self.body_limit).collect().await {
                    Ok(b) => b.to_bytes(),
                    Err(_) => {
                        return Response::text("request body too large")
                            .status(StatusCode::PAYLOAD_TOO_LARGE)
                            .into_hyper()
                    }
                };
                handler(Request::new(parts, params, body))
                    .await
                    .into_hyper()
            }
            Handler::Upload(limits, handler) => {
                let multipart = match super::multipart::open(&parts.headers, body, &limits) {
                    Ok(m) => m,
                    Err(why) => {
                        return Response::text(why)
                            .status(StatusCode::BAD_REQUEST)
                            .into_hyper()
                    }
                };
                handler(Request::new(parts, params, Bytes::new()), multipart)
                    .await
                    .into_hyper()
            }
            Handler::WebSocket(..) => unreachable!("answered above"),
        }
    }
}
