//! The client against a deliberately broken server: every misbehaviour gives the documented
//! error within its timeout, and the session keeps working for the next request.

use std::time::Duration;

use asyncio::net::TcpStream;
use asyncio::streams::{start_server, Reader, Writer};
use asyncio_http::{ClientSession, ClientTimeout, Error, SessionConfig, TimeoutKind};

/// Reads a request's head (through the blank line); returns its path.
async fn read_head(r: &mut Reader<TcpStream>) -> Option<String> {
    let first = r.readline().await.ok()?;
    if first.is_empty() {
        return None;
    }
    let path = String::from_utf8_lossy(&first)
        .split(' ')
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    loop {
        let line = r.readline().await.ok()?;
        if line == b"\r\n" || line.is_empty() {
            return Some(path);
        }
    }
}

async fn misbehave(path: &str, w: &Writer<TcpStream>) -> bool {
    let send = |b: &[u8]| {
        let _ = w.write(b);
    };
    match path {
        "/garbage" => send(b"THIS IS NOT HTTP\r\n\r\n"),
        "/truncated" => send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"),
        "/short" => {
            send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello-and-then-some-garbage");
            return false;
        }
        "/endless" => {
            send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            loop {
                if w.write(b"400\r\n").is_err()
                    || w.write(&[b'x'; 1024]).is_err()
                    || w.write(b"\r\n").is_err()
                {
                    return false;
                }
                if w.drain().await.is_err() {
                    return false;
                }
            }
        }
        "/trickle" => {
            send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
            for _ in 0..10 {
                asyncio::time::sleep(Duration::from_secs(1)).await;
                if w.write(b"x").is_err() {
                    return false;
                }
            }
        }
        "/reset" => {
            send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
            send(&[b'x'; 1000]);
            let _ = w.drain().await;
            w.with_inner(|h| {
                let _ = h.stream().set_linger(Some(Duration::ZERO));
            });
            w.abort();
            return true;
        }
        "/huge-headers" => {
            send(b"HTTP/1.1 200 OK\r\n");
            for i in 0..20_000 {
                send(format!("X-Filler-{i}: {}\r\n", "v".repeat(40)).as_bytes());
                if i % 500 == 0 && w.drain().await.is_err() {
                    return false;
                }
            }
            send(b"Content-Length: 0\r\n\r\n");
        }
        "/bad-gzip" => send(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n\r\nnot gzipped!",
        ),
        "/loop" => send(b"HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n"),
        "/close-next" => {
            // Answer, keep the connection, then close it when the next request arrives
            // (a keep-alive timeout racing the client's reuse).
            send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            return true;
        }
        _ => send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    }
    true
}

async fn broken() -> String {
    let server = start_server(
        |mut r, w| async move {
            let mut close_next = false;
            while let Some(path) = read_head(&mut r).await {
                if close_next {
                    w.abort();
                    break;
                }
                if !misbehave(&path, &w).await {
                    break;
                }
                if path == "/close-next" {
                    close_next = true;
                    continue;
                }
                if path != "/ok" {
                    let _ = w.drain().await;
                    w.close();
                    break;
                }
            }
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    std::mem::forget(server);
    base
}

fn session() -> ClientSession {
    ClientSession::with_config(SessionConfig {
        timeout: ClientTimeout {
            total: Some(Duration::from_secs(5)),
            sock_read: Some(Duration::from_millis(500)),
            ..ClientTimeout::none()
        },
        max_body: Some(1 << 20),
        ..SessionConfig::default()
    })
}

async fn fetch(s: &ClientSession, url: &str) -> Result<bytes::Bytes, Error> {
    s.get(url).send().await?.bytes().await
}

#[asyncio::test]
async fn every_misbehaviour_is_a_clear_error_and_the_session_goes_on() {
    let base = broken().await;
    let s = session();
    let cases: [(&str, &str); 8] = [
        ("/garbage", "protocol"),
        ("/truncated", "protocol"),
        ("/endless", "body_too_large"),
        ("/trickle", "timeout"),
        ("/reset", "protocol"),
        ("/huge-headers", "protocol"),
        ("/bad-gzip", "decode"),
        ("/loop", "too_many_redirects"),
    ];
    for (path, kind) in cases {
        let url = format!("{base}{path}");
        let e = fetch(&s, &url).await.unwrap_err();
        assert_eq!(e.kind(), kind, "{path}: {e}");
        assert!(e.url().starts_with(&base), "{path}: {e}");
        // The session still works.
        assert_eq!(fetch(&s, &format!("{base}/ok")).await.unwrap(), "ok");
    }
    let e = fetch(&s, &format!("{base}/trickle")).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Timeout {
                kind: TimeoutKind::SockRead,
                ..
            }
        ),
        "{e}"
    );
}

#[asyncio::test]
async fn a_content_length_shorter_than_the_body_gives_the_declared_bytes() {
    let base = broken().await;
    let s = session();
    assert_eq!(fetch(&s, &format!("{base}/short")).await.unwrap(), "hello");
    // The garbage after it never becomes a response: the next request works.
    assert_eq!(fetch(&s, &format!("{base}/ok")).await.unwrap(), "ok");
}

#[asyncio::test]
async fn an_idle_connection_the_server_closed_is_retried_once() {
    let base = broken().await;
    let s = session();
    // The server answers, keeps the connection, and drops it when the next request comes.
    assert_eq!(
        fetch(&s, &format!("{base}/close-next")).await.unwrap(),
        "ok"
    );
    assert_eq!(s.idle_connections(), 1);
    // The reused connection dies under the GET: it is retried on a new one, transparently.
    assert_eq!(fetch(&s, &format!("{base}/ok")).await.unwrap(), "ok");
    // A POST is not idempotent: the same situation is an error, not a retry.
    assert_eq!(
        fetch(&s, &format!("{base}/close-next")).await.unwrap(),
        "ok"
    );
    let e = s
        .post(format!("{base}/ok"))
        .body("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "protocol", "{e}");
}
