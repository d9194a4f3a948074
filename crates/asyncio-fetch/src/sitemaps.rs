//! `--sitemaps`: a crawl also starts from the pages its seeds' sites list in their sitemaps —
//! the `Sitemap:` lines of robots.txt and `/sitemap.xml` — plain or gzipped, following sitemap
//! indexes (parsed by quick-xml).
//!
//! Limits, from the sitemaps protocol: a sitemap is read up to 50 MiB uncompressed; at most
//! [`MAX_SITEMAPS`] sitemaps per crawl, nested indexes at most [`MAX_NESTING`] deep.

use std::collections::HashSet;

use asyncio_http::ClientSession;
use quick_xml::events::Event;

/// The protocol's size limit for one sitemap.
const MAX_BYTES: usize = 50 << 20;
/// Sitemaps read at most per crawl.
const MAX_SITEMAPS: usize = 1000;
/// Indexes within indexes.
const MAX_NESTING: u32 = 3;

/// What one sitemap lists.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Listed {
    /// `<urlset>`: page URLs.
    pub(crate) pages: Vec<String>,
    /// `<sitemapindex>`: more sitemaps.
    pub(crate) sitemaps: Vec<String>,
}

/// Parses a sitemap or a sitemap index (gzip is recognised by its magic bytes).
pub(crate) fn parse(body: &[u8]) -> Result<Listed, String> {
    let plain;
    let body = if body.starts_with(&[0x1f, 0x8b]) {
        plain = asyncio_http::client::decompress(Some("gzip"), body, MAX_BYTES)
            .map_err(|e| e.to_string())?;
        &plain[..]
    } else {
        body
    };
    let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut out = Listed::default();
    let mut index = false;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => match e.local_name().as_ref() {
                b"sitemapindex" => index = true,
                b"loc" => {
                    let raw = reader.read_text(e.name()).map_err(|e| e.to_string())?;
                    let loc = quick_xml::escape::unescape(raw.trim())
                        .map_err(|e| e.to_string())?
                        .into_owned();
                    if index {
                        out.sitemaps.push(loc);
                    } else {
                        out.pages.push(loc);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// The pages listed by the sitemaps of `origins` (their robots.txt `Sitemap:` lines, given in
/// `from_robots`, and `/sitemap.xml`), each with the sitemap that listed it. A sitemap that
/// cannot be fetched or parsed is reported to `problem` and skipped.
pub(crate) async fn discover(
    session: &ClientSession,
    origins: &[url::Url],
    from_robots: Vec<String>,
    mut problem: impl FnMut(String),
) -> Vec<(url::Url, String)> {
    let mut queue: Vec<(String, u32)> = from_robots.into_iter().map(|s| (s, 0)).collect();
    for o in origins {
        if let Ok(u) = o.join("/sitemap.xml") {
            queue.push((u.to_string(), 0));
        }
    }
    let mut done = HashSet::new();
    let mut pages = Vec::new();
    while let Some((sitemap, nesting)) = queue.pop() {
        if !done.insert(sitemap.clone()) || done.len() > MAX_SITEMAPS {
            continue;
        }
        let listed = match fetch(session, &sitemap).await {
            Ok(Some(body)) => parse(&body),
            Ok(None) => continue, // no sitemap there (404): nothing to say
            Err(e) => Err(e),
        };
        match listed {
            Ok(l) => {
                if nesting < MAX_NESTING {
                    queue.extend(l.sitemaps.into_iter().map(|s| (s, nesting + 1)));
                }
                for p in l.pages {
                    if let Ok(u) = url::Url::parse(&p) {
                        pages.push((crate::links::normalise(u), sitemap.clone()));
                    }
                }
            }
            Err(e) => problem(format!("sitemap {sitemap}: {e}")),
        }
    }
    pages
}

/// A sitemap's body (decoded from its transfer); `None` for a 4xx.
async fn fetch(session: &ClientSession, url: &str) -> Result<Option<Vec<u8>>, String> {
    let url = url::Url::parse(url).map_err(|e| e.to_string())?;
    let doc = crate::document::fetch(session, &url, MAX_BYTES).await?;
    match doc.status {
        400..=499 => Ok(None),
        200..=299 if doc.truncated => Err("over 50 MiB".to_owned()),
        200..=299 => Ok(Some(doc.body)),
        s => Err(format!("status {s}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlsets_indexes_entities_and_gzip() {
        let set =
            br#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <url><loc> http://h/a?x=1&amp;y=2 </loc><lastmod>2024-01-01</lastmod></url>
            <url><loc>http://h/b</loc></url></urlset>"#;
        let l = parse(set).unwrap();
        assert_eq!(l.pages, ["http://h/a?x=1&y=2", "http://h/b"]);
        assert!(l.sitemaps.is_empty());
        let index =
            br#"<sitemapindex><sitemap><loc>http://h/s1.xml.gz</loc></sitemap></sitemapindex>"#;
        assert_eq!(parse(index).unwrap().sitemaps, ["http://h/s1.xml.gz"]);
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(set).unwrap();
        assert_eq!(parse(&gz.finish().unwrap()).unwrap(), l);
        assert!(parse(b"<urlset><url><loc>x</url>").is_err());
    }
}
