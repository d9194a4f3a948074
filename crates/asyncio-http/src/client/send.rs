//! A request from start to end: the session's and the request's settings merged, then one
//! hop after another while redirects are followed — each hop with the jar's cookies for its
//! URL, its proxy, and credentials only while the origin stays the same.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::Method;

use super::auth::{same_origin, strip_credentials};
use super::body::Payload;
use super::cookies;
use super::decode::ACCEPT_ENCODING;
use super::exchange::{send_with_retries, Hop};
use super::{Auth, Redirect, RequestBuilder, Response};
use crate::error::{Error, Result};

pub(crate) async fn send(req: RequestBuilder) -> Result<Response> {
    if let Some(e) = req.error {
        return Err(e);
    }
    let inner = req.session.inner.clone();
    let config = &inner.config;
    let timeout = req.timeout.unwrap_or(config.timeout);
    let deadline = timeout.total.map(|t| asyncio::time::now() + t);
    let mut url = req.url.expect("a builder without a URL carries its error");
    if !req.query.is_empty() {
        url.query_pairs_mut().extend_pairs(&req.query);
    }
    // Credentials: an explicit header, then the request's, the URL's, the session's.
    let auth = req
        .auth
        .or_else(|| Auth::from_url(&url))
        .or_else(|| config.auth.clone())
        .or_else(|| {
            let netrc = inner.netrc.as_ref()?;
            netrc.auth_for(url.host_str()?)
        });
    strip_credentials(&mut url);
    let proxies = req.proxy.as_ref().unwrap_or(&inner.proxies);
    let follow = req.follow_redirects.unwrap_or(config.follow_redirects);
    let mut method = req.method;
    let mut body = req.body;
    let mut headers = config.headers.clone();
    // A request's header replaces the session's of that name; its repeated headers all go.
    for k in req.headers.keys() {
        headers.remove(k);
    }
    for (k, v) in &req.headers {
        headers.append(k, v.clone());
    }
    if let Some(auth) = auth {
        if !headers.contains_key(header::AUTHORIZATION) {
            headers.insert(header::AUTHORIZATION, auth.header_value());
        }
    }
    if config.auto_decompress && !headers.contains_key(header::ACCEPT_ENCODING) {
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static(ACCEPT_ENCODING),
        );
    }
    // The caller's own `Cookie` header and per-request cookies belong to the first origin.
    let extra_cookies = req.cookies;
    let explicit_cookie = headers.remove(header::COOKIE);
    // Whether every hop so far stayed on the first origin.
    let mut own = true;
    let mut history: Vec<Redirect> = Vec::new();
    let max_redirects = req.max_redirects.unwrap_or(config.max_redirects);
    loop {
        let extra: &[(String, String)] = if own { &extra_cookies } else { &[] };
        let cookie = match (&config.cookies, own) {
            (Some(jar), _) => jar.header_for(&url, extra),
            (None, true) => cookies::extra_header(&extra_cookies),
            (None, false) => None,
        };
        match (cookie, explicit_cookie.as_ref().filter(|_| own)) {
            (Some(c), Some(e)) => {
                let mut both = e.as_bytes().to_vec();
                both.extend_from_slice(b"; ");
                both.extend_from_slice(c.as_bytes());
                if let Ok(v) = HeaderValue::from_bytes(&both) {
                    headers.insert(header::COOKIE, v);
                }
            }
            (Some(v), None) => {
                headers.insert(header::COOKIE, v);
            }
            (None, Some(v)) => {
                headers.insert(header::COOKIE, v.clone());
            }
            (None, None) => {
                headers.remove(header::COOKIE);
            }
        }
        let via = proxies.via(&url)?;
        let hop = Hop {
            method: &method,
            url: &url,
            headers: &headers,
            body: &body,
            via: via.as_ref(),
        };
        let resp = send_with_retries(&inner, &hop, timeout, deadline).await?;
        let redirect = follow
            && matches!(resp.status.as_u16(), 301 | 302 | 303 | 307 | 308)
            && resp.headers.contains_key(header::LOCATION);
        // A streamed body cannot be sent twice: a redirect that keeps it ends here.
        let keeps_body = matches!(resp.status.as_u16(), 307 | 308);
        if !redirect || (keeps_body && !body.replayable()) {
            let mut resp = resp;
            resp.history = history;
            return Ok(resp);
        }
        let location = resp.headers[header::LOCATION]
            .to_str()
            .unwrap_or("")
            .to_owned();
        let mut next = url.join(&location).map_err(|e| Error::InvalidUrl {
            url: location.clone(),
            reason: format!("bad redirect from {url}: {e}"),
        })?;
        if history.len() >= max_redirects {
            return Err(Error::TooManyRedirects {
                url: url.to_string(),
                max: max_redirects,
                looped: false,
            });
        }
        if next == url || history.iter().any(|r| r.url == next) {
            return Err(Error::TooManyRedirects {
                url: url.to_string(),
                max: max_redirects,
                looped: true,
            });
        }
        if !matches!(next.scheme(), "http" | "https") {
            return Err(Error::InvalidUrl {
                url: next.to_string(),
                reason: format!("redirect from {url} to an unsupported scheme"),
            });
        }
        inner
            .config
            .trace
            .each(|t| t.redirect(&url, &next, resp.status));
        // 301/302/303 become GET without a body (HEAD stays HEAD); 307/308 keep both.
        if matches!(resp.status.as_u16(), 301..=303) && method != Method::HEAD {
            method = Method::GET;
            body = Payload::Bytes(Bytes::new());
            headers.remove(header::CONTENT_TYPE);
            headers.remove(header::CONTENT_LENGTH);
        }
        if !same_origin(&url, &next) {
            // Credentials were for the origin that was asked; curl and reqwest drop them too.
            headers.remove(header::AUTHORIZATION);
            headers.remove(header::PROXY_AUTHORIZATION);
            own = false;
        }
        strip_credentials(&mut next);
        let (status, redirect_headers) = (resp.status, resp.headers.clone());
        // Reading the redirect's small body lets its connection go back to the pool.
        drop(resp.bytes().await);
        history.push(Redirect {
            url: std::mem::replace(&mut url, next),
            status,
            headers: redirect_headers,
        });
    }
}
