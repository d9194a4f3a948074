//! Why a URL's line carries an `error`: the kind, typed, and its message.
//!
//! The kind is what the rest of the run decides on (the writer stops the run on
//! [`FailureKind::Redis`], the summary counts [`FailureKind::Save`] as a problem); its name is
//! what the line's `error.kind` says.

/// What went wrong for one URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// The request failed: asyncio-http's error kind (`connect`, `timeout`, `dns`, …).
    Http(&'static str),
    /// robots.txt refuses the URL.
    Robots,
    /// The body was fetched but could not be stored under `--save`.
    Save,
    /// The shared job's Redis failed. Not the URL's result: the writer stops the run, and the
    /// URL's lease runs out so that another worker (or a later run) fetches it.
    Redis,
}

impl FailureKind {
    /// The name written as the line's `error.kind`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FailureKind::Http(kind) => kind,
            FailureKind::Robots => "robots",
            FailureKind::Save => "save",
            FailureKind::Redis => "redis",
        }
    }
}

/// A line's `error`: its kind and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) kind: FailureKind,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// asyncio-http's error, under its own kind.
    pub(crate) fn http(e: &asyncio_http::Error) -> Self {
        Self::new(FailureKind::Http(e.kind()), e.detail())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_keep_the_names_the_lines_have_always_had() {
        assert_eq!(FailureKind::Robots.as_str(), "robots");
        assert_eq!(FailureKind::Save.as_str(), "save");
        assert_eq!(FailureKind::Redis.as_str(), "redis");
        assert_eq!(FailureKind::Http("timeout").as_str(), "timeout");
    }

    #[test]
    fn an_http_error_keeps_its_kind() {
        let e = asyncio_http::Error::TooManyRedirects {
            url: "http://a/".to_owned(),
            max: 10,
            looped: true,
        };
        let f = Failure::http(&e);
        assert_eq!(f.kind, FailureKind::Http(e.kind()));
        assert_eq!(f.message, e.detail());
    }
}
