//! [`Router`]: routes by method and path, with `:param` segments.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Limited};

use super::body::{Request, Response, ResponseBody};

type Handler = Rc<dyn Fn(Request) -> Pin<Box<dyn Future<Output = Response>>>>;

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
    pub fn route<F, Fut>(mut self, method: Method, path: &str, handler: F) -> Self
    where
        F: Fn(Request) -> Fut + 'static,
        Fut: Future<Output = Response> + 'static,
    {
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
            handler: Rc::new(move |r| Box::pin(handler(r))),
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
        req: http::Request<hyper::body::Incoming>,
    ) -> http::Response<ResponseBody> {
        let (parts, body) = req.into_parts();
        let (handler, params) = match self.find(&parts.method, parts.uri.path()) {
            Ok(found) => found,
            Err(status) => {
                return Response::text(status.canonical_reason().unwrap_or("error"))
                    .status(status)
                    .into_hyper()
            }
        };
        let body: Bytes = match Limited::new(body, self.body_limit).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                return Response::text("request body too large")
                    .status(StatusCode::PAYLOAD_TOO_LARGE)
                    .into_hyper()
            }
        };
        let request = Request {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            params,
            body,
        };
        handler(request).await.into_hyper()
    }
}
