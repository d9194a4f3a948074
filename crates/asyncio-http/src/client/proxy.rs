//! [`Proxies`]: which proxy a request goes through — per session, per request, or from
//! `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY` as curl and reqwest read them (hyper-util's
//! matcher does the matching) — and [`Via`], the parsed proxy a connection is keyed by.

use hyper_util::client::proxy::matcher::Matcher;

use crate::error::{Error, Result};

/// Proxy settings: a URL per scheme of the *target* (`http`, `https`) or for all, and hosts
/// that bypass them.
///
/// Proxy URLs are `http://` (a forward proxy; `https://` targets go through `CONNECT`),
/// `https://` (TLS to the proxy itself), `socks5://` (the client resolves the target's name)
/// or `socks5h://` (the proxy resolves it). Credentials go in the URL:
/// `http://user:password@proxy:3128`. `no_proxy` is curl's list: host names (a leading `.` or
/// none matches subdomains too), IP addresses, CIDR blocks, `*` for everything.
///
/// ```
/// use asyncio_http::Proxies;
/// let p = Proxies::all("socks5h://127.0.0.1:1080").no_proxy("localhost,.internal");
/// assert!(p.via(&"http://example.com/".parse().unwrap()).unwrap().is_some());
/// assert!(p.via(&"http://db.internal/".parse().unwrap()).unwrap().is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proxies {
    /// The proxy for every scheme (when `http`/`https` is not set).
    pub all: Option<String>,
    /// The proxy for `http://` targets.
    pub http: Option<String>,
    /// The proxy for `https://` targets.
    pub https: Option<String>,
    /// Hosts that go direct.
    pub no_proxy: Option<String>,
}

impl Proxies {
    /// No proxy.
    pub fn none() -> Self {
        Self::default()
    }

    /// One proxy for every request.
    pub fn all(url: impl Into<String>) -> Self {
        Self {
            all: Some(url.into()),
            ..Self::default()
        }
    }

    /// What the environment says: `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY` (or
    /// their lower-case names), as curl and reqwest read them.
    pub fn from_env() -> Self {
        let var = |names: [&str; 2]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
        };
        Self {
            all: var(["ALL_PROXY", "all_proxy"]),
            http: var(["HTTP_PROXY", "http_proxy"]),
            https: var(["HTTPS_PROXY", "https_proxy"]),
            no_proxy: var(["NO_PROXY", "no_proxy"]),
        }
    }

    /// The same, with `list` bypassing the proxy.
    pub fn no_proxy(mut self, list: impl Into<String>) -> Self {
        self.no_proxy = Some(list.into());
        self
    }

    /// Whether any proxy is set.
    pub fn is_empty(&self) -> bool {
        self.all.is_none() && self.http.is_none() && self.https.is_none()
    }

    /// The proxy a request to `url` goes through (`None`: direct).
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] for a proxy URL that does not parse or has another scheme.
    pub fn via(&self, url: &url::Url) -> Result<Option<Via>> {
        self.compile().via(url)
    }

    /// The rules, ready to match many URLs.
    pub(crate) fn compile(&self) -> Rules {
        let matcher = (!self.is_empty()).then(|| {
            let s = |o: &Option<String>| o.clone().unwrap_or_default();
            Matcher::builder()
                .all(s(&self.all))
                .http(s(&self.http))
                .https(s(&self.https))
                .no(s(&self.no_proxy))
                .build()
        });
        Rules {
            proxies: self.clone(),
            matcher: matcher.map(std::rc::Rc::new),
        }
    }
}

/// [`Proxies`] with hyper-util's matcher built once.
#[derive(Clone, Default)]
pub(crate) struct Rules {
    proxies: Proxies,
    matcher: Option<std::rc::Rc<Matcher>>,
}

impl Rules {
    pub(crate) fn via(&self, url: &url::Url) -> Result<Option<Via>> {
        let Some(matcher) = &self.matcher else {
            return Ok(None);
        };
        let Ok(uri) = url.as_str().parse::<http::Uri>() else {
            return Ok(None);
        };
        // The matcher decides whether to go through a proxy (scheme, NO_PROXY); the URL it
        // names is parsed from the setting itself, credentials included.
        if matcher.intercept(&uri).is_none() {
            return Ok(None);
        }
        let p = &self.proxies;
        let chosen = match url.scheme() {
            "https" => p.https.as_ref().or(p.all.as_ref()),
            _ => p.http.as_ref().or(p.all.as_ref()),
        };
        chosen.map(|s| Via::parse(s, None)).transpose()
    }
}

/// How a proxy is spoken to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProxyScheme {
    /// HTTP to the proxy.
    Http,
    /// TLS to the proxy, then HTTP.
    Https,
    /// SOCKS5; the client resolves the target's name.
    Socks5,
    /// SOCKS5; the proxy resolves the target's name.
    Socks5h,
}

/// A parsed proxy: where it is, how to speak to it, and its credentials. Pooled connections
/// are keyed by it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Via {
    /// The protocol.
    pub scheme: ProxyScheme,
    /// The proxy's host.
    pub host: String,
    /// The proxy's port (default 1080 for SOCKS, 80 or 443 for HTTP(S)).
    pub port: u16,
    /// User name and password.
    pub auth: Option<(String, String)>,
}

impl std::fmt::Debug for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self)
    }
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = match self.scheme {
            ProxyScheme::Http => "http",
            ProxyScheme::Https => "https",
            ProxyScheme::Socks5 => "socks5",
            ProxyScheme::Socks5h => "socks5h",
        };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

impl Via {
    /// Parses a proxy URL (credentials in the URL win over `auth`).
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] for bad syntax, no host, or a scheme other than `http`,
    /// `https`, `socks5` and `socks5h`.
    pub fn parse(proxy: &str, auth: Option<(&str, &str)>) -> Result<Self> {
        let proxy = proxy.trim();
        let bad = |reason: String| Error::InvalidUrl {
            url: proxy.to_owned(),
            reason,
        };
        let with_scheme = if proxy.contains("://") {
            proxy.to_owned()
        } else {
            format!("http://{proxy}")
        };
        let u = url::Url::parse(&with_scheme).map_err(|e| bad(format!("bad proxy URL: {e}")))?;
        let (scheme, default_port) = match u.scheme() {
            "http" => (ProxyScheme::Http, 80),
            "https" => (ProxyScheme::Https, 443),
            "socks5" => (ProxyScheme::Socks5, 1080),
            "socks5h" => (ProxyScheme::Socks5h, 1080),
            other => return Err(bad(format!("unsupported proxy scheme {other:?}"))),
        };
        let host = u
            .host_str()
            .ok_or_else(|| bad("the proxy URL has no host".into()))?
            .trim_matches(['[', ']'])
            .to_owned();
        let auth = super::Auth::from_url(&u)
            .and_then(|a| match a {
                super::Auth::Basic { user, password } => Some((user, password.unwrap_or_default())),
                super::Auth::Bearer(_) => None,
            })
            .or_else(|| auth.map(|(u, p)| (u.to_owned(), p.to_owned())));
        Ok(Self {
            scheme,
            host,
            port: u.port().unwrap_or(default_port),
            auth,
        })
    }

    /// Whether requests to an `http://` target are forwarded (absolute-form request line,
    /// `Proxy-Authorization` on each request) rather than tunnelled.
    pub(crate) fn forwards(&self, https_target: bool) -> bool {
        !https_target && matches!(self.scheme, ProxyScheme::Http | ProxyScheme::Https)
    }

    /// `Proxy-Authorization: Basic …`.
    pub(crate) fn authorization(&self) -> Option<http::HeaderValue> {
        self.auth
            .as_ref()
            .map(|(u, p)| super::Auth::basic(u.clone(), Some(p)).header_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn per_scheme_all_and_no_proxy_pick_as_curl_does() {
        let p = Proxies {
            all: Some("socks5://s:1".into()),
            http: Some("http://user:p%40ss@h:3128".into()),
            https: None,
            no_proxy: Some("localhost,.corp,10.0.0.0/8".into()),
        };
        let h = p.via(&url("http://example.com/")).unwrap().unwrap();
        assert_eq!(
            (h.scheme, h.host.as_str(), h.port),
            (ProxyScheme::Http, "h", 3128)
        );
        assert_eq!(h.auth, Some(("user".into(), "p@ss".into())));
        let s = p.via(&url("https://example.com/")).unwrap().unwrap();
        assert_eq!((s.scheme, s.port), (ProxyScheme::Socks5, 1));
        for direct in [
            "http://localhost/",
            "http://a.corp/",
            "http://corp/",
            "http://10.1.2.3/",
        ] {
            assert_eq!(p.via(&url(direct)).unwrap(), None, "{direct}");
        }
        assert!(Proxies::none().via(&url("http://x/")).unwrap().is_none());
    }

    #[test]
    fn bad_proxy_urls_are_invalid_url_errors() {
        let e = Via::parse("ftp://p:21", None).unwrap_err();
        assert_eq!(e.kind(), "invalid_url");
        assert!(e.to_string().contains("unsupported proxy scheme"), "{e}");
        let v = Via::parse("proxy.example:8080", None).unwrap();
        assert_eq!((v.scheme, v.port), (ProxyScheme::Http, 8080));
        assert_eq!(Via::parse("socks5h://[::1]", None).unwrap().host, "::1");
    }
}
