//! `--save`: each body in its own file, named from its URL in O(1) — host, path and query made
//! safe for a file name, cut to a length every file system takes, and a hash of the whole URL
//! so that two URLs never share a name without probing the directory. Written to a temporary
//! name and renamed; a failed save removes what it wrote.

use std::path::PathBuf;

/// The longest readable part of a name (the hash follows it).
const READABLE: usize = 120;

pub(crate) struct Saver {
    dir: PathBuf,
}

impl Saver {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Stores `body`; returns the file's name in the directory, or what went wrong.
    pub(crate) async fn save(&self, url: &url::Url, body: &[u8]) -> Result<String, String> {
        let name = file_name(url);
        let tmp = self.dir.join(format!(".{name}.part"));
        let written = async {
            asyncio::fs::write(&tmp, body).await?;
            asyncio::fs::rename(&tmp, self.dir.join(&name)).await
        }
        .await;
        match written {
            Ok(()) => Ok(name),
            Err(e) => {
                // Nothing half-written stays behind (a missing file is fine: it was never made).
                let _ = asyncio::fs::remove_file(&tmp).await;
                Err(e.to_string())
            }
        }
    }
}

/// The file name for `url`'s body.
pub(crate) fn file_name(url: &url::Url) -> String {
    let mut readable = String::with_capacity(READABLE);
    let parts = [
        url.host_str().unwrap_or("host"),
        url.path(),
        url.query().map(|_| "_").unwrap_or(""),
        url.query().unwrap_or(""),
    ];
    'outer: for part in parts {
        for c in part.chars() {
            if readable.len() >= READABLE {
                break 'outer;
            }
            readable.push(if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            });
        }
    }
    format!("{readable}-{:016x}", fnv1a(url.as_str().as_bytes()))
}

/// FNV-1a, 64 bits: stable across runs and Rust versions (std's hasher promises neither).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_query_differ_by_url_and_stay_short() {
        let a = file_name(&url::Url::parse("http://h:8/ok?i=1").unwrap());
        let b = file_name(&url::Url::parse("http://h:8/ok?i=2").unwrap());
        assert!(a.starts_with("h_ok_i_1-"), "{a}");
        assert_ne!(a, b);
        let long = format!("http://h/{}", "x".repeat(5000));
        let n = file_name(&url::Url::parse(&long).unwrap());
        assert_eq!(n.len(), READABLE + 17);
        // Stable: the same URL always gets the same name.
        assert_eq!(a, file_name(&url::Url::parse("http://h:8/ok?i=1").unwrap()));
    }
}
