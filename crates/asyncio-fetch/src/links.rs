//! Links out of an HTML page, by lol_html's streaming parser (no regexes): `<a href>`,
//! `<area href>`, `<link rel=alternate|next href>`, `<frame src>` and `<iframe src>`, resolved
//! against the page's URL or its `<base href>`. `rel=nofollow` links are skipped, and a
//! `<meta name=robots content=nofollow>` page gives none. Then each URL is normalised
//! ([`normalise`]) and kept only if in scope ([`Scope`]).

use std::cell::RefCell;

use lol_html::{element, HtmlRewriter, Settings};

/// The links of one page.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// Every link on the page, resolved (before nofollow, scope and dedupe).
    pub(crate) count: usize,
    /// The ones to follow: normalised, followable, `http(s)`, in the order found, each once.
    pub(crate) follow: Vec<url::Url>,
}

/// Extracts the links of `html` (a page fetched from `page`).
pub(crate) fn extract(page: &url::Url, html: &[u8]) -> Found {
    let base = RefCell::new(page.clone());
    let base_set = RefCell::new(false);
    let found: RefCell<Vec<(String, bool)>> = RefCell::new(Vec::new());
    let nofollow_page = RefCell::new(false);
    let push = |href: Option<String>, rel: Option<String>| {
        let Some(href) = href else { return };
        let nofollow = rel.is_some_and(|r| {
            r.split_ascii_whitespace()
                .any(|t| t.eq_ignore_ascii_case("nofollow"))
        });
        found.borrow_mut().push((href, nofollow));
    };
    {
        let mut rewriter = HtmlRewriter::new(
            Settings::new()
                .append_element_content_handler(element!("base[href]", |el| {
                    // Only the first <base> counts (HTML's rule).
                    if !*base_set.borrow() {
                        *base_set.borrow_mut() = true;
                        if let Some(b) = el
                            .get_attribute("href")
                            .and_then(|h| page.join(h.trim()).ok())
                        {
                            *base.borrow_mut() = b;
                        }
                    }
                    Ok(())
                }))
                .append_element_content_handler(element!("a[href], area[href]", |el| {
                    push(el.get_attribute("href"), el.get_attribute("rel"));
                    Ok(())
                }))
                .append_element_content_handler(element!("link[href][rel]", |el| {
                    let rel = el.get_attribute("rel").unwrap_or_default();
                    let wanted = rel.split_ascii_whitespace().any(|t| {
                        t.eq_ignore_ascii_case("alternate") || t.eq_ignore_ascii_case("next")
                    });
                    if wanted {
                        push(el.get_attribute("href"), Some(rel));
                    }
                    Ok(())
                }))
                .append_element_content_handler(element!("frame[src], iframe[src]", |el| {
                    push(el.get_attribute("src"), None);
                    Ok(())
                }))
                .append_element_content_handler(element!("meta[name][content]", |el| {
                    let name = el.get_attribute("name").unwrap_or_default();
                    let content = el.get_attribute("content").unwrap_or_default();
                    if name.eq_ignore_ascii_case("robots")
                        && content.split([',', ' ']).any(|t| {
                            t.eq_ignore_ascii_case("nofollow") || t.eq_ignore_ascii_case("none")
                        })
                    {
                        *nofollow_page.borrow_mut() = true;
                    }
                    Ok(())
                })),
            |_: &[u8]| {},
        );
        // Malformed HTML is parsed as browsers do; an error here is only lol_html's memory
        // limit (a page of absurd markup): the links found so far stand.
        if rewriter.write(html).is_ok() {
            let _ = rewriter.end();
        }
    }
    let base = base.into_inner();
    let found = found.into_inner();
    let mut out = Found {
        count: found.len(),
        follow: Vec::new(),
    };
    if nofollow_page.into_inner() {
        return out;
    }
    let mut seen = std::collections::HashSet::new();
    for (href, nofollow) in found {
        if nofollow {
            continue;
        }
        let Ok(u) = base.join(href.trim()) else {
            continue;
        };
        if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
            continue;
        }
        let u = normalise(u);
        if seen.insert(u.as_str().to_owned()) {
            out.follow.push(u);
        }
    }
    out
}

/// The one spelling of a URL that dedupe compares: the URL parser has already lower-cased the
/// scheme and host, dropped the default port and resolved dot segments; this also drops the
/// fragment and an empty query (`/a?` is `/a`), and upper-cases percent-escapes (`%2f` is
/// `%2F`, RFC 3986 §6.2.2.1).
pub(crate) fn normalise(mut u: url::Url) -> url::Url {
    u.set_fragment(None);
    if u.query() == Some("") {
        u.set_query(None);
    }
    let s = u.as_str();
    if s.contains('%') {
        let bytes = s.as_bytes();
        let mut fixed = String::with_capacity(s.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit()
            {
                fixed.push('%');
                fixed.push(bytes[i + 1].to_ascii_uppercase() as char);
                fixed.push(bytes[i + 2].to_ascii_uppercase() as char);
                i += 3;
            } else {
                fixed.push(bytes[i] as char);
                i += 1;
            }
        }
        if fixed != s {
            if let Ok(v) = url::Url::parse(&fixed) {
                return v;
            }
        }
    }
    u
}

/// `--scope`: which links a crawl follows, relative to the seed it started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Scope {
    /// The seed's host (and port).
    Host,
    /// The seed's registrable domain, roughly: its host without a leading `www.`, and every
    /// subdomain of it.
    Domain,
    /// URLs that start with the seed's URL up to its last `/`.
    Prefix,
}

impl Scope {
    /// Whether `link` is in scope of `seed`.
    pub(crate) fn contains(self, seed: &url::Url, link: &url::Url) -> bool {
        match self {
            Scope::Host => {
                seed.host_str() == link.host_str()
                    && seed.port_or_known_default() == link.port_or_known_default()
            }
            Scope::Domain => {
                let (Some(s), Some(l)) = (seed.host_str(), link.host_str()) else {
                    return false;
                };
                let s = s.strip_prefix("www.").unwrap_or(s);
                l == s || l.ends_with(&format!(".{s}"))
            }
            Scope::Prefix => {
                let s = seed.as_str();
                let dir = &s[..s.rfind('/').map_or(s.len(), |i| i + 1)];
                link.as_str().starts_with(dir)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn links_resolve_against_the_base_and_nofollow_is_honoured() {
        let html = br#"<html><head><base href="/docs/"><link rel="next" href="p2">
            <link rel=stylesheet href="s.css"></head><body>
            <a href="a.html#x">a</a> <a href="../up">up</a> <a rel="nofollow ugc" href="no">n</a>
            <A HREF="HTTP://Example.COM:80/%7euser">e</A> <area href="map"><frame src="f">
            <a href="mailto:x@y">m</a> <a href="a.html">again</a> <a href="javascript:void(0)">j</a>
            </body></html>"#;
        let f = extract(&url("http://h/x/page"), html);
        let got: Vec<&str> = f.follow.iter().map(|u| u.as_str()).collect();
        assert_eq!(
            got,
            [
                "http://h/docs/p2",
                "http://h/docs/a.html",
                "http://h/up",
                "http://example.com/%7Euser",
                "http://h/docs/map",
                "http://h/docs/f",
            ]
        );
        // Everything found counts, followed or not.
        assert_eq!(f.count, 10);
    }

    #[test]
    fn a_meta_robots_nofollow_page_gives_no_links() {
        let html = br#"<meta name="ROBOTS" content="noindex, nofollow"><a href="/a">a</a>"#;
        let f = extract(&url("http://h/"), html);
        assert!(f.follow.is_empty());
        assert_eq!(f.count, 1);
    }

    #[test]
    fn one_spelling_per_url() {
        let a = normalise(url("HTTP://H:80/a/./b/../c?#frag"));
        let b = normalise(url("http://h/a/c"));
        assert_eq!(a, b);
        assert_eq!(
            normalise(url("https://h:443/%2fx%3A?q=%2f")).as_str(),
            "https://h/%2Fx%3A?q=%2F"
        );
    }

    #[test]
    fn scopes() {
        let seed = url("http://www.ex.org/docs/intro.html");
        assert!(Scope::Host.contains(&seed, &url("http://www.ex.org/other")));
        assert!(!Scope::Host.contains(&seed, &url("http://www.ex.org:8080/other")));
        assert!(Scope::Domain.contains(&seed, &url("http://blog.ex.org/")));
        assert!(!Scope::Domain.contains(&seed, &url("http://notex.org/")));
        assert!(Scope::Prefix.contains(&seed, &url("http://www.ex.org/docs/b")));
        assert!(!Scope::Prefix.contains(&seed, &url("http://www.ex.org/blog")));
    }
}
