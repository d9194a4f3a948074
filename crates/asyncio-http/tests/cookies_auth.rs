//! Cookies and credentials against a real aiohttp server: a login whose cookies are set on
//! the hops of a redirect chain, public-suffix and malformed cookies, URL credentials, and
//! credentials dropped when a redirect leaves the origin (seen by a second server that records
//! what it receives).

mod peers;

use asyncio_http::{Auth, ClientSession, CookieJar, SessionConfig};

fn aiohttp() -> Option<(std::path::PathBuf, peers::Peer)> {
    let py = peers::python(&["aiohttp"])?;
    let peer = peers::python_server(&py, "aiohttp_peer.py", &[]);
    Some((py, peer))
}

#[test]
fn cookies_set_across_a_login_redirect_chain_reach_every_next_hop() {
    let Some((_py, peer)) = aiohttp() else { return };
    asyncio::run(async move {
        let base = format!("http://127.0.0.1:{}", peer.port);
        let session = ClientSession::new();
        let denied = session.get(format!("{base}/private")).send().await.unwrap();
        assert_eq!(denied.status(), 403);
        // /login sets sid and theme, then /landing sets hop, then /private checks them.
        let resp = session.get(format!("{base}/login")).send().await.unwrap();
        assert_eq!(resp.history().len(), 2);
        let seen: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(seen["sid"], "abc123");
        assert_eq!(seen["theme"], "dark");
        assert_eq!(seen["hop"], "2");
        // A per-request cookie goes with the jar's.
        let resp = session
            .get(format!("{base}/private"))
            .cookie("extra", "x")
            .send()
            .await
            .unwrap();
        let seen: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(
            (seen["sid"].as_str(), seen["extra"].as_str()),
            (Some("abc123"), Some("x"))
        );
        // Saved in Netscape format and loaded into a new session, the login survives.
        let dir = peers::TempDir::new("cookies");
        let file = dir.0.join("cookies.txt");
        session.cookie_jar().unwrap().save(&file).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.contains("#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc123"),
            "{text}"
        );
        let again = ClientSession::with_config(SessionConfig {
            cookies: Some(CookieJar::load(&file).unwrap()),
            ..SessionConfig::default()
        });
        let resp = again.get(format!("{base}/private")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        // A deleted cookie is gone from the jar.
        session.get(format!("{base}/logout")).send().await.unwrap();
        let url = url::Url::parse(&base).unwrap();
        assert_eq!(session.cookie_jar().unwrap().get(&url, "sid"), None);
    });
}

#[test]
fn without_a_jar_nothing_is_kept_and_bad_cookies_never_fail_a_request() {
    let Some((_py, peer)) = aiohttp() else { return };
    asyncio::run(async move {
        let base = format!("http://127.0.0.1:{}", peer.port);
        let off = ClientSession::with_config(SessionConfig {
            cookies: None,
            ..SessionConfig::default()
        });
        let resp = off.get(format!("{base}/login")).send().await.unwrap();
        assert_eq!(resp.status(), 403, "the redirect chain loses the cookies");
        assert!(off.cookie_jar().is_none());
        // A public-suffix cookie and a malformed one are refused; the good one is kept.
        let session = ClientSession::new();
        let resp = session
            .get(format!("{base}/public-suffix"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let jar = session.cookie_jar().unwrap();
        assert_eq!(jar.len(), 1);
        assert_eq!(
            jar.get(&url::Url::parse(&base).unwrap(), "good").as_deref(),
            Some("1")
        );
    });
}

#[test]
fn url_credentials_are_sent_as_basic_and_dropped_past_the_origin() {
    let Some((py, peer)) = aiohttp() else { return };
    let other = peers::python_server(&py, "aiohttp_peer.py", &[]);
    asyncio::run(async move {
        let session = ClientSession::new();
        let ok = session
            .get(format!("http://alice:s3cret@127.0.0.1:{}/basic", peer.port))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "credentials in the URL are Basic auth");
        let wrong = session
            .get(format!("http://127.0.0.1:{}/basic", peer.port))
            .basic_auth("alice", Some("nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
        let per_session = ClientSession::with_config(SessionConfig {
            auth: Some(Auth::basic("alice", Some("s3cret"))),
            ..SessionConfig::default()
        });
        let ok = per_session
            .get(format!("http://127.0.0.1:{}/basic", peer.port))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "the session's credentials");

        // Same origin: the header goes with the redirect.
        let here = format!("http://127.0.0.1:{}/headers", peer.port);
        let resp = session
            .get(format!("http://127.0.0.1:{}/away?to={here}", peer.port))
            .bearer_auth("t0ken")
            .header("cookie", "mine=1")
            .send()
            .await
            .unwrap();
        let seen: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(seen["authorization"], "Bearer t0ken");
        assert_eq!(seen["cookie"], "mine=1");
        // Another origin (another port): the second server sees neither.
        let there = format!("http://127.0.0.1:{}/headers", other.port);
        let resp = session
            .get(format!("http://127.0.0.1:{}/away?to={there}", peer.port))
            .bearer_auth("t0ken")
            .header("cookie", "mine=1")
            .cookie("extra", "2")
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.url().port(),
            Some(other.port),
            "it reached the other server"
        );
        let seen: serde_json::Value = resp.json().await.unwrap();
        assert!(seen.get("authorization").is_none(), "{seen}");
        assert!(seen.get("cookie").is_none(), "{seen}");
    });
}
