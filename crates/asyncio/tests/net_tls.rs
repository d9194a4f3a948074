//! TLS with a certificate generated at test time: verification, names, ALPN, start_tls, and a
//! server that survives bad handshakes.
#![cfg(feature = "tls")]

use std::io::ErrorKind;

use asyncio::net::TcpStream;
use asyncio::streams::{open_connection, start_server};
use asyncio::tls::{self, TlsAcceptor, TlsConnector};

struct Pki {
    cert: String,
    key: String,
}

fn pki() -> Pki {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    Pki {
        cert: ck.cert.pem(),
        key: ck.key_pair.serialize_pem(),
    }
}

fn trusting(p: &Pki, alpn: &[&str]) -> TlsConnector {
    TlsConnector::builder()
        .webpki_roots(false)
        .native_roots(false)
        .add_root_pem(p.cert.as_bytes())
        .unwrap()
        .alpn(alpn)
        .build()
        .unwrap()
}

async fn echo_server(p: &Pki, alpn: &[&[u8]]) -> std::net::SocketAddr {
    let acceptor = TlsAcceptor::from_pem(p.cert.as_bytes(), p.key.as_bytes(), alpn).unwrap();
    let server = tls::start_server(
        |mut r, w| async move {
            while let Ok(line) = r.readline().await {
                if line.is_empty() {
                    break;
                }
                w.write(&line).unwrap();
                w.drain().await.unwrap();
            }
            w.close();
        },
        "127.0.0.1:0",
        acceptor,
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    // Keep serving for the test's lifetime.
    std::mem::forget(server);
    addr
}

#[asyncio::test]
async fn round_trip_with_a_custom_root_and_alpn() {
    let p = pki();
    let addr = echo_server(&p, &[b"h2", b"http/1.1"]).await;
    let connector = trusting(&p, &["h2"]);
    let tcp = TcpStream::connect(addr).await.unwrap();
    let stream = connector.connect("localhost", tcp).await.unwrap();
    assert_eq!(stream.alpn_protocol(), Some(&b"h2"[..]));
    assert!(stream.peer_certificates().is_some());

    let (mut r, w) = tls::open_connection(addr, "localhost", &connector)
        .await
        .unwrap();
    for i in 0..50 {
        let line = format!("line {i}\n");
        w.write(line.as_bytes()).unwrap();
        assert_eq!(r.readline().await.unwrap(), line.as_bytes());
    }
    // A large message crosses many TLS records (below the server's 64 KiB line limit).
    let big = vec![b'x'; 60_000];
    w.write(&big).unwrap();
    w.write(b"\n").unwrap();
    assert_eq!(r.readline().await.unwrap().len(), big.len() + 1);
}

#[asyncio::test]
async fn untrusted_certificate_is_refused_by_default() {
    let p = pki();
    let addr = echo_server(&p, &[]).await;
    let connector = TlsConnector::builder().native_roots(false).build().unwrap();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let err = connector.connect("localhost", tcp).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("\"localhost\""), "{msg}");
    assert!(msg.to_lowercase().contains("certificate"), "{msg}");
}

#[asyncio::test]
async fn a_name_the_certificate_does_not_cover_is_refused() {
    let p = pki();
    let addr = echo_server(&p, &[]).await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let err = trusting(&p, &[])
        .connect("not-localhost.example", tcp)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not-localhost.example"), "{err}");
}

#[asyncio::test]
async fn danger_mode_connects_to_anything() {
    let p = pki();
    let addr = echo_server(&p, &[]).await;
    let connector = TlsConnector::builder()
        .danger_accept_invalid_certs()
        .build()
        .unwrap();
    let (mut r, w) = tls::open_connection(addr, "whatever.invalid", &connector)
        .await
        .unwrap();
    w.write(b"hi\n").unwrap();
    assert_eq!(r.readline().await.unwrap(), b"hi\n");
}

#[asyncio::test]
async fn start_tls_upgrades_an_open_connection() {
    let p = pki();
    let acceptor = TlsAcceptor::from_pem(p.cert.as_bytes(), p.key.as_bytes(), &[]).unwrap();
    let server = start_server(
        move |mut r, w| {
            let acceptor = acceptor.clone();
            async move {
                assert_eq!(r.readline().await.unwrap(), b"STARTTLS\n");
                w.write(b"OK\n").unwrap();
                let (mut r, w) = tls::upgrade_server(r, w, &acceptor).await.unwrap();
                let secret = r.readline().await.unwrap();
                w.write(&secret.to_ascii_uppercase()).unwrap();
                w.drain().await.unwrap();
            }
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let (mut r, w) = open_connection(server.local_addr().unwrap()).await.unwrap();
    w.write(b"STARTTLS\n").unwrap();
    assert_eq!(r.readline().await.unwrap(), b"OK\n");
    let (mut r, w) = tls::upgrade_client(r, w, &trusting(&p, &[]), "localhost")
        .await
        .unwrap();
    w.write(b"secret\n").unwrap();
    assert_eq!(r.readline().await.unwrap(), b"SECRET\n");
}

#[asyncio::test]
async fn server_survives_a_client_that_speaks_no_tls() {
    let p = pki();
    let addr = echo_server(&p, &[]).await;
    let (mut r, w) = open_connection(addr).await.unwrap();
    w.write(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    // The server drops the connection after the failed handshake (maybe with an alert).
    let rest = r.read_to_end().await.unwrap_or_default();
    assert!(rest.len() < 100);
    let (mut r, w) = tls::open_connection(addr, "localhost", &trusting(&p, &[]))
        .await
        .unwrap();
    w.write(b"still serving\n").unwrap();
    assert_eq!(r.readline().await.unwrap(), b"still serving\n");
}

#[test]
fn bad_pem_and_missing_files_are_clear_errors() {
    let e = TlsAcceptor::from_pem(b"not pem", b"not pem", &[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = TlsAcceptor::from_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem", &[])
        .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/cert.pem"), "{e}");
    let e = TlsConnector::builder()
        .webpki_roots(false)
        .native_roots(false)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("no trusted root"), "{e}");
}
