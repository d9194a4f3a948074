//! One small document fetched whole — a robots.txt, a sitemap: redirects followed whatever the
//! session's own setting (a crawl's session leaves them to the frontier; robots.txt must follow
//! them, RFC 9309 §2.3.1.2), the body read up to a limit and decoded (a `--warc` session keeps
//! bodies as received).

use asyncio_http::ClientSession;

/// A fetched document.
pub(crate) struct Document {
    pub(crate) status: u16,
    /// The decoded body of a 2xx answer (at most the limit); empty otherwise.
    pub(crate) body: Vec<u8>,
    /// The body went on past the limit (what is kept is its start).
    pub(crate) truncated: bool,
}

/// GETs `url` with `session`, keeping at most `limit` bytes of the body.
///
/// # Errors
/// What the request or the decoding said, as text.
pub(crate) async fn fetch(
    session: &ClientSession,
    url: &url::Url,
    limit: usize,
) -> Result<Document, String> {
    let mut resp = session
        .get(url)
        .follow_redirects(true)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        return Ok(Document {
            status,
            body: Vec::new(),
            truncated: false,
        });
    }
    let encoding = resp
        .headers()
        .get(asyncio_http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut raw = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        raw.extend_from_slice(&chunk);
        if raw.len() > limit {
            truncated = true;
            break; // dropping the response closes the connection
        }
    }
    let body = asyncio_http::client::decompress(encoding.as_deref(), &raw, limit)
        .map_err(|e| e.to_string())?;
    Ok(Document {
        status,
        truncated: truncated || body.len() >= limit,
        body,
    })
}
