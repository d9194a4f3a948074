//! [`IntoUrl`]: what a request accepts as a URL, checked once.

use crate::error::{Error, Result};

/// What [`ClientSession::request`](crate::ClientSession::request) accepts as a URL: a string, parsed (and joined to the
/// session's base URL), or a [`url::Url`] already parsed, used as it is. Either way it must be
/// `http` or `https` with a host.
pub trait IntoUrl {
    /// The URL, checked.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] for bad syntax, another scheme, or no host.
    fn into_url(self, base: Option<&url::Url>) -> Result<url::Url>;
}

impl IntoUrl for url::Url {
    fn into_url(self, _base: Option<&url::Url>) -> Result<url::Url> {
        check_url(self)
    }
}

impl IntoUrl for &url::Url {
    fn into_url(self, base: Option<&url::Url>) -> Result<url::Url> {
        self.clone().into_url(base)
    }
}

impl IntoUrl for &str {
    fn into_url(self, base: Option<&url::Url>) -> Result<url::Url> {
        let parsed = match base {
            Some(b) => b.join(self),
            None => url::Url::parse(self),
        };
        check_url(parsed.map_err(|e| Error::InvalidUrl {
            url: self.to_owned(),
            reason: e.to_string(),
        })?)
    }
}

impl IntoUrl for &String {
    fn into_url(self, base: Option<&url::Url>) -> Result<url::Url> {
        self.as_str().into_url(base)
    }
}

impl IntoUrl for String {
    fn into_url(self, base: Option<&url::Url>) -> Result<url::Url> {
        self.as_str().into_url(base)
    }
}

fn check_url(url: url::Url) -> Result<url::Url> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::InvalidUrl {
            reason: format!("unsupported scheme {:?}", url.scheme()),
            url: url.into(),
        });
    }
    if url.host_str().is_none() {
        return Err(Error::InvalidUrl {
            url: url.into(),
            reason: "no host".into(),
        });
    }
    Ok(url)
}
