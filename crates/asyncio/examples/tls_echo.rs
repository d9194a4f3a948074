//! A TLS echo server and client. The server's certificate is generated at start (self-signed
//! for `localhost`); the client trusts exactly that certificate and verifies the name.
//!
//! ```text
//! cargo run --example tls_echo
//! ```

use asyncio::tls::{self, TlsAcceptor, TlsConnector};

#[asyncio::main]
async fn main() -> std::io::Result<()> {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .map_err(std::io::Error::other)?;
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.key_pair.serialize_pem());

    let acceptor = TlsAcceptor::from_pem(cert_pem.as_bytes(), key_pem.as_bytes(), &[b"echo/1"])?;
    let server = tls::start_server(
        |mut r, w| async move {
            while let Ok(line) = r.readline().await {
                if line.is_empty() {
                    break;
                }
                let _ = w.write(&line);
            }
            w.close();
        },
        "127.0.0.1:0",
        acceptor,
    )
    .await?;
    let addr = server.local_addr()?;
    println!("TLS echo server on {addr}");

    let connector = TlsConnector::builder()
        .webpki_roots(false)
        .native_roots(false)
        .add_root_pem(cert_pem.as_bytes())?
        .alpn(["echo/1"])
        .build()?;
    let (mut r, w) = tls::open_connection(addr, "localhost", &connector).await?;
    let alpn = r
        .get_ref()
        .stream()
        .with(|s| s.alpn_protocol().map(|p| p.to_vec()));
    println!(
        "Negotiated ALPN: {}",
        String::from_utf8_lossy(&alpn.unwrap_or_default())
    );
    w.write(b"Hello over TLS\n")?;
    let reply = r.readline().await?;
    println!("Received: {}", String::from_utf8_lossy(&reply).trim_end());
    w.close();
    server.shutdown(std::time::Duration::from_secs(1)).await;
    Ok(())
}
