//! The client against nginx (Debian's package; `.ci/run` installs it): keep-alive reuse,
//! gzip over chunked transfer, a large static file, 404s, and HTTP/2 over TLS with a
//! certificate generated here. Without nginx the tests say so and pass, except under CI
//! (`CI=true`), where its absence is an error.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::Duration;

use asyncio_http::{ClientSession, SessionConfig, StatusCode, Trace};

struct Nginx {
    child: Child,
    dir: PathBuf,
    http: u16,
    https: u16,
    cert: String,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn nginx_binary() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn start(tag: &str) -> Option<Nginx> {
    let Some(bin) = nginx_binary() else {
        assert!(
            std::env::var("CI").is_err(),
            "nginx is missing: .ci/run should install it"
        );
        eprintln!("skipped: nginx is not installed");
        return None;
    };
    let dir = std::env::temp_dir().join(format!("asyncio-nginx-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let www = dir.join("www");
    std::fs::create_dir_all(www.join("files")).unwrap();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(www.join("index.html"), "<h1>nginx</h1>\n").unwrap();
    std::fs::write(
        www.join("text.txt"),
        "lorem ipsum dolor sit amet ".repeat(4000),
    )
    .unwrap();
    let big: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(www.join("files/big.bin"), big).unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.join("cert.pem"), ck.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), ck.key_pair.serialize_pem()).unwrap();
    let (http, https) = (free_port(), free_port());
    let conf = format!(
        r#"
worker_processes 1;
error_log {d}/logs/error.log;
pid {d}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp_body;
    proxy_temp_path {d}/tmp_proxy;
    fastcgi_temp_path {d}/tmp_fcgi;
    uwsgi_temp_path {d}/tmp_uwsgi;
    scgi_temp_path {d}/tmp_scgi;
    types {{ text/html html; text/plain txt; application/octet-stream bin; }}
    keepalive_requests 10000;
    gzip on;
    gzip_types text/plain;
    gzip_min_length 0;
    server {{
        listen 127.0.0.1:{http};
        root {d}/www;
    }}
    server {{
        listen 127.0.0.1:{https} ssl http2;
        ssl_certificate {d}/cert.pem;
        ssl_certificate_key {d}/key.pem;
        root {d}/www;
    }}
}}
"#,
        d = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(bin)
        .args([
            "-p",
            dir.to_str().unwrap(),
            "-c",
            "nginx.conf",
            "-g",
            "daemon off; master_process off;",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ready when it accepts (a process's start-up: poll the port).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", http)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "nginx did not start: {}",
            log(&dir)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    Some(Nginx {
        child,
        dir,
        http,
        https,
        cert: ck.cert.pem(),
    })
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("logs/error.log")).unwrap_or_default()
}

#[derive(Clone, Default)]
struct Count(Rc<RefCell<usize>>);

impl Trace for Count {
    fn connection_create_end(&self, _: &str, _: Duration) {
        *self.0.borrow_mut() += 1;
    }
}

#[asyncio::test]
async fn keep_alive_gzip_chunked_large_files_and_404() {
    let Some(n) = start("h1") else { return };
    let base = format!("http://127.0.0.1:{}", n.http);
    let created = Count::default();
    let mut config = SessionConfig::default();
    config.trace.push(created.clone());
    let session = ClientSession::with_config(config);
    for _ in 0..50 {
        let r = session
            .get(format!("{base}/index.html"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.text().await.unwrap(), "<h1>nginx</h1>\n");
    }
    assert_eq!(
        *created.0.borrow(),
        1,
        "fifty requests on one kept-alive connection"
    );
    let r = session
        .get(format!("{base}/text.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert!(
        r.headers().get("content-length").is_none(),
        "gzip output is chunked"
    );
    assert_eq!(
        r.text().await.unwrap(),
        "lorem ipsum dolor sit amet ".repeat(4000)
    );
    let big = session
        .get(format!("{base}/files/big.bin"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(big.len(), 5_000_000);
    assert!(big.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    let r = session.get(format!("{base}/missing")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.error_for_status().is_err());
}

#[asyncio::test]
async fn http2_over_tls_with_a_certificate_made_here() {
    let Some(n) = start("h2") else { return };
    let mut config = SessionConfig::default();
    config.connector.tls = Some(
        asyncio::tls::TlsConnector::builder()
            .webpki_roots(false)
            .native_roots(false)
            .add_root_pem(n.cert.as_bytes())
            .unwrap()
            .alpn(["h2", "http/1.1"])
            .build()
            .unwrap(),
    );
    let session = ClientSession::with_config(config);
    let r = session
        .get(format!("https://localhost:{}/index.html", n.https))
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), http::Version::HTTP_2);
    assert_eq!(r.text().await.unwrap(), "<h1>nginx</h1>\n");
    // An untrusting client refuses the same server.
    let e = ClientSession::new()
        .get(format!("https://localhost:{}/", n.https))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "tls", "{e}");
}
