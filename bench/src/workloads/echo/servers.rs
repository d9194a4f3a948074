//! The echo servers, one per runtime, each written the way its runtime's docs show: read what
//! arrived, write it back.

use std::net::TcpListener as StdListener;

/// The streams echo handler: read what arrived, write it back, drain.
pub(crate) async fn echo_streams<S>(
    mut r: asyncio::streams::Reader<S>,
    w: asyncio::streams::Writer<S>,
) where
    S: 'static,
    for<'a> &'a S: futures_io::AsyncRead + futures_io::AsyncWrite,
{
    loop {
        match r.read(64 * 1024).await {
            Ok(data) if !data.is_empty() => {
                if w.write(&data).is_err() || w.drain().await.is_err() {
                    break;
                }
            }
            _ => break,
        }
    }
}

/// Serves on `listener` until killed, with asyncio-rs streams
/// (`data = await reader.read(64 KiB); writer.write(data); await writer.drain()`).
pub(crate) fn asyncio_streams(listener: StdListener) {
    asyncio::run(async move {
        let listener = asyncio::net::TcpListener::from_std(listener).unwrap();
        let server = asyncio::streams::Server::serve(vec![listener], echo_streams).unwrap();
        server.serve_forever().await;
    });
}

struct Echo(Option<asyncio::transport::Transport>);

impl asyncio::transport::Protocol for Echo {
    fn connection_made(&mut self, t: &asyncio::transport::Transport) {
        self.0 = Some(t.clone());
    }
    fn data_received(&mut self, data: &[u8]) {
        if let Some(t) = &self.0 {
            t.write(data);
        }
    }
}

/// Serves with an asyncio-rs protocol (`data_received` → `transport.write`).
pub(crate) fn asyncio_protocol(listener: StdListener) {
    asyncio::run(async move {
        let listener = asyncio::net::TcpListener::from_std(listener).unwrap();
        let server = asyncio::transport::serve_protocol(vec![listener], || Echo(None)).unwrap();
        server.serve_forever().await;
    });
}

/// Serves with tokio on its current-thread runtime.
pub(crate) fn tokio_ct(listener: StdListener) {
    super::super::rt::tokio_ct().block_on(async move {
        listener.set_nonblocking(true).unwrap();
        tokio_accept_echo(tokio::net::TcpListener::from_std(listener).unwrap()).await;
    });
}

/// tokio's accept loop: a task per connection that writes back what it reads (64 KiB reads).
pub(crate) async fn tokio_accept_echo(listener: tokio::net::TcpListener) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        let (mut s, _) = listener.accept().await.expect("accept");
        s.set_nodelay(true).expect("nodelay");
        tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }
            }
        });
    }
}
