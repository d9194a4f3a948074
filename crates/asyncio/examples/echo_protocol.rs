//! The echo server and client with transports and protocols (asyncio's `create_server`,
//! `create_connection`), the callback style uvloop made fast.
//!
//! ```text
//! cargo run --example echo_protocol -- server 127.0.0.1:8888
//! cargo run --example echo_protocol            # server and client, on a free port
//! ```

use std::io;

use asyncio::sync::Event;
use asyncio::transport::{create_connection, create_server, Protocol, Transport};

/// Writes back whatever arrives.
struct EchoServer {
    transport: Option<Transport>,
}

impl Protocol for EchoServer {
    fn connection_made(&mut self, transport: &Transport) {
        eprintln!("Connection from {:?}", transport.peer_addr());
        self.transport = Some(transport.clone());
    }

    fn data_received(&mut self, data: &[u8]) {
        if let Some(t) = &self.transport {
            t.write(data);
        }
    }

    fn connection_lost(&mut self, error: Option<io::Error>) {
        eprintln!("Connection lost: {error:?}");
    }
}

/// Sends one message, prints the echo, closes.
struct EchoClient {
    message: &'static str,
    received: Vec<u8>,
    done: Event,
}

impl Protocol for EchoClient {
    fn connection_made(&mut self, transport: &Transport) {
        transport.write(self.message.as_bytes());
        println!("Data sent: {}", self.message);
    }

    fn data_received(&mut self, data: &[u8]) {
        self.received.extend_from_slice(data);
        if self.received.len() == self.message.len() {
            println!("Data received: {}", String::from_utf8_lossy(&self.received));
            self.done.set();
        }
    }

    fn connection_lost(&mut self, _error: Option<io::Error>) {
        println!("The server closed the connection");
        self.done.set();
    }
}

#[asyncio::main]
async fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("server") {
        let addr = args.get(1).map_or("127.0.0.1:8888", String::as_str);
        let server = create_server(|| EchoServer { transport: None }, addr).await?;
        println!("Serving on {:?}", server.addrs());
        server.serve_forever().await;
        return Ok(());
    }
    let server = create_server(|| EchoServer { transport: None }, "127.0.0.1:0").await?;
    let done = Event::new();
    let (transport, _client) = create_connection(
        || EchoClient {
            message: "Hello World!",
            received: Vec::new(),
            done: done.clone(),
        },
        server.local_addr()?,
    )
    .await?;
    done.wait().await;
    transport.close();
    server.shutdown(std::time::Duration::from_secs(1)).await;
    Ok(())
}
