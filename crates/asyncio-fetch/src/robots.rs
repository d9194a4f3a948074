//! robots.txt (RFC 9309), fetched once per origin and shared by every loop.
//!
//! - 2xx: the file is parsed (its first 500 KiB, as the RFC allows) by `texting_robots`, for
//!   the group that matches our product token (`--user-agent` up to its first `/`), else `*`.
//! - 4xx but 429: no rules (everything allowed).
//! - 429, 5xx, or a network failure: nothing of the host is fetched for a while; the file is
//!   asked for again after 1 s, 2 s, 4 s … (`--retries` more times). If it stays unreachable,
//!   the host's URLs are refused (their lines say why), as the RFC asks ("complete disallow").
//! - A good answer is kept for 24 hours, the most the RFC allows.
//!
//! While one task fetches an origin's file, the others that need it wait for that fetch (a
//! cancelled fetch hands the job to the next waiter).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use asyncio_http::ClientSession;

/// RFC 9309 §2.5: crawlers must parse at least 500 KiB.
const MAX_ROBOTS: usize = 500 * 1024;
/// RFC 9309 §2.4: a cached copy should not be used for more than 24 hours.
const KEEP: Duration = Duration::from_secs(24 * 3600);

/// What robots.txt says about one URL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Fetch it; `delay` is the host's `Crawl-delay`, if any.
    Allowed { delay: Option<Duration> },
    /// Do not: the message says why (for the line's `error.message`).
    Refused(String),
}

/// An origin's rules, once known.
enum Rules {
    /// No usable file (4xx): everything allowed.
    AllowAll,
    Parsed(texting_robots::Robot),
    /// The file stayed unreachable: nothing allowed.
    Unreachable(String),
}

enum Entry {
    /// A task is fetching the file; these wait for it.
    Fetching(Vec<Waker>),
    /// Known until `until`.
    Ready { rules: Arc<Rules>, until: Instant },
    /// The last fetch failed (`attempts` so far); try again at `at`.
    Failed {
        attempts: u32,
        at: Instant,
        why: String,
    },
}

/// The cache of every origin's robots.txt, shared by the lanes.
pub(crate) struct Robots {
    agent: String,
    /// Fetches of an unreachable file before its host is refused.
    attempts: u32,
    timeout: Duration,
    origins: Mutex<HashMap<String, Entry>>,
}

/// What a task must do next for an origin.
enum Step {
    Decide(Arc<Rules>),
    Fetch { attempts: u32 },
    Sleep(Instant),
}

impl Robots {
    /// Rules for `user_agent`'s product token; an unreachable file is asked for `1 + retries`
    /// times; each fetch gets `timeout`.
    pub(crate) fn new(user_agent: &str, retries: u32, timeout: Duration) -> Self {
        Self {
            agent: product_token(user_agent),
            attempts: retries + 1,
            timeout,
            origins: Mutex::new(HashMap::new()),
        }
    }

    /// What robots.txt says about `url`, fetching the origin's file with `session` first if
    /// no one has yet.
    ///
    /// # Cancel safety
    /// Cancel-safe: a task dropped while it fetches the file gives the job to another waiter.
    pub(crate) async fn check(&self, session: &ClientSession, url: &url::Url) -> Verdict {
        let origin = url.origin().ascii_serialization();
        loop {
            let step = std::future::poll_fn(|cx| {
                let mut origins = self.origins.lock().unwrap_or_else(|e| e.into_inner());
                let now = asyncio::time::now();
                match origins.get_mut(&origin) {
                    None => {
                        origins.insert(origin.clone(), Entry::Fetching(Vec::new()));
                        Poll::Ready(Step::Fetch { attempts: 0 })
                    }
                    Some(Entry::Fetching(waiters)) => {
                        if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                            waiters.push(cx.waker().clone());
                        }
                        Poll::Pending
                    }
                    Some(Entry::Ready { rules, until }) if *until > now => {
                        Poll::Ready(Step::Decide(rules.clone()))
                    }
                    Some(Entry::Ready { .. }) => {
                        origins.insert(origin.clone(), Entry::Fetching(Vec::new()));
                        Poll::Ready(Step::Fetch { attempts: 0 })
                    }
                    Some(Entry::Failed { attempts, at, why }) => {
                        if *attempts >= self.attempts {
                            let rules = Arc::new(Rules::Unreachable(why.clone()));
                            origins.insert(
                                origin.clone(),
                                Entry::Ready {
                                    rules: rules.clone(),
                                    until: now + KEEP,
                                },
                            );
                            Poll::Ready(Step::Decide(rules))
                        } else if *at <= now {
                            let attempts = *attempts;
                            origins.insert(origin.clone(), Entry::Fetching(Vec::new()));
                            Poll::Ready(Step::Fetch { attempts })
                        } else {
                            Poll::Ready(Step::Sleep(*at))
                        }
                    }
                }
            })
            .await;
            match step {
                Step::Decide(rules) => return self.decide(&rules, url),
                Step::Sleep(at) => {
                    let wait = at.saturating_duration_since(asyncio::time::now());
                    asyncio::time::sleep(wait).await;
                }
                Step::Fetch { attempts } => {
                    let mut guard = Fetching {
                        robots: self,
                        origin: &origin,
                        done: false,
                    };
                    let entry = match self.fetch(session, url).await {
                        Ok(rules) => Entry::Ready {
                            rules: Arc::new(rules),
                            until: asyncio::time::now() + KEEP,
                        },
                        Err(why) => Entry::Failed {
                            attempts: attempts + 1,
                            at: asyncio::time::now() + Duration::from_secs(1 << attempts.min(6)),
                            why,
                        },
                    };
                    guard.finish(entry);
                }
            }
        }
    }

    /// The `Sitemap:` lines of `url`'s origin's robots.txt (fetching it first if no one has).
    pub(crate) async fn sitemaps(&self, session: &ClientSession, url: &url::Url) -> Vec<String> {
        let _ = self.check(session, url).await;
        let origins = self.origins.lock().unwrap_or_else(|e| e.into_inner());
        match origins.get(&url.origin().ascii_serialization()) {
            Some(Entry::Ready { rules, .. }) => match &**rules {
                Rules::Parsed(robot) => robot.sitemaps.clone(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn decide(&self, rules: &Rules, url: &url::Url) -> Verdict {
        match rules {
            Rules::AllowAll => Verdict::Allowed { delay: None },
            Rules::Unreachable(why) => Verdict::Refused(format!("robots.txt unreachable: {why}")),
            Rules::Parsed(robot) => {
                let path = match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_owned(),
                };
                if robot.allowed(&path) {
                    Verdict::Allowed {
                        delay: robot
                            .delay
                            .filter(|d| d.is_finite() && *d > 0.0)
                            .map(|d| Duration::from_secs_f32(d.min(3600.0))),
                    }
                } else {
                    Verdict::Refused(format!("disallowed by robots.txt for {:?}", self.agent))
                }
            }
        }
    }

    /// One fetch of the origin's file: the rules, or why it is unreachable.
    async fn fetch(&self, session: &ClientSession, url: &url::Url) -> Result<Rules, String> {
        let mut robots_url = url.clone();
        robots_url.set_path("/robots.txt");
        robots_url.set_query(None);
        robots_url.set_fragment(None);
        let doc = asyncio::time::timeout(
            self.timeout,
            crate::document::fetch(session, &robots_url, MAX_ROBOTS),
        )
        .await
        .map_err(|_| format!("no answer in {:?}", self.timeout))??;
        match doc.status {
            // Past 500 KiB the rest is ignored (the RFC allows it).
            200..=299 => Ok(texting_robots::Robot::new(&self.agent, &doc.body)
                .map(Rules::Parsed)
                // Unparseable: as if there were no file.
                .unwrap_or(Rules::AllowAll)),
            429 => Err("429 Too Many Requests".to_owned()),
            400..=499 => Ok(Rules::AllowAll),
            // 3xx left after the redirects were followed: as unavailable (RFC 9309 §2.3.1.2).
            300..=399 => Ok(Rules::AllowAll),
            s => Err(format!("status {s}")),
        }
    }
}

/// Marks an origin's fetch as over: with its result, or — dropped unfinished (the task was
/// cancelled) — by forgetting it, so the next waiter fetches instead. Either way the waiters
/// are woken.
struct Fetching<'a> {
    robots: &'a Robots,
    origin: &'a str,
    done: bool,
}

impl Fetching<'_> {
    fn finish(&mut self, entry: Entry) {
        self.done = true;
        self.replace(Some(entry));
    }

    fn replace(&self, entry: Option<Entry>) {
        let mut origins = self
            .robots
            .origins
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let old = match entry {
            Some(e) => origins.insert(self.origin.to_owned(), e),
            None => origins.remove(self.origin),
        };
        drop(origins);
        if let Some(Entry::Fetching(waiters)) = old {
            for w in waiters {
                w.wake();
            }
        }
    }
}

impl Drop for Fetching<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.replace(None);
        }
    }
}

/// The product token robots.txt groups are matched against: the User-Agent up to its first
/// `/` or space (`asyncio-fetch/0.1.0` → `asyncio-fetch`).
pub(crate) fn product_token(user_agent: &str) -> String {
    user_agent
        .split(['/', ' '])
        .next()
        .unwrap_or(user_agent)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(txt: &str, agent: &str, path: &str) -> Verdict {
        let robots = Robots::new(agent, 0, Duration::from_secs(1));
        let rules = texting_robots::Robot::new(&robots.agent, txt.as_bytes()).unwrap();
        let url = url::Url::parse(&format!("http://h{path}")).unwrap();
        robots.decide(&Rules::Parsed(rules), &url)
    }

    #[test]
    fn our_group_applies_else_the_star_group() {
        let txt = crate::site::robots("http://h");
        assert!(matches!(
            verdict(&txt, "asyncio-fetch/0.1", "/site/private/3"),
            Verdict::Refused(_)
        ));
        assert!(matches!(
            verdict(&txt, "asyncio-fetch/0.1", "/site/3"),
            Verdict::Allowed { .. }
        ));
        assert!(matches!(
            verdict(&txt, "goodbot/2", "/site/private/3"),
            Verdict::Allowed { .. }
        ));
        assert!(matches!(
            verdict(&txt, "badbot", "/site/3"),
            Verdict::Refused(_)
        ));
    }

    #[test]
    fn crawl_delay_is_reported_and_the_query_counts() {
        let txt = "User-agent: *\nCrawl-delay: 2\nDisallow: /*?print\n";
        assert_eq!(
            verdict(txt, "x", "/a"),
            Verdict::Allowed {
                delay: Some(Duration::from_secs(2))
            }
        );
        assert!(matches!(
            verdict(txt, "x", "/a?print=1"),
            Verdict::Refused(_)
        ));
    }

    #[test]
    fn the_product_token_is_the_name_before_the_version() {
        assert_eq!(product_token("asyncio-fetch/0.1.0"), "asyncio-fetch");
        assert_eq!(product_token("MyBot (+http://x)"), "MyBot");
    }
}
