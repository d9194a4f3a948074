//! The demo server's generated site, for crawling: `pages` pages under `/site/<i>`, seeded
//! and the same every run, each linking to about ten others, with the parts a polite crawler
//! must handle: a `robots.txt` that disallows `/site/private/`, `rel=nofollow` links, links
//! off the host, relative links with dot segments, fragments and empty queries (one page
//! under several spellings), gzip-encoded pages, and sitemaps (an index, a plain one and a
//! gzipped one).
//!
//! Every page is reachable from `/site/0`: page `i` links to pages `8i+1 ..= 8i+8`.
//!
//! What a correct crawl of the site from `/site/0` finds (`expected`, a test helper): each of
//! the `pages` pages once, plus one robots-refused line for each `/site/private/<i>` linked
//! (every tenth page links to one); nothing under `/site/nofollow/`, nothing off the host.

use std::fmt::Write as _;

use asyncio_http::server::{Request, Response, Router};
use asyncio_http::StatusCode;

/// A fixed mix from the page number (xorshift on the id: the same run every time).
pub(crate) fn mix(id: u64) -> u64 {
    let mut x = id.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xdead_beef;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// The `robots.txt` of the site: `/site/private/` is closed to every crawler but a made-up
/// `goodbot`, and `badbot` may fetch nothing.
pub(crate) fn robots(base: &str) -> String {
    format!(
        "# the demo site\nUser-agent: badbot\nDisallow: /\n\nUser-agent: goodbot\nAllow: /\n\nUser-agent: *\nDisallow: /site/private/\n\nSitemap: {base}/sitemap.xml\n"
    )
}

/// The links of page `i` (of `pages`), as written in its HTML: (href, rel).
pub(crate) fn links(i: u64, pages: u64) -> Vec<(String, &'static str)> {
    let mut out = Vec::with_capacity(12);
    for c in 8 * i + 1..=8 * i + 8 {
        if c < pages {
            out.push((format!("/site/{c}"), ""));
        }
    }
    let r = mix(i);
    let a = r % pages;
    let b = (r >> 20) % pages;
    // Relative, with dot segments, a fragment or an empty query.
    out.push((format!("../site/{a}#part-{}", r % 7), ""));
    out.push((format!("./{b}?"), ""));
    if i % 10 == 0 {
        out.push((format!("/site/private/{i}"), ""));
    }
    if i % 7 == 3 {
        out.push((format!("/site/nofollow/{i}"), "nofollow"));
    }
    if i % 13 == 5 {
        out.push(("http://elsewhere.invalid/page".to_owned(), ""));
    }
    out
}

/// Page `i`'s HTML.
pub(crate) fn page(i: u64, pages: u64) -> String {
    let mut html = String::with_capacity(2048);
    let _ = write!(
        html,
        "<!doctype html><html><head><meta charset=utf-8><title>Page {i}</title>"
    );
    if i + 1 < pages {
        let _ = write!(html, "<link rel=next href=\"/site/{}\">", i + 1);
    }
    html.push_str("</head><body><h1>Page ");
    let _ = write!(html, "{i}</h1><ul>");
    for (href, rel) in links(i, pages) {
        if rel.is_empty() {
            let _ = write!(html, "<li><a href=\"{href}\">{href}</a></li>");
        } else {
            let _ = write!(html, "<li><a rel=\"{rel}\" href=\"{href}\">{href}</a></li>");
        }
    }
    html.push_str("</ul><p>");
    html.push_str(&"lorem ipsum dolor sit amet ".repeat(20 + (mix(i) % 40) as usize));
    html.push_str("</p></body></html>");
    html
}

/// Whether page `i` is served gzip-encoded (to a client that accepts it).
fn gzipped(i: u64) -> bool {
    i % 5 == 2
}

/// The sitemaps: an index naming a plain sitemap (the first half of the pages) and a gzipped
/// one (the rest).
fn sitemap_index(base: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n<sitemap><loc>{base}/sitemap-0.xml</loc></sitemap>\n<sitemap><loc>{base}/sitemap-1.xml.gz</loc></sitemap>\n</sitemapindex>\n"
    )
}

fn sitemap(base: &str, from: u64, to: u64) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for i in from..to {
        let _ = writeln!(s, "<url><loc>{base}/site/{i}</loc></url>");
    }
    s.push_str("</urlset>\n");
    s
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("writing to memory");
    e.finish().expect("writing to memory")
}

/// `http://<Host>` from the request (the sitemap lines need absolute URLs).
fn base_of(req: &Request) -> String {
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn accepts_gzip(req: &Request) -> bool {
    req.headers()
        .get("accept-encoding")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|v| v.contains("gzip"))
}

/// Adds the site's routes to `router`; pages answer after `delay(i)`.
pub(crate) fn routes(
    router: Router,
    pages: u64,
    delay: impl Fn(u64) -> std::time::Duration + Clone + 'static,
) -> Router {
    let page_delay = delay.clone();
    router
        .get("/robots.txt", |req| async move {
            Response::text(robots(&base_of(&req)))
        })
        .get("/sitemap.xml", |req| async move {
            Response::bytes(sitemap_index(&base_of(&req))).header("content-type", "application/xml")
        })
        .get("/sitemap-0.xml", move |req| async move {
            Response::bytes(sitemap(&base_of(&req), 0, pages / 2))
                .header("content-type", "application/xml")
        })
        .get("/sitemap-1.xml.gz", move |req| async move {
            Response::bytes(gzip(sitemap(&base_of(&req), pages / 2, pages).as_bytes()))
                .header("content-type", "application/gzip")
        })
        .get("/site/:id", move |req| {
            let delay = page_delay.clone();
            async move {
                let Some(i) = req.param("id").and_then(|s| s.parse::<u64>().ok()) else {
                    return Response::text("not found").status(StatusCode::NOT_FOUND);
                };
                if i >= pages {
                    return Response::text("not found").status(StatusCode::NOT_FOUND);
                }
                asyncio::time::sleep(delay(i)).await;
                let html = page(i, pages);
                if gzipped(i) && accepts_gzip(&req) {
                    Response::bytes(gzip(html.as_bytes()))
                        .header("content-type", "text/html; charset=utf-8")
                        .header("content-encoding", "gzip")
                } else {
                    Response::html(html)
                }
            }
        })
        .get("/site/private/:id", |_| async {
            Response::html("<html><body>private: a polite crawler never sees this</body></html>")
        })
        .get("/site/nofollow/:id", |_| async {
            Response::html("<html><body>nofollow: a polite crawler never comes here</body></html>")
        })
}

#[cfg(test)]
/// What a crawl of the whole site from `/site/0` must record: (pages fetched, URLs refused
/// by robots.txt).
pub(crate) fn expected(pages: u64) -> (u64, u64) {
    let private = (0..pages).filter(|i| i % 10 == 0).count() as u64;
    (pages, private)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_is_reachable_from_the_root() {
        let pages = 5000;
        let mut seen = vec![false; pages as usize];
        let mut stack = vec![0u64];
        seen[0] = true;
        while let Some(i) = stack.pop() {
            for (href, _) in links(i, pages) {
                if let Some(n) = href
                    .strip_prefix("/site/")
                    .and_then(|s| s.parse::<u64>().ok())
                {
                    if !seen[n as usize] {
                        seen[n as usize] = true;
                        stack.push(n);
                    }
                }
            }
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(expected(pages), (5000, 500));
    }

    #[test]
    fn pages_are_the_same_every_run() {
        assert_eq!(page(42, 1000), page(42, 1000));
        assert_ne!(page(42, 1000), page(43, 1000));
    }
}
