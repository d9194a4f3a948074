//! One attempt at a URL: the request, the body up to `--max-bytes`, with `--warc` every hop
//! archived, in crawl mode the page's links, with `--save` the body stored.

use asyncio_http::{Error, Method};

use super::{Context, Lane};
use crate::links::Found;

/// The most redirects `--warc` follows in list mode (the session's own limit otherwise).
const MAX_HOPS: usize = 10;

/// What one attempt brought back.
pub(super) struct Got {
    pub(super) status: u16,
    /// Where the redirects ended, credentials redacted.
    pub(super) final_url: String,
    pub(super) bytes: u64,
    pub(super) content_type: Option<String>,
    /// The response's `Retry-After`, for the retry policy.
    pub(super) retry_headers: asyncio_http::HeaderMap,
    /// `--save`: the stored file's name, or why it could not be stored.
    pub(super) saved: Option<Result<String, String>>,
    pub(super) truncated: bool,
    /// Crawl mode: the links of an HTML page (or a redirect's target).
    pub(super) links: Option<Found>,
    /// `--warc`: every hop's records.
    pub(super) warc: Vec<u8>,
}

/// Makes one attempt at `url`.
///
/// # Errors
/// The request failed (asyncio-http's error).
pub(super) async fn once(cx: &Context, lane: &Lane, url: &url::Url) -> Result<Got, Error> {
    let profile = &cx.profile;
    let method: &Method = &profile.method;
    let crawling = cx.bounds.is_some();
    let mut url = url.clone();
    let mut warc = Vec::new();
    let mut hops = 0;
    loop {
        let mut resp = lane.session.request(method.clone(), &url).send().await?;
        let status = resp.status().as_u16();
        let final_url = crate::record::redact(resp.url());
        let content_type = resp.content_type().map(str::to_owned);
        let mut retry_headers = asyncio_http::HeaderMap::new();
        if let Some(v) = resp.headers().get(asyncio_http::header::RETRY_AFTER) {
            retry_headers.insert(asyncio_http::header::RETRY_AFTER, v.clone());
        }
        let location = resp
            .headers()
            .get(asyncio_http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| resp.url().join(l).ok());
        let response_head = cx.payloads.as_ref().map(|_| response_head(&resp));
        let encoding = resp
            .headers()
            .get(asyncio_http::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let peer = resp.remote_addr();
        // The body, up to `--max-bytes`: a longer one is cut there (the status stands).
        let limit = profile.max_bytes.unwrap_or(u64::MAX);
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = resp.chunk().await? {
            let room = limit.saturating_sub(body.len() as u64);
            if chunk.len() as u64 > room {
                body.extend_from_slice(&chunk[..room as usize]);
                truncated = true;
                break; // dropping the response closes the connection
            }
            body.extend_from_slice(&chunk);
        }
        drop(resp);
        if let (Some(payloads), Some(head)) = (&cx.payloads, response_head) {
            let exchange = crate::warc::Exchange {
                url: url.as_str(),
                ip: peer.map(|p| p.ip()),
                request: profile.request_head(method, &url),
                response_head: head,
                body: &body,
            };
            warc.extend(crate::warc::records(&exchange, payloads));
        }
        let redirect = matches!(status, 301 | 302 | 303 | 307 | 308) && location.is_some();
        if redirect && !crawling && hops < MAX_HOPS {
            // `--warc` in list mode: every hop is its own exchange in the archive.
            hops += 1;
            url = location.expect("checked above");
            continue;
        }
        let links = if !crawling {
            None
        } else if redirect {
            // A crawl queues a redirect's target like a link.
            let target = crate::links::normalise(location.expect("checked above"));
            Some(Found {
                count: 1,
                follow: vec![target],
            })
        } else if is_html(content_type.as_deref()) && (200..300).contains(&status) {
            let plain = if profile.archive {
                asyncio_http::client::decompress(encoding.as_deref(), &body, 64 << 20)
                    .unwrap_or_default()
            } else {
                std::mem::take(&mut body)
            };
            let found = crate::links::extract(&url, &plain);
            if !profile.archive {
                body = plain;
            }
            Some(found)
        } else {
            None
        };
        let saved = match &lane.saver {
            Some(saver) => Some(saver.save(&url, &body).await),
            None => None,
        };
        return Ok(Got {
            status,
            final_url,
            bytes: body.len() as u64,
            content_type,
            retry_headers,
            saved,
            truncated,
            links,
            warc,
        });
    }
}

/// Whether a response is HTML worth parsing for links.
fn is_html(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|t| {
        let t = t.trim_start().to_ascii_lowercase();
        t.starts_with("text/html") || t.starts_with("application/xhtml+xml")
    })
}

/// The status line and headers as received (see [`crate::warc`] on transfer framing).
fn response_head(resp: &asyncio_http::Response) -> String {
    let version = match resp.version() {
        asyncio_http::Version::HTTP_10 => "HTTP/1.0",
        asyncio_http::Version::HTTP_2 => "HTTP/2",
        _ => "HTTP/1.1",
    };
    let mut s = format!("{version} {} {}\r\n", resp.status().as_u16(), resp.reason());
    for (name, value) in resp.headers() {
        let name = if name == asyncio_http::header::TRANSFER_ENCODING {
            "x-crawler-transfer-encoding"
        } else {
            name.as_str()
        };
        s.push_str(name);
        s.push_str(": ");
        s.push_str(&String::from_utf8_lossy(value.as_bytes()));
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_recognised_by_its_media_type_only() {
        assert!(is_html(Some("text/html; charset=utf-8")));
        assert!(is_html(Some(" TEXT/HTML")));
        assert!(is_html(Some("application/xhtml+xml")));
        assert!(!is_html(Some("text/plain")));
        assert!(!is_html(Some("application/json")));
        assert!(!is_html(None));
    }
}
