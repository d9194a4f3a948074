//! Opening a tunnel through a proxy on an already connected stream: HTTP `CONNECT` and the
//! SOCKS5 handshake (RFC 1928, with RFC 1929's user/password).
//!
//! Written here rather than taken from hyper-util's `Tunnel` and `SocksV5` connectors: those
//! are tower services that require `Send` connectors and `Send` streams, and a loop's streams
//! are not `Send` (they belong to the loop's thread). The exchanges themselves are a few
//! dozen lines each.

use std::net::IpAddr;

use futures_io::{AsyncRead, AsyncWrite};

use super::proxy::{ProxyScheme, Via};
use crate::error::{Error, Result};

/// The largest `CONNECT` answer read (status line and headers).
const MAX_CONNECT_RESPONSE: usize = 16 * 1024;

/// Sends `CONNECT host:port` and reads the proxy's answer: `Ok` on a 2xx.
///
/// # Errors
/// [`Error::Proxy`] with the status for any other answer (`407` asks for credentials),
/// without a status for garbage, a reset or a close mid-answer.
pub(crate) async fn connect<S>(
    stream: &mut S,
    via: &Via,
    host: &str,
    port: u16,
    url: &str,
) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(auth) = via.authorization() {
        req.push_str("Proxy-Authorization: ");
        req.push_str(auth.to_str().unwrap_or(""));
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    let fail = |status: Option<http::StatusCode>, reason: String| Error::Proxy {
        url: url.to_owned(),
        status,
        reason,
    };
    write_all(stream, req.as_bytes())
        .await
        .map_err(|e| fail(None, format!("{via}: sending CONNECT: {e}")))?;
    // Read byte by byte up to the blank line: nothing past the answer may be consumed, since
    // what follows belongs to the tunnelled protocol.
    let mut head = Vec::with_capacity(256);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_CONNECT_RESPONSE {
            return Err(fail(
                None,
                format!("{via}: CONNECT answer over {MAX_CONNECT_RESPONSE} bytes"),
            ));
        }
        let mut b = [0u8; 1];
        match read(stream, &mut b).await {
            Ok(0) => {
                return Err(fail(
                    None,
                    format!("{via}: closed the connection during CONNECT"),
                ))
            }
            Ok(_) => head.push(b[0]),
            Err(e) => return Err(fail(None, format!("{via}: during CONNECT: {e}"))),
        }
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let line = String::from_utf8_lossy(line);
    let mut words = line.trim_end().splitn(3, ' ');
    let (version, code) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let status = code
        .parse::<u16>()
        .ok()
        .and_then(|c| http::StatusCode::from_u16(c).ok())
        .filter(|_| version.starts_with("HTTP/1."));
    match status {
        Some(s) if s.is_success() => Ok(()),
        Some(s) => Err(fail(
            Some(s),
            format!(
                "{via} answered CONNECT {authority} with {}",
                line.trim_end()
            ),
        )),
        None => Err(fail(
            None,
            format!(
                "{via}: not an HTTP answer to CONNECT: {:?}",
                truncate(&line, 80)
            ),
        )),
    }
}

/// The SOCKS5 handshake: method negotiation, user/password if the proxy asks, then
/// `CONNECT` to the target — by name for `socks5h`, by address (resolved by the caller) for
/// `socks5`.
///
/// # Errors
/// [`Error::Proxy`] naming what the server got wrong: another version, no acceptable method,
/// refused credentials, a failure code, an unknown address type, or a close mid-exchange.
pub(crate) async fn socks5<S>(
    stream: &mut S,
    via: &Via,
    target: Target<'_>,
    port: u16,
    url: &str,
) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let fail = |reason: String| Error::Proxy {
        url: url.to_owned(),
        status: None,
        reason: format!("SOCKS5 {via}: {reason}"),
    };
    let io = |e: std::io::Error| fail(format!("{e}"));
    let greeting: &[u8] = if via.auth.is_some() {
        &[5, 2, 0, 2]
    } else {
        &[5, 1, 0]
    };
    write_all(stream, greeting).await.map_err(io)?;
    let mut reply = [0u8; 2];
    read_exact(stream, &mut reply).await.map_err(io)?;
    if reply[0] != 5 {
        return Err(fail(format!("replied with version {} (not 5)", reply[0])));
    }
    match (reply[1], &via.auth) {
        (0, _) => {}
        (2, Some((user, pass))) => {
            if user.len() > 255 || pass.len() > 255 {
                return Err(fail("user name or password over 255 bytes".into()));
            }
            let mut msg = vec![1, user.len() as u8];
            msg.extend_from_slice(user.as_bytes());
            msg.push(pass.len() as u8);
            msg.extend_from_slice(pass.as_bytes());
            write_all(stream, &msg).await.map_err(io)?;
            let mut status = [0u8; 2];
            read_exact(stream, &mut status).await.map_err(io)?;
            if status[1] != 0 {
                return Err(fail("the user name or password was refused".into()));
            }
        }
        (0xff, _) => {
            return Err(fail(
                "no acceptable authentication method (credentials needed?)".into(),
            ))
        }
        (m, _) => return Err(fail(format!("chose method {m}, which was not offered"))),
    }
    let mut req = vec![5, 1, 0];
    match target {
        Target::Ip(IpAddr::V4(a)) => {
            req.push(1);
            req.extend_from_slice(&a.octets());
        }
        Target::Ip(IpAddr::V6(a)) => {
            req.push(4);
            req.extend_from_slice(&a.octets());
        }
        Target::Name(name) => {
            if name.len() > 255 {
                return Err(fail("host name over 255 bytes".into()));
            }
            req.push(3);
            req.push(name.len() as u8);
            req.extend_from_slice(name.as_bytes());
        }
    }
    req.extend_from_slice(&port.to_be_bytes());
    write_all(stream, &req).await.map_err(io)?;
    let mut head = [0u8; 4];
    read_exact(stream, &mut head).await.map_err(io)?;
    if head[0] != 5 {
        return Err(fail(format!("replied with version {} (not 5)", head[0])));
    }
    if head[1] != 0 {
        return Err(fail(reply_text(head[1]).into()));
    }
    let rest = match head[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => {
            let mut len = [0u8; 1];
            read_exact(stream, &mut len).await.map_err(io)?;
            usize::from(len[0]) + 2
        }
        t => return Err(fail(format!("replied with unknown address type {t}"))),
    };
    let mut bound = vec![0u8; rest];
    read_exact(stream, &mut bound).await.map_err(io)?;
    Ok(())
}

/// What a SOCKS5 `CONNECT` names.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

impl<'a> Target<'a> {
    /// The target for `host` through `via`: a name for `socks5h`, else an address (`None`:
    /// the caller must resolve `host` first).
    pub(crate) fn for_host(host: &'a str, via: &Via) -> Option<Self> {
        match host.parse::<IpAddr>() {
            Ok(ip) => Some(Target::Ip(ip)),
            Err(_) if via.scheme == ProxyScheme::Socks5h => Some(Target::Name(host)),
            Err(_) => None,
        }
    }
}

fn reply_text(code: u8) -> &'static str {
    match code {
        1 => "general failure",
        2 => "connection not allowed by the ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused by the target",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unknown failure code",
    }
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

async fn read<S: AsyncRead + Unpin>(s: &mut S, buf: &mut [u8]) -> std::io::Result<usize> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *s).poll_read(cx, buf)).await
}

async fn read_exact<S: AsyncRead + Unpin>(s: &mut S, mut buf: &mut [u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = read(s, buf).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed the connection mid-handshake",
            ));
        }
        buf = &mut buf[n..];
    }
    Ok(())
}

async fn write_all<S: AsyncWrite + Unpin>(s: &mut S, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = std::future::poll_fn(|cx| std::pin::Pin::new(&mut *s).poll_write(cx, buf)).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *s).poll_flush(cx)).await
}
