//! [`CookieJar`]: a session's cookies (aiohttp's `CookieJar`), on the `cookie_store` crate, with
//! public-suffix rejection from the `psl` crate and the Netscape `cookies.txt` format that curl
//! and wget read and write.

use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use cookie_store::{CookieDomain, CookieExpiration, CookieStore, RawCookie};
use http::HeaderValue;

/// Why a `Set-Cookie` was not stored.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookieError {
    /// Not a cookie at all (no `name=value`, an empty name).
    Malformed(String),
    /// Its `Domain` is a public suffix (`co.uk`, `github.io`): any site under it could read it.
    PublicSuffix(String),
    /// Its `Domain` or `Path` does not cover the URL that set it, or it is `Secure` from `http`.
    Rejected(String),
}

impl std::fmt::Display for CookieError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CookieError::Malformed(why) => write!(f, "malformed Set-Cookie: {why}"),
            CookieError::PublicSuffix(d) => write!(f, "cookie for the public suffix {d:?}"),
            CookieError::Rejected(why) => write!(f, "cookie rejected: {why}"),
        }
    }
}

impl std::error::Error for CookieError {}

/// A cookie jar shared by a session's requests: cheap to clone (clones share the cookies),
/// and `Send`, so the sessions of several loops (asyncio-fetch's lanes) can share one.
///
/// Cookies are matched as a browser matches them: domain (host-only or with subdomains), path,
/// `Secure` (sent over `https` only), expiry by `Expires` or `Max-Age`. A `Set-Cookie` whose
/// `Domain` is a public suffix is refused. Unlike aiohttp's default jar, cookies from IP
/// address hosts are kept, as curl and reqwest keep them.
///
/// ```
/// use asyncio_http::CookieJar;
/// let jar = CookieJar::new();
/// let url = url::Url::parse("https://example.com/account/").unwrap();
/// jar.set("sid=42; Path=/; Secure; HttpOnly", &url).unwrap();
/// assert_eq!(jar.get(&url, "sid").as_deref(), Some("42"));
/// assert!(jar.set("evil=1; Domain=co.uk", &"https://x.co.uk/".parse().unwrap()).is_err());
/// let text = jar.to_netscape();
/// assert!(text.contains("#HttpOnly_example.com\tFALSE\t/\tTRUE\t0\tsid\t42"));
/// ```
#[derive(Clone, Default)]
pub struct CookieJar {
    store: Arc<Mutex<CookieStore>>,
}

impl std::fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieJar")
            .field("cookies", &self.len())
            .finish()
    }
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// The store (a panic elsewhere while it was held leaves it usable: each change is one
    /// call into the store).
    fn store(&self) -> MutexGuard<'_, CookieStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores one `Set-Cookie` header value received from `url`.
    ///
    /// # Errors
    /// [`CookieError`] says why the cookie was refused; the jar is unchanged.
    pub fn set(&self, set_cookie: &str, url: &url::Url) -> Result<(), CookieError> {
        let raw = RawCookie::parse(set_cookie.to_owned())
            .map_err(|e| CookieError::Malformed(format!("{e}: {set_cookie:?}")))?;
        if let Some(domain) = raw.domain() {
            let domain = domain.trim_start_matches('.').to_ascii_lowercase();
            let host = url.host_str().unwrap_or("");
            if domain != host && is_public_suffix(&domain) {
                return Err(CookieError::PublicSuffix(domain));
            }
        }
        match self.store().insert_raw(&raw, url) {
            // An expired cookie deletes its namesake: not a refusal.
            Ok(_) | Err(cookie_store::CookieError::Expired) => Ok(()),
            Err(e) => Err(CookieError::Rejected(e.to_string())),
        }
    }

    /// Stores every `Set-Cookie` of a response from `url`; refused ones are logged (at debug
    /// level) and skipped, as browsers skip them.
    pub(crate) fn store_response(&self, headers: &http::HeaderMap, url: &url::Url) {
        for v in headers.get_all(http::header::SET_COOKIE) {
            let Ok(text) = v.to_str() else { continue };
            if let Err(e) = self.set(text, url) {
                tracing::debug!(%url, error = %e, "Set-Cookie refused");
            }
        }
    }

    /// The value of the cookie `name` that a request to `url` would send.
    pub fn get(&self, url: &url::Url, name: &str) -> Option<String> {
        self.store()
            .get_request_values(url)
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_owned())
    }

    /// The `Cookie` header for a request to `url`, with `extra` pairs after the jar's
    /// (`None` when there is nothing to send).
    pub fn header_for(&self, url: &url::Url, extra: &[(String, String)]) -> Option<HeaderValue> {
        let store = self.store();
        cookie_header(store.get_request_values(url), extra)
    }

    /// Unexpired cookies in the jar.
    pub fn len(&self) -> usize {
        self.store().iter_unexpired().count()
    }

    /// Whether the jar holds no unexpired cookie.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every cookie.
    pub fn clear(&self) {
        self.store().clear();
    }

    /// A jar with the cookies of a Netscape `cookies.txt` text (curl's `-c`, wget's
    /// `--save-cookies`, browsers' export add-ons). Comment and blank lines are skipped; the
    /// `#HttpOnly_` prefix marks HttpOnly cookies; an expiry of `0` is a session cookie;
    /// expired cookies are dropped.
    ///
    /// # Errors
    /// A line that is not seven tab-separated fields, with its line number.
    pub fn from_netscape(text: &str) -> io::Result<Self> {
        let jar = Self::new();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        for (n, line) in text.lines().enumerate() {
            let (line, http_only) = match line.strip_prefix("#HttpOnly_") {
                Some(rest) => (rest, true),
                None => (line, false),
            };
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let bad = || {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("cookies.txt line {}: not a Netscape cookie line", n + 1),
                )
            };
            let [domain, subdomains, path, secure, expiry, name, value] = f[..] else {
                return Err(bad());
            };
            let expiry: i64 = expiry.parse().map_err(|_| bad())?;
            if expiry != 0 && expiry <= now {
                continue;
            }
            let host = domain.trim_start_matches('.');
            let secure = secure.eq_ignore_ascii_case("TRUE");
            let mut set = format!("{name}={value}; Path={path}");
            if subdomains.eq_ignore_ascii_case("TRUE") {
                let _ = write!(set, "; Domain={host}");
            }
            if secure {
                set.push_str("; Secure");
            }
            if http_only {
                set.push_str("; HttpOnly");
            }
            if expiry != 0 {
                let _ = write!(set, "; Max-Age={}", expiry - now);
            }
            let scheme = if secure { "https" } else { "http" };
            let url = url::Url::parse(&format!("{scheme}://{host}{path}")).map_err(|_| bad())?;
            jar.set(&set, &url).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("cookies.txt line {}: {e}", n + 1),
                )
            })?;
        }
        Ok(jar)
    }

    /// The jar in the Netscape `cookies.txt` format (session cookies included, with expiry
    /// `0`, as curl writes them).
    pub fn to_netscape(&self) -> String {
        let mut out = String::from("# Netscape HTTP Cookie File\n# Written by asyncio-http.\n\n");
        let store = self.store();
        let mut all: Vec<_> = store.iter_unexpired().collect();
        // A stable order (the store is a hash map): domain, path, name.
        all.sort_by(|a, b| {
            let key = |c: &cookie_store::Cookie<'_>| {
                (
                    c.domain.as_cow().map(|d| d.into_owned()),
                    c.path.as_ref().to_owned(),
                    c.name().to_owned(),
                )
            };
            key(a).cmp(&key(b))
        });
        for c in all {
            let (domain, subdomains) = match &c.domain {
                CookieDomain::HostOnly(h) => (h.clone(), "FALSE"),
                CookieDomain::Suffix(d) => (format!(".{d}"), "TRUE"),
                CookieDomain::NotPresent | CookieDomain::Empty => continue,
            };
            let expiry = match &c.expires {
                CookieExpiration::AtUtc(t) => t.unix_timestamp().max(1),
                CookieExpiration::SessionEnd => 0,
            };
            let prefix = if c.http_only() == Some(true) {
                "#HttpOnly_"
            } else {
                ""
            };
            let secure = if c.secure() == Some(true) {
                "TRUE"
            } else {
                "FALSE"
            };
            let path: &str = c.path.as_ref();
            let _ = writeln!(
                out,
                "{prefix}{domain}\t{subdomains}\t{path}\t{secure}\t{expiry}\t{}\t{}",
                c.name(),
                c.value()
            );
        }
        out
    }

    /// Loads a Netscape `cookies.txt` file.
    ///
    /// # Errors
    /// Reading the file, or a malformed line.
    pub fn load(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Self::from_netscape(&text)
    }

    /// Saves the jar as a Netscape `cookies.txt` file (written beside it, then renamed, so a
    /// full disk never leaves half a file).
    ///
    /// # Errors
    /// Writing the file.
    pub fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, self.to_netscape())
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    }
}

/// `Cookie: a=1; b=2` from name/value pairs.
fn cookie_header<'a>(
    from_jar: impl Iterator<Item = (&'a str, &'a str)>,
    extra: &'a [(String, String)],
) -> Option<HeaderValue> {
    let mut out = String::new();
    let pairs = from_jar.chain(extra.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    if out.is_empty() {
        return None;
    }
    HeaderValue::try_from(out).ok()
}

/// The `Cookie` header for per-request cookies alone (a session without a jar).
pub(crate) fn extra_header(extra: &[(String, String)]) -> Option<HeaderValue> {
    cookie_header(std::iter::empty(), extra)
}

/// Whether `domain` is a public suffix (`com`, `co.uk`, `github.io`) by the bundled list.
fn is_public_suffix(domain: &str) -> bool {
    psl::suffix_str(domain) == Some(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn domain_path_secure_and_expiry_decide_what_is_sent() {
        let jar = CookieJar::new();
        let u = url("https://shop.example.com/cart/view");
        jar.set("a=1; Domain=example.com; Path=/", &u).unwrap();
        jar.set("b=2; Path=/cart", &u).unwrap();
        jar.set("c=3; Secure", &u).unwrap();
        jar.set("d=4; Max-Age=0", &u).unwrap();
        assert_eq!(
            jar.get(&url("https://www.example.com/"), "a").as_deref(),
            Some("1")
        );
        assert_eq!(
            jar.get(&url("https://www.example.com/"), "b"),
            None,
            "host-only"
        );
        assert_eq!(
            jar.get(&url("https://shop.example.com/other"), "b"),
            None,
            "path"
        );
        assert_eq!(
            jar.get(&url("http://shop.example.com/cart/x"), "c"),
            None,
            "secure"
        );
        assert_eq!(jar.get(&u, "d"), None, "expired");
        let h = jar.header_for(&u, &[("x".into(), "9".into())]).unwrap();
        let h = h.to_str().unwrap();
        for part in ["a=1", "b=2", "c=3", "x=9"] {
            assert!(h.contains(part), "{h}");
        }
    }

    #[test]
    fn public_suffixes_and_malformed_cookies_are_refused() {
        let jar = CookieJar::new();
        let u = url("https://a.example.co.uk/");
        assert_eq!(
            jar.set("s=1; Domain=co.uk", &u),
            Err(CookieError::PublicSuffix("co.uk".into()))
        );
        assert!(matches!(
            jar.set("=novalue", &u),
            Err(CookieError::Malformed(_))
        ));
        assert!(matches!(
            jar.set("s=1; Domain=other.org", &u),
            Err(CookieError::Rejected(_))
        ));
        assert!(jar.is_empty());
        jar.set("s=1; Domain=example.co.uk", &u).unwrap();
        assert_eq!(jar.len(), 1);
    }

    #[test]
    fn netscape_round_trip_keeps_every_field() {
        let far = 4_102_444_800i64; // 2100-01-01
        let text = format!(
            "# Netscape HTTP Cookie File\n\n\
             .example.com\tTRUE\t/\tFALSE\t{far}\twide\tw\n\
             #HttpOnly_api.example.com\tFALSE\t/v1\tTRUE\t0\tsid\tabc\n\
             old.example.com\tFALSE\t/\tFALSE\t1000\tgone\tx\n"
        );
        let jar = CookieJar::from_netscape(&text).unwrap();
        assert_eq!(jar.len(), 2, "the expired line is dropped");
        assert_eq!(
            jar.get(&url("http://x.example.com/"), "wide").as_deref(),
            Some("w")
        );
        assert_eq!(
            jar.get(&url("https://api.example.com/v1/me"), "sid")
                .as_deref(),
            Some("abc")
        );
        assert_eq!(jar.get(&url("https://x.api.example.com/v1/"), "sid"), None);
        let out = jar.to_netscape();
        assert!(
            out.contains(&format!(".example.com\tTRUE\t/\tFALSE\t{far}\twide\tw")),
            "{out}"
        );
        assert!(
            out.contains("#HttpOnly_api.example.com\tFALSE\t/v1\tTRUE\t0\tsid\tabc"),
            "{out}"
        );
        let again = CookieJar::from_netscape(&out).unwrap();
        assert_eq!(again.to_netscape(), out);
        let err = CookieJar::from_netscape("bad line\n").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
