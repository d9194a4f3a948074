//! [`Auth`]: credentials for the `Authorization` header — Basic (aiohttp's `BasicAuth`, or
//! the `user:password@` part of a URL) and Bearer tokens — and the origin rule that drops them
//! when a redirect leaves the host they were meant for.

use base64::Engine as _;
use http::HeaderValue;

/// Credentials sent as `Authorization`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// `Basic base64(user:password)`.
    Basic {
        /// The user name.
        user: String,
        /// The password (none: an empty one).
        password: Option<String>,
    },
    /// `Bearer <token>`.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { user, .. } => write!(f, "Auth::Basic({user:?}, ***)"),
            Auth::Bearer(_) => f.write_str("Auth::Bearer(***)"),
        }
    }
}

impl Auth {
    /// Basic authentication.
    pub fn basic(user: impl Into<String>, password: Option<&str>) -> Self {
        Auth::Basic {
            user: user.into(),
            password: password.map(str::to_owned),
        }
    }

    /// A bearer token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Auth::Bearer(token.into())
    }

    /// The credentials in a URL's `user:password@` part, percent-decoded (`None` without a
    /// user name).
    pub fn from_url(url: &url::Url) -> Option<Self> {
        if url.username().is_empty() {
            return None;
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        Some(Auth::Basic {
            user: decode(url.username()),
            password: url.password().map(decode),
        })
    }

    /// The header value.
    pub fn header_value(&self) -> HeaderValue {
        let text = match self {
            Auth::Basic { user, password } => {
                let raw = format!("{user}:{}", password.as_deref().unwrap_or(""));
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                )
            }
            Auth::Bearer(token) => format!("Bearer {token}"),
        };
        let mut v = HeaderValue::try_from(text)
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid-token"));
        v.set_sensitive(true);
        v
    }
}

/// Whether two URLs share an origin (scheme, host and port), the boundary past which a
/// redirect drops credentials and the explicit `Cookie` header.
pub(crate) fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `url` without its `user:password@` part.
pub(crate) fn strip_credentials(url: &mut url::Url) {
    if !url.username().is_empty() || url.password().is_some() {
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_are_decoded_and_encoded_as_basic() {
        let u = url::Url::parse("http://al%40ice:p%3Ass+w@h/").unwrap();
        let a = Auth::from_url(&u).unwrap();
        assert_eq!(a, Auth::basic("al@ice", Some("p:ss+w")));
        // base64("al@ice:p:ss+w")
        assert_eq!(a.header_value(), "Basic YWxAaWNlOnA6c3Mrdw==");
        assert!(Auth::from_url(&url::Url::parse("http://h/").unwrap()).is_none());
        assert_eq!(Auth::bearer("t0k").header_value(), "Bearer t0k");
        assert!(
            !format!("{a:?}").contains("p:ss"),
            "Debug hides the password"
        );
    }

    #[test]
    fn origins_differ_by_scheme_host_or_port() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert!(same_origin(&u("http://a/x"), &u("http://a:80/y")));
        assert!(!same_origin(&u("http://a/"), &u("https://a/")));
        assert!(!same_origin(&u("http://a/"), &u("http://b/")));
        assert!(!same_origin(&u("http://a:1/"), &u("http://a:2/")));
        let mut v = u("http://u:p@a/x");
        strip_credentials(&mut v);
        assert_eq!(v.as_str(), "http://a/x");
    }
}
