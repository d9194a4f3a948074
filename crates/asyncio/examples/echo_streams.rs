//! An echo server and client with asyncio's streams (`start_server`, `open_connection`).
//!
//! ```text
//! cargo run --example echo_streams -- server 127.0.0.1:8888
//! cargo run --example echo_streams -- client 127.0.0.1:8888 "hello there"
//! cargo run --example echo_streams            # both, on a free port
//! ```

use asyncio::net::TcpStream;
use asyncio::streams::{open_connection, start_server, Reader, Writer};

/// Echoes each line back until the client closes.
async fn handle(mut reader: Reader<TcpStream>, writer: Writer<TcpStream>) {
    let peer = writer.with_inner(|w| w.stream().peer_addr().ok()).flatten();
    while let Ok(line) = reader.readline().await {
        if line.is_empty() {
            break;
        }
        if writer.write(&line).is_err() || writer.drain().await.is_err() {
            break;
        }
    }
    eprintln!("closed {peer:?}");
    writer.close();
}

async fn client(addr: &str, messages: &[&str]) -> std::io::Result<()> {
    let (mut reader, writer) = open_connection(addr).await?;
    for m in messages {
        writer.write(format!("{m}\n").as_bytes())?;
        writer.drain().await?;
        let reply = reader.readline().await?;
        println!("Received: {}", String::from_utf8_lossy(&reply).trim_end());
    }
    writer.close();
    writer.wait_closed().await
}

#[asyncio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("server") => {
            let addr = args.get(1).map_or("127.0.0.1:8888", String::as_str);
            let server = start_server(handle, addr).await?;
            println!("Serving on {:?}", server.addrs());
            server.serve_forever().await;
        }
        Some("client") => {
            let addr = args.get(1).map_or("127.0.0.1:8888", String::as_str);
            let messages: Vec<&str> = args[2..].iter().map(String::as_str).collect();
            client(addr, &messages).await?;
        }
        _ => {
            let server = start_server(handle, "127.0.0.1:0").await?;
            let addr = server.local_addr()?.to_string();
            client(&addr, &["Hello World!", "and again"]).await?;
            server.shutdown(std::time::Duration::from_secs(1)).await;
            println!("Server closed");
        }
    }
    Ok(())
}
