//! [`Netrc`]: credentials per host from a `.netrc` file, as curl, wget and aiohttp's
//! `trust_env` read them.

use std::io;
use std::path::{Path, PathBuf};

use super::Auth;

/// The machines of a `.netrc` file: `machine HOST login USER password PASS`, and a
/// `default` entry for every other host. `macdef` macros are skipped.
///
/// ```
/// let n = asyncio_http::Netrc::parse(
///     "machine api.example.com login alice password s3cret\ndefault login anon password x",
/// );
/// assert_eq!(n.auth_for("api.example.com"), Some(asyncio_http::Auth::basic("alice", Some("s3cret"))));
/// assert_eq!(n.auth_for("other.org"), Some(asyncio_http::Auth::basic("anon", Some("x"))));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Netrc {
    machines: Vec<(Option<String>, Auth)>,
}

impl Netrc {
    /// Parses a `.netrc` text. Tokens are separated by any white space; an entry without a
    /// login is skipped.
    pub fn parse(text: &str) -> Self {
        let mut machines = Vec::new();
        let mut tokens = text.split_whitespace().peekable();
        // The entry being read: its machine (None: default), login, password.
        let mut current: Option<(Option<String>, Option<String>, Option<String>)> = None;
        let mut flush = |entry: Option<(Option<String>, Option<String>, Option<String>)>| {
            if let Some((machine, Some(login), password)) = entry {
                machines.push((machine, Auth::basic(login, password.as_deref())));
            }
        };
        let mut in_macro = false;
        while let Some(tok) = tokens.next() {
            if in_macro {
                // A macro runs to the next blank line; token-wise, to the next keyword.
                if matches!(tok, "machine" | "default") {
                    in_macro = false;
                } else {
                    continue;
                }
            }
            match tok {
                "machine" => {
                    flush(current.take());
                    current = Some((tokens.next().map(str::to_owned), None, None));
                }
                "default" => {
                    flush(current.take());
                    current = Some((None, None, None));
                }
                "login" => {
                    if let (Some(c), Some(v)) = (current.as_mut(), tokens.next()) {
                        c.1 = Some(v.to_owned());
                    }
                }
                "password" => {
                    if let (Some(c), Some(v)) = (current.as_mut(), tokens.next()) {
                        c.2 = Some(v.to_owned());
                    }
                }
                "account" => {
                    tokens.next();
                }
                "macdef" => {
                    flush(current.take());
                    tokens.next();
                    in_macro = true;
                }
                _ => {}
            }
        }
        flush(current);
        Self { machines }
    }

    /// Reads and parses the file at `path`.
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn load(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        std::fs::read_to_string(path)
            .map(|t| Self::parse(&t))
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    }

    /// The file curl reads: `$NETRC`, else `~/.netrc`.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("NETRC") {
            return Some(PathBuf::from(p));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".netrc"))
    }

    /// The credentials for `host`: its machine's, else the default entry's.
    pub fn auth_for(&self, host: &str) -> Option<Auth> {
        let named = self
            .machines
            .iter()
            .find(|(m, _)| m.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(host)));
        named
            .or_else(|| self.machines.iter().find(|(m, _)| m.is_none()))
            .map(|(_, a)| a.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_default_and_macros_as_curl_reads_them() {
        let n = Netrc::parse(
            "machine a.example login al password p1\n\
             macdef init\ncd /pub\nls\n\n\
             machine b.example\n  login bo\n  password p2 account x\n\
             machine nologin.example password p3\n",
        );
        assert_eq!(n.auth_for("a.example"), Some(Auth::basic("al", Some("p1"))));
        assert_eq!(n.auth_for("B.EXAMPLE"), Some(Auth::basic("bo", Some("p2"))));
        assert_eq!(n.auth_for("nologin.example"), None, "no login: skipped");
        assert_eq!(n.auth_for("c.example"), None, "no default entry");
        assert!(Netrc::load("/nonexistent/.netrc").is_err());
    }
}
