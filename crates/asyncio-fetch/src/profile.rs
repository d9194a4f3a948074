//! The request profile: every setting that shapes a request, parsed once from the command
//! line. The HTTP sessions of every lane, the retry rule, the pacing and the WARC records'
//! request heads all read it, so a header given with `-H` is parsed (and refused) in one
//! place and sent and archived alike.

use std::time::Duration;

use asyncio_http::{
    ClientSession, ClientTimeout, CookieJar, HeaderName, HeaderValue, Method, Netrc, Proxies,
    RetryPolicy, SessionConfig,
};

use crate::args::Args;

/// What every request of a run is made with.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    /// `--method`: GET, or HEAD.
    pub(crate) method: Method,
    /// `--user-agent`, as robots.txt matches it and the archive records it.
    pub(crate) user_agent: String,
    /// The same, as the header sent.
    user_agent_header: HeaderValue,
    /// `-H`: the extra headers, in order, already valid.
    headers: Vec<(HeaderName, HeaderValue)>,
    /// One attempt's time, from when it holds its host slot.
    pub(crate) timeout: Duration,
    connect_timeout: Duration,
    /// `--retries`, as asyncio-http's retry policy.
    pub(crate) retry: RetryPolicy,
    /// `--max-bytes`: bodies are cut here.
    pub(crate) max_bytes: Option<u64>,
    /// `--rate`'s gap between a host's requests.
    pub(crate) rate_gap: Option<Duration>,
    /// `--per-host`, over all lanes.
    pub(crate) per_host: usize,
    /// `--warc`: bodies are kept as received and every redirect hop is its own exchange.
    pub(crate) archive: bool,
    /// `--crawl`: a redirect's target is queued like a link, not followed.
    crawl: bool,
    /// `--trace`: every attempt's record goes here.
    trace: Option<crate::trace_file::TraceFile>,
    /// `--insecure-dangerous-accept-any-certificate`.
    insecure: bool,
    /// The run's cookie jar, shared by every lane's session (`--no-cookies`: none).
    pub(crate) cookies: Option<CookieJar>,
    /// `--cookies FILE`: where the jar is loaded from and saved to.
    pub(crate) cookie_file: Option<std::path::PathBuf>,
    /// `--proxy`, or the environment's proxies (none with `--no-proxy`).
    proxy: Proxies,
    /// `--netrc`'s credentials.
    netrc: Option<Netrc>,
}

impl Profile {
    /// Parses the request settings of `args`.
    ///
    /// # Errors
    /// A user agent or a `-H` header that is not a valid header, a `--cookies` file that
    /// cannot be read or parsed, `--netrc` without a readable file.
    pub(crate) fn from_args(args: &Args) -> Result<Self, String> {
        let cookies = match (&args.cookies, args.no_cookies) {
            (_, true) => None,
            (Some(path), false) if path.exists() => {
                Some(CookieJar::load(path).map_err(|e| format!("--cookies: {e}"))?)
            }
            (_, false) => Some(CookieJar::new()),
        };
        let netrc = match args.netrc {
            false => None,
            true => {
                let path = Netrc::default_path().ok_or("--netrc: no $HOME or $NETRC")?;
                Some(Netrc::load(&path).map_err(|e| format!("--netrc: {e}"))?)
            }
        };
        let user_agent_header = HeaderValue::try_from(args.user_agent.as_str())
            .map_err(|_| "invalid --user-agent".to_owned())?;
        let mut headers = Vec::with_capacity(args.headers.len());
        for h in &args.headers {
            headers.push(parse_header(h)?);
        }
        Ok(Self {
            method: if args.method.eq_ignore_ascii_case("HEAD") {
                Method::HEAD
            } else {
                Method::GET
            },
            user_agent: args.user_agent.clone(),
            user_agent_header,
            headers,
            timeout: args.timeout(),
            connect_timeout: args.connect_timeout(),
            // asyncio-http's policy, retrying timeouts too: a fetch tool's timeouts are
            // usually a slow server, worth another try.
            retry: RetryPolicy {
                max_retries: args.retries,
                base: Duration::from_millis(200),
                max_delay: Duration::from_secs(60),
                retry_timeouts: true,
            },
            max_bytes: args.max_bytes,
            rate_gap: (args.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / args.rate)),
            per_host: args.per_host(),
            archive: args.warc.is_some(),
            crawl: args.crawl,
            insecure: args.insecure,
            cookies,
            cookie_file: args.cookies.clone(),
            // As curl: `--proxy` over the environment's proxies, NO_PROXY still honoured.
            proxy: match (&args.proxy, args.no_proxy) {
                (_, true) => Proxies::none(),
                (Some(url), false) => Proxies {
                    no_proxy: Proxies::from_env().no_proxy,
                    ..Proxies::all(url.clone())
                },
                // The demo's server is this process's, on loopback: the environment's proxy
                // is for the network, so the quick start works behind one too.
                (None, false) if args.demo => Proxies::none(),
                (None, false) => Proxies::from_env(),
            },
            netrc,
            trace: match &args.trace {
                Some(path) => Some(
                    crate::trace_file::TraceFile::create(path)
                        .map_err(|e| format!("--trace {}: {e}", path.display()))?,
                ),
                None => None,
            },
        })
    }

    /// A session for `concurrency` requests at once, at most `per_host` of them to one host.
    pub(crate) fn session(&self, concurrency: usize, per_host: usize) -> ClientSession {
        let mut config = SessionConfig {
            timeout: ClientTimeout {
                total: Some(self.timeout),
                sock_connect: Some(self.connect_timeout),
                ..ClientTimeout::none()
            },
            cookies: self.cookies.clone(),
            proxy: self.proxy.clone(),
            netrc: self.netrc.clone(),
            ..SessionConfig::default()
        };
        // Requests wait for their host's slot in `fetch`, before their clock starts; the
        // session's own per-host limit only paces redirects that leave the host.
        config.connector.limit = concurrency.max(1);
        config.connector.limit_per_host = per_host.max(1);
        // A crawl queues a redirect's target as a link; `--warc` records every hop itself.
        config.follow_redirects = !(self.crawl || self.archive);
        if self.archive {
            // The archive keeps bodies as received (content encoding untouched).
            config.auto_decompress = false;
            config.headers.insert(
                asyncio_http::header::ACCEPT_ENCODING,
                HeaderValue::from_static("gzip, deflate, br, zstd"),
            );
        }
        config.headers.insert(
            asyncio_http::header::USER_AGENT,
            self.user_agent_header.clone(),
        );
        for (name, value) in &self.headers {
            config.headers.insert(name.clone(), value.clone());
        }
        config.connector.accept_invalid_certs = self.insecure;
        if let Some(t) = &self.trace {
            config.trace.push(t.clone());
        }
        ClientSession::with_config(config)
    }

    /// Writes out the `--trace` file's last lines.
    ///
    /// # Errors
    /// Writing the file.
    pub(crate) fn flush_trace(&self) -> std::io::Result<()> {
        self.trace.as_ref().map_or(Ok(()), |t| t.flush())
    }

    /// Saves the jar to `--cookies`' file, if both are set.
    ///
    /// # Errors
    /// Writing the file.
    pub(crate) fn save_cookies(&self) -> std::io::Result<()> {
        match (&self.cookies, &self.cookie_file) {
            (Some(jar), Some(path)) => jar.save(path),
            _ => Ok(()),
        }
    }

    /// The request as the client sends it, for the archive: the request line, `Host`, and the
    /// session's headers.
    pub(crate) fn request_head(&self, method: &Method, url: &url::Url) -> String {
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
            None => url.host_str().unwrap_or("").to_owned(),
        };
        let mut s = format!(
            "{method} {target} HTTP/1.1\r\nhost: {host}\r\nuser-agent: {}\r\n\
             accept-encoding: gzip, deflate, br, zstd\r\n",
            self.user_agent
        );
        for (name, value) in &self.headers {
            s.push_str(name.as_str());
            s.push_str(": ");
            s.push_str(&String::from_utf8_lossy(value.as_bytes()));
            s.push_str("\r\n");
        }
        s.push_str("\r\n");
        s
    }

    /// The `warcinfo` record's fields: the software, the format, and how it fetched.
    pub(crate) fn warcinfo(&self, obeys_robots: bool) -> String {
        format!(
            "software: asyncio-fetch/{}\r\n\
             format: WARC File Format 1.1\r\n\
             conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n\
             robots: {}\r\n\
             http-header-user-agent: {}\r\n",
            env!("CARGO_PKG_VERSION"),
            if obeys_robots { "obey" } else { "ignore" },
            self.user_agent
        )
    }
}

/// `Name: value`, trimmed, as a valid header.
fn parse_header(h: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (k, v) = h
        .split_once(':')
        .ok_or_else(|| format!("invalid header {h:?}: expected Name: value"))?;
    let name = HeaderName::try_from(k.trim()).map_err(|_| format!("invalid header name {k:?}"))?;
    let value =
        HeaderValue::try_from(v.trim()).map_err(|_| format!("invalid header value in {h:?}"))?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn profile(argv: &[&str]) -> Result<Profile, String> {
        let mut all = vec!["asyncio-fetch", "urls.txt"];
        all.extend_from_slice(argv);
        Profile::from_args(&Args::parse_from(all))
    }

    #[test]
    fn bad_headers_are_refused_with_their_text() {
        let e = profile(&["-H", "no colon"]).unwrap_err();
        assert!(e.contains("expected Name: value"), "{e}");
        let e = profile(&["-H", "bad name: x"]).unwrap_err();
        assert!(e.contains("invalid header name"), "{e}");
        let e = profile(&["-H", "X-A: line\nbreak"]).unwrap_err();
        assert!(e.contains("invalid header value"), "{e}");
    }

    #[test]
    fn the_archived_request_head_has_the_sent_headers() {
        let p = profile(&["-H", "X-Token:  abc ", "--user-agent", "ua/1"]).unwrap();
        let url = url::Url::parse("http://example.test:8080/a/b?q=1").unwrap();
        assert_eq!(
            p.request_head(&Method::GET, &url),
            "GET /a/b?q=1 HTTP/1.1\r\nhost: example.test:8080\r\nuser-agent: ua/1\r\n\
             accept-encoding: gzip, deflate, br, zstd\r\nx-token: abc\r\n\r\n"
        );
    }

    #[test]
    fn head_method_rate_and_retries_are_read_once() {
        let p = profile(&["--method", "head", "--rate", "4", "--retries", "5"]).unwrap();
        assert_eq!(p.method, Method::HEAD);
        assert_eq!(p.rate_gap, Some(Duration::from_millis(250)));
        assert_eq!(p.retry.max_retries, 5);
        assert!(p.retry.retry_timeouts);
        assert_eq!(profile(&[]).unwrap().rate_gap, None);
    }

    #[test]
    fn warcinfo_says_whether_robots_are_obeyed() {
        let p = profile(&["--user-agent", "bot/2"]).unwrap();
        let info = p.warcinfo(true);
        assert!(info.contains("robots: obey\r\n"));
        assert!(info.ends_with("http-header-user-agent: bot/2\r\n"));
        assert!(p.warcinfo(false).contains("robots: ignore\r\n"));
    }
}
