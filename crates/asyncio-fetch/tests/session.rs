//! What a run's HTTP session keeps and sends: the cookie jar (on by default, `--no-cookies`,
//! `--cookies FILE` loaded and saved, kept across a crawl), `--netrc` credentials, and which
//! proxy is used (`--proxy`, the environment, `--no-proxy`).

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

use common::{bin, server, tempdir};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Each output line: url → (status, error kind).
type Seen = HashMap<String, (Option<u64>, Option<String>)>;

/// Runs asyncio-fetch on `urls` with `args`; what its output lines say.
fn fetch(dir: &Path, urls: &[String], args: &[&str], env: &[(&str, &str)]) -> (Output, Seen) {
    let input = dir.join("urls.txt");
    std::fs::write(&input, urls.join("\n") + "\n").unwrap();
    let out = dir.join("out.jsonl");
    let mut cmd = Command::new(bin());
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
        "NETRC",
    ] {
        cmd.env_remove(var);
    }
    let o = cmd
        .arg(&input)
        .args(["--quiet", "-o"])
        .arg(&out)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let mut seen = HashMap::new();
    for line in std::fs::read_to_string(&out).unwrap_or_default().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        seen.insert(
            v["url"].as_str().unwrap().to_owned(),
            (
                v["status"].as_u64(),
                v["error"]["kind"].as_str().map(str::to_owned),
            ),
        );
    }
    (o, seen)
}

#[test]
fn the_cookie_jar_carries_a_redirects_cookie_and_survives_in_a_file() {
    let dir = tempdir("cookies");
    let base = server(0);
    let login = vec![format!("{base}/login")];
    let (_, seen) = fetch(&dir, &login, &[], &[]);
    assert_eq!(
        seen[&login[0]].0,
        Some(200),
        "the jar is on by default: {seen:?}"
    );
    let (_, seen) = fetch(&dir, &login, &["--no-cookies"], &[]);
    assert_eq!(seen[&login[0]].0, Some(403), "{seen:?}");

    // Saved after the run in Netscape format, loaded by the next.
    let jar = dir.join("cookies.txt");
    let (o, _) = fetch(&dir, &login, &["--cookies", jar.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{o:?}");
    let text = std::fs::read_to_string(&jar).unwrap();
    assert!(
        text.contains("127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\ts3ss10n"),
        "{text}"
    );
    let private = vec![format!("{base}/private")];
    let (_, seen) = fetch(&dir, &private, &["--cookies", jar.to_str().unwrap()], &[]);
    assert_eq!(seen[&private[0]].0, Some(200), "{seen:?}");
    let (_, seen) = fetch(&dir, &private, &[], &[]);
    assert_eq!(seen[&private[0]].0, Some(403), "without the file: {seen:?}");
    // A file that is not a cookies.txt is a clear error, before anything is fetched.
    std::fs::write(&jar, "not\ta cookie line\n").unwrap();
    let (o, _) = fetch(&dir, &private, &["--cookies", jar.to_str().unwrap()], &[]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--cookies"),
        "{o:?}"
    );
}

#[test]
fn a_crawl_keeps_its_cookies_from_page_to_page() {
    let dir = tempdir("crawl-cookies");
    let base = server(0);
    let home = vec![format!("{base}/home")];
    let crawl = ["--crawl", "--ignore-robots", "--depth", "1"];
    let (o, seen) = fetch(&dir, &home, &crawl, &[]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(seen[&format!("{base}/private")].0, Some(200), "{seen:?}");
    let no = [&crawl[..], &["--no-cookies"]].concat();
    let (_, seen) = fetch(&dir, &home, &no, &[]);
    assert_eq!(seen[&format!("{base}/private")].0, Some(403), "{seen:?}");
}

#[test]
fn netrc_credentials_go_to_the_hosts_it_names() {
    let dir = tempdir("netrc");
    let base = server(0);
    let netrc = dir.join("netrc");
    std::fs::write(&netrc, "machine 127.0.0.1 login alice password pw\n").unwrap();
    let url = vec![format!("{base}/basic")];
    let env = [("NETRC", netrc.to_str().unwrap())];
    let (_, seen) = fetch(&dir, &url, &["--netrc"], &env);
    assert_eq!(seen[&url[0]].0, Some(200), "{seen:?}");
    let (_, seen) = fetch(&dir, &url, &[], &env);
    assert_eq!(seen[&url[0]].0, Some(401), "only with --netrc: {seen:?}");
    let missing = [("NETRC", "/nonexistent/netrc")];
    let (o, _) = fetch(&dir, &url, &["--netrc"], &missing);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--netrc"),
        "{o:?}"
    );
}

#[test]
fn the_proxy_comes_from_the_flag_or_the_environment_unless_no_proxy() {
    let dir = tempdir("proxy");
    let base = server(0);
    // A proxy that is not there: a request that uses it fails with the "proxy" kind.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let url = vec![format!("{base}/n/1")];
    let (o, seen) = fetch(&dir, &url, &["--proxy", &dead, "--ignore-robots"], &[]);
    assert_eq!(seen[&url[0]].1.as_deref(), Some("proxy"), "{seen:?}");
    assert!(!o.status.success() || seen[&url[0]].0.is_none());
    let env = [("HTTP_PROXY", dead.as_str())];
    let (_, seen) = fetch(&dir, &url, &["--ignore-robots"], &env);
    assert_eq!(seen[&url[0]].1.as_deref(), Some("proxy"), "{seen:?}");
    let (_, seen) = fetch(&dir, &url, &["--no-proxy"], &env);
    assert_eq!(seen[&url[0]].0, Some(200), "{seen:?}");
    // The demo ignores the environment's proxy (its server is on loopback, in-process).
    let demo = Command::new(bin())
        .args(["--demo", "--demo-urls", "50", "--quiet"])
        .env("HTTP_PROXY", &dead)
        .env_remove("NO_PROXY")
        .output()
        .unwrap();
    assert!(demo.status.success(), "{demo:?}");
    let summary =
        String::from_utf8_lossy(&demo.stdout).to_string() + &String::from_utf8_lossy(&demo.stderr);
    assert!(
        summary.contains("status: 2xx"),
        "answers came back: {summary}"
    );
    assert!(
        !summary.contains("errors:") && !summary.contains("proxy"),
        "{summary}"
    );
    let bypass = [("HTTP_PROXY", dead.as_str()), ("NO_PROXY", "127.0.0.1")];
    let (_, seen) = fetch(&dir, &url, &[], &bypass);
    assert_eq!(seen[&url[0]].0, Some(200), "{seen:?}");
}
