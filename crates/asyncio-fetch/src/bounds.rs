//! A crawl's limits: which links it follows (`--scope` around its seeds) and how deep
//! (`--depth`).

use std::collections::HashSet;

use crate::links::Scope;

/// What a crawl may follow.
#[derive(Debug)]
pub(crate) struct Bounds {
    scope: Scope,
    /// The seeds, one of each kind the scope tells apart (one per host for `host` and
    /// `domain`, every distinct URL for `prefix`).
    seeds: Vec<url::Url>,
    /// `host:port` of every seed (for `--scope host`).
    hosts: HashSet<String>,
    /// `--depth`: the most links followed from a seed.
    pub(crate) max_depth: Option<u32>,
}

impl Bounds {
    pub(crate) fn new(scope: Scope, seeds: &[url::Url], max_depth: Option<u32>) -> Self {
        let mut unique: Vec<url::Url> = Vec::new();
        let mut keys = HashSet::new();
        for s in seeds {
            // Seeds alike for the scope need only be checked once.
            let key = match scope {
                Scope::Host | Scope::Domain => host_key(s),
                Scope::Prefix => s.as_str().to_owned(),
            };
            if keys.insert(key) {
                unique.push(s.clone());
            }
        }
        Self {
            scope,
            hosts: seeds.iter().map(host_key).collect(),
            seeds: unique,
            max_depth,
        }
    }

    /// Whether `link` is in scope of any seed.
    pub(crate) fn contains(&self, link: &url::Url) -> bool {
        match self.scope {
            Scope::Host => self.hosts.contains(&host_key(link)),
            _ => self.seeds.iter().any(|s| self.scope.contains(s, link)),
        }
    }

    /// Whether a page `depth` links from its seed may be fetched.
    pub(crate) fn within_depth(&self, depth: u32) -> bool {
        self.max_depth.is_none_or(|max| depth <= max)
    }
}

/// `host:port`, the port spelled out even where it is the scheme's default.
fn host_key(u: &url::Url) -> String {
    format!(
        "{}:{}",
        u.host_str().unwrap_or(""),
        u.port_or_known_default().unwrap_or(0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(all: &[&str]) -> Vec<url::Url> {
        all.iter().map(|u| url::Url::parse(u).unwrap()).collect()
    }

    #[test]
    fn host_scope_counts_the_default_port_as_the_same_host() {
        let b = Bounds::new(Scope::Host, &urls(&["http://a.test/x"]), None);
        assert!(b.contains(&url::Url::parse("http://a.test:80/y").unwrap()));
        assert!(!b.contains(&url::Url::parse("http://a.test:8080/y").unwrap()));
        assert!(!b.contains(&url::Url::parse("http://b.test/").unwrap()));
    }

    #[test]
    fn every_seed_widens_the_scope() {
        let b = Bounds::new(
            Scope::Prefix,
            &urls(&["http://a.test/docs/index.html", "http://b.test/blog/"]),
            None,
        );
        assert!(b.contains(&url::Url::parse("http://a.test/docs/x").unwrap()));
        assert!(b.contains(&url::Url::parse("http://b.test/blog/2026/").unwrap()));
        assert!(!b.contains(&url::Url::parse("http://a.test/blog/").unwrap()));
    }

    #[test]
    fn depth_is_inclusive_and_unbounded_without_a_limit() {
        let b = Bounds::new(Scope::Host, &urls(&["http://a.test/"]), Some(2));
        assert!(b.within_depth(2));
        assert!(!b.within_depth(3));
        let b = Bounds::new(Scope::Host, &urls(&["http://a.test/"]), None);
        assert!(b.within_depth(u32::MAX));
    }
}
