//! Crawl mode end to end against the demo server's generated site (a separate process, so a
//! crawler can be killed while the site stays up): every page exactly once with one loop and
//! with two, robots.txt obeyed, nofollow and scope honoured, depth and page limits, SIGKILL
//! then `--resume`, and WARC archives read back by warcio.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;
use common::{assert_whole_site, bin, records, site, tempdir, RobotsTxt};

fn crawl(base: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args(["--crawl", "--quiet", "--concurrency", "64"])
        .arg(format!("{base}/site/0"))
        .args(extra)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn a_crawl_finds_every_page_exactly_once_on_one_loop_and_on_two() {
    let pages = 3000;
    let s = site(pages, 0);
    let dir = tempdir("crawl-whole");
    for loops in ["1", "2"] {
        let out = dir.join(format!("out-{loops}.jsonl"));
        let o = crawl(&s.base, &out, &["--loops", loops]);
        assert!(o.status.success(), "{o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("all done"), "{err}");
        assert_whole_site(&s.base, pages, &records(&out));
    }
}

#[test]
fn depth_and_max_pages_bound_a_crawl() {
    let s = site(1000, 0);
    let dir = tempdir("crawl-bounds");
    let out = dir.join("depth.jsonl");
    let o = crawl(&s.base, &out, &["--depth", "1"]);
    assert!(o.status.success(), "{o:?}");
    let got = records(&out);
    assert!(got.values().all(|v| v[0]["depth"].as_u64().unwrap() <= 1));
    // The root's eight children are there (depth 1), none of theirs.
    for c in 1..=8 {
        assert!(
            got.contains_key(&format!("{}/site/{c}", s.base)),
            "child {c}"
        );
    }
    // The root, its 8 children, up to two more links and its private link: nothing deeper.
    assert!((10..=12).contains(&got.len()), "{}", got.len());

    let out = dir.join("max.jsonl");
    let o = crawl(&s.base, &out, &["--max-pages", "50"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(records(&out).len(), 50);
}

#[test]
fn a_killed_crawl_resumes_with_every_page_exactly_once() {
    let pages = 3000;
    let s = site(pages, 5);
    let dir = tempdir("crawl-kill");
    let out = dir.join("out.jsonl");
    let args = ["--crawl", "--quiet", "--concurrency", "32", "--loops", "2"];
    common::kill_once_grown(
        Command::new(bin())
            .args(args)
            .arg(format!("{}/site/0", s.base))
            .arg("-o")
            .arg(&out),
        &out,
        50_000,
    );
    let before = common::lines_after_kill(&out);
    assert!(before.len() < 3300, "the crawl ended before the kill");
    let o = Command::new(bin())
        .args(args)
        .arg(format!("{}/site/0", s.base))
        .args(["--resume", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    assert_whole_site(&s.base, pages, &records(&out));
}

#[test]
fn robots_txt_applies_in_list_mode_with_an_explicit_opt_out() {
    let s = site(100, 0);
    let dir = tempdir("robots-list");
    let input = dir.join("urls.txt");
    std::fs::write(&input, format!("{0}/site/1\n{0}/site/private/1\n", s.base)).unwrap();
    let run = |extra: &[&str]| {
        let out = dir.join("out.jsonl");
        let o = Command::new(bin())
            .arg(&input)
            .arg("--quiet")
            .args(extra)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
        records(&out)
    };
    let private = format!("{}/site/private/1", s.base);
    let public = format!("{}/site/1", s.base);
    let got = run(&[]);
    assert_eq!(got[&private][0]["error"]["kind"], "robots");
    assert_eq!(got[&public][0]["status"], 200);
    let got = run(&["--ignore-robots"]);
    assert_eq!(got[&private][0]["status"], 200);
    // The group for our product token applies: badbot may fetch nothing.
    let got = run(&["--user-agent", "badbot/1.0"]);
    assert_eq!(got[&public][0]["error"]["kind"], "robots");
}

fn fetch_list(
    base: &str,
    n: usize,
    extra: &[&str],
    tag: &str,
) -> HashMap<String, Vec<serde_json::Value>> {
    let dir = tempdir(tag);
    let input = dir.join("urls.txt");
    let list: String = (0..n).map(|i| format!("{base}/w/{i}\n")).collect();
    std::fs::write(&input, list).unwrap();
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .arg(&input)
        .args(["--quiet", "--concurrency", "8"])
        .args(extra)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    records(&out)
}

#[test]
fn an_unreachable_robots_txt_is_asked_again_then_its_host_is_refused() {
    use std::sync::atomic::Ordering;
    let (base, watch) = common::watching_server_with(0, RobotsTxt::Unavailable);
    let got = fetch_list(&base, 5, &["--retries", "1"], "robots-503");
    // Asked once, then once more after the back-off; nothing else fetched.
    assert_eq!(watch.robots_fetches.load(Ordering::SeqCst), 2);
    assert!(watch.arrivals.lock().unwrap().is_empty());
    assert_eq!(got.len(), 5);
    for v in got.values() {
        assert_eq!(v[0]["error"]["kind"], "robots", "{v:?}");
        let msg = v[0]["error"]["message"].as_str().unwrap();
        assert!(msg.contains("unreachable") && msg.contains("503"), "{msg}");
    }
}

#[test]
fn crawl_delay_spaces_a_hosts_requests_and_robots_is_fetched_once() {
    use std::sync::atomic::Ordering;
    let (base, watch) =
        common::watching_server_with(0, RobotsTxt::Text("User-agent: *\nCrawl-delay: 0.2\n"));
    let got = fetch_list(&base, 5, &["--loops", "2"], "crawl-delay");
    assert_eq!(got.len(), 5);
    assert_eq!(
        watch.robots_fetches.load(Ordering::SeqCst),
        1,
        "robots.txt once"
    );
    let mut at = watch.arrivals.lock().unwrap().clone();
    at.sort_by(f64::total_cmp);
    assert_eq!(at.len(), 5);
    for w in at.windows(2) {
        assert!(w[1] - w[0] >= 0.19, "requests {:.3} s apart", w[1] - w[0]);
    }
}

#[test]
fn a_redirected_robots_txt_is_followed_even_when_the_crawl_follows_no_redirects() {
    use std::sync::atomic::Ordering;
    let (base, watch) =
        common::watching_server_with(0, RobotsTxt::Moved("User-agent: *\nDisallow: /w/\n"));
    let dir = tempdir("robots-moved");
    let out = dir.join("out.jsonl");
    let o = Command::new(bin())
        .args(["--crawl", "--quiet"])
        .arg(format!("{base}/w/1"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let got = records(&out);
    assert_eq!(got[&format!("{base}/w/1")][0]["error"]["kind"], "robots");
    assert_eq!(watch.robots_fetches.load(Ordering::SeqCst), 1);
    assert!(
        watch.arrivals.lock().unwrap().is_empty(),
        "a disallowed page was fetched"
    );
}

/// A Python with warcio (`ASYNCIO_FETCH_PYTHON`, else `python3`); `None` outside CI when
/// there is none (the caller says it skips).
fn warcio_python() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("ASYNCIO_FETCH_PYTHON").map(PathBuf::from),
        Some(PathBuf::from("python3")),
    ];
    for p in candidates.into_iter().flatten() {
        let ok = Command::new(&p)
            .args(["-c", "import warcio"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(p);
        }
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must provide warcio (ASYNCIO_FETCH_PYTHON)"
    );
    eprintln!("skipped: no Python with warcio (pip install warcio, or set ASYNCIO_FETCH_PYTHON)");
    None
}

/// Reads a WARC back with warcio: every record's digests checked, every response's payload
/// compared byte for byte with what the site sends for that URL. Prints `pages=N` (distinct
/// response URLs) and `revisits=N`.
const CHECK: &str = r#"
import sys, urllib.request
from warcio.archiveiterator import ArchiveIterator
from warcio.cli import main as warcio
paths = sys.argv[1:]
def cli(args):
    try:
        warcio(args)
    except SystemExit as e:
        assert e.code in (0, None), (args, e.code)
for p in paths:
    cli(["check", p])
    cli(["index", "-o", "/dev/null", p])
pages, revisits, gz = set(), 0, 0
for p in paths:
    with open(p, "rb") as f:
        for r in ArchiveIterator(f, check_digests="raise"):
            if r.rec_type == "revisit":
                revisits += 1
            if r.rec_type != "response":
                continue
            url = r.rec_headers.get_header("WARC-Target-URI")
            assert r.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
            assert r.rec_headers.get_header("WARC-Concurrent-To")
            got = r.raw_stream.read()
            req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
            sent = urllib.request.urlopen(req).read()
            assert got == sent, url
            if r.http_headers.get_header("content-encoding") == "gzip":
                gz += 1
            pages.add(url)
print(f"pages={len(pages)} revisits={revisits} gzip={gz}")
"#;

fn check_warc(python: &Path, paths: &[PathBuf]) -> String {
    let o = Command::new(python)
        .args(["-c", CHECK])
        .args(paths)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

#[test]
fn a_warc_reads_back_with_warcio_byte_for_byte_and_rolls_over() {
    let Some(python) = warcio_python() else {
        return;
    };
    let pages = 300;
    let s = site(pages, 0);
    let dir = tempdir("warc");
    let out = dir.join("out.jsonl");
    let warc = dir.join("crawl.warc.gz");
    let o = crawl(
        &s.base,
        &out,
        &["--warc", warc.to_str().unwrap(), "--warc-max-size", "200K"],
    );
    assert!(o.status.success(), "{o:?}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "rolled over: {files:?}");
    assert!(files[0].ends_with("crawl-00000.warc.gz"), "{files:?}");
    let summary = check_warc(&python, &files);
    // Every page archived (one in five gzip-encoded, kept so); none twice.
    assert!(
        summary.starts_with(&format!("pages={pages} revisits=0 gzip=60")),
        "{summary}"
    );
}

#[test]
fn a_warc_killed_mid_crawl_keeps_its_whole_records_and_resume_completes_it() {
    let Some(python) = warcio_python() else {
        return;
    };
    let pages = 2000;
    let s = site(pages, 5);
    let dir = tempdir("warc-kill");
    let out = dir.join("out.jsonl");
    let warc = dir.join("crawl.warc.gz");
    let args = ["--crawl", "--quiet", "--concurrency", "32"];
    common::kill_once_grown(
        Command::new(bin())
            .args(args)
            .arg(format!("{}/site/0", s.base))
            .arg("--warc")
            .arg(&warc)
            .arg("-o")
            .arg(&out),
        &warc,
        1_000_000,
    );
    // Whatever the kill tore, the whole records before it read back.
    let o = Command::new(&python)
        .args([
            "-c",
            "import sys\nfrom warcio.archiveiterator import ArchiveIterator\nn=0\ntry:\n    for r in ArchiveIterator(open(sys.argv[1],'rb'), check_digests='raise'):\n        r.content_stream().read(); n+=1\nexcept Exception as e:\n    print('torn tail:', e, file=sys.stderr)\nprint(n)",
        ])
        .arg(&warc)
        .output()
        .unwrap();
    let n: u64 = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap();
    assert!(n > 100, "{n} records read back");
    let o = Command::new(bin())
        .args(args)
        .arg(format!("{}/site/0", s.base))
        .arg("--warc")
        .arg(&warc)
        .args(["--resume", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    assert_whole_site(&s.base, pages, &records(&out));
    // Every page is in the archive (those in flight at the kill twice: both copies whole).
    let summary = check_warc(&python, &[warc]);
    assert!(summary.starts_with(&format!("pages={pages} ")), "{summary}");
}

#[test]
fn sitemaps_from_robots_txt_and_sitemap_xml_list_every_page() {
    let pages = 400;
    let s = site(pages, 0);
    let dir = tempdir("sitemaps");
    let out = dir.join("out.jsonl");
    // Depth 0: only the seed and what the sitemaps list (an index naming a plain and a
    // gzipped sitemap, each with half of the pages).
    let o = crawl(&s.base, &out, &["--sitemaps", "--depth", "0"]);
    assert!(o.status.success(), "{o:?}");
    let got = records(&out);
    assert_eq!(
        got.len() as u64,
        pages,
        "{:?}",
        String::from_utf8_lossy(&o.stderr)
    );
    for i in 0..pages {
        let v = &got[&format!("{}/site/{i}", s.base)][0];
        assert_eq!(v["status"], 200);
        if i > 0 {
            let parent = v["parent"].as_str().unwrap();
            let want = if i < pages / 2 {
                "sitemap-0.xml"
            } else {
                "sitemap-1.xml.gz"
            };
            assert!(parent.ends_with(want), "{i}: {parent}");
        }
    }
    // Without --sitemaps, depth 0 is the seed alone.
    let o = crawl(&s.base, &out, &["--depth", "0"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(records(&out).len(), 1);
}
