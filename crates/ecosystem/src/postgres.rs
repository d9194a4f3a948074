//! tokio-postgres on the loop. tokio-postgres's own `connect` (and `CancelToken::cancel_query`)
//! open sockets through tokio's runtime; [`connect`] does that part on the loop and hands the
//! socket to `Config::connect_raw`, which is runtime-free.
//!
//! ```no_run
//! # async fn demo() -> Result<(), asyncio_ecosystem::postgres::Error> {
//! use std::time::Duration;
//! let config: tokio_postgres::Config = "host=127.0.0.1 user=postgres dbname=postgres".parse()?;
//! let (client, canceller) = asyncio_ecosystem::postgres::connect(&config, Duration::from_secs(5)).await?;
//! let rows = client.query("SELECT 1::INT4", &[]).await?;
//! assert_eq!(rows[0].get::<_, i32>(0), 1);
//! // From another task: stop whatever the connection runs now.
//! canceller.cancel().await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use asyncio::net::{TcpStream, UnixStream};
use tokio_postgres::config::Host;
use tokio_postgres::tls::NoTls;
use tokio_postgres::{CancelToken, Client, Config};

/// Why [`connect`] or [`Canceller::cancel`] failed.
#[derive(Debug)]
pub enum Error {
    /// The host did not resolve, or no address accepted the connection (the last error).
    Connect(io::Error),
    /// Connecting and the startup handshake took longer than the timeout.
    Timeout,
    /// The server refused the startup (authentication, unknown database) or a query failed.
    Postgres(tokio_postgres::Error),
    /// The configuration names no host.
    NoHost,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "cannot connect to PostgreSQL: {e}"),
            Self::Timeout => f.write_str("connecting to PostgreSQL timed out"),
            Self::Postgres(e) => write!(f, "PostgreSQL: {e}"),
            Self::NoHost => f.write_str("the PostgreSQL configuration names no host"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Connect(e) => Some(e),
            Self::Postgres(e) => Some(e),
            _ => None,
        }
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Postgres(e)
    }
}

/// Where a connection went: the same place takes its cancel requests.
#[derive(Debug, Clone)]
enum Target {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

/// Cancels the query a connection is running (PostgreSQL's cancel request, sent on a new
/// connection to the same server, as `CancelToken::cancel_query` does through tokio).
/// `Clone`, and usable from any task of the loop.
#[derive(Clone)]
pub struct Canceller {
    token: CancelToken,
    target: Target,
    timeout: Duration,
}

impl fmt::Debug for Canceller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Canceller")
            .field("target", &self.target)
            .finish()
    }
}

impl Canceller {
    /// Asks the server to cancel the connection's running query (if any). The query fails
    /// with SQLSTATE 57014 (`query_canceled`).
    ///
    /// # Errors
    /// The cancel connection could not be made or timed out.
    ///
    /// # Cancel safety
    /// Dropped midway, the request may or may not have reached the server.
    pub async fn cancel(&self) -> Result<(), Error> {
        let sent = asyncio::time::timeout(self.timeout, async {
            match &self.target {
                Target::Tcp(addr) => {
                    let s = TcpStream::connect(*addr).await.map_err(Error::Connect)?;
                    self.token.cancel_query_raw(s, NoTls).await?;
                }
                Target::Unix(path) => {
                    let s = UnixStream::connect(path).await.map_err(Error::Connect)?;
                    self.token.cancel_query_raw(s, NoTls).await?;
                }
            }
            Ok(())
        })
        .await;
        sent.unwrap_or(Err(Error::Timeout))
    }
}

/// Connects as `config` says, without TLS: resolves each host (in order, every address of
/// each), connects with `TCP_NODELAY` and keepalive (`config`'s keepalive idle time, 2 hours by
/// default), runs the startup handshake, spawns the connection's driver as a task of the
/// running loop (it ends when the `Client` is dropped; an error there is logged), and returns
/// the client and its [`Canceller`]. `timeout` bounds each attempt: connect plus handshake.
///
/// # Errors
/// [`Error::Connect`] with the last attempt's error, [`Error::Timeout`], or the server's refusal.
///
/// # Cancel safety
/// Cancel-safe: a dropped attempt closes its socket.
pub async fn connect(config: &Config, timeout: Duration) -> Result<(Client, Canceller), Error> {
    let hosts = config.get_hosts();
    if hosts.is_empty() {
        return Err(Error::NoHost);
    }
    let ports = config.get_ports();
    let mut last = Error::NoHost;
    for (i, host) in hosts.iter().enumerate() {
        let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        let targets = match host {
            Host::Tcp(name) => match asyncio::net::lookup_host(name, port).await {
                Ok(addrs) => addrs.into_iter().map(Target::Tcp).collect(),
                Err(e) => {
                    last = Error::Connect(e);
                    continue;
                }
            },
            Host::Unix(dir) => vec![Target::Unix(dir.join(format!(".s.PGSQL.{port}")))],
        };
        for target in targets {
            match asyncio::time::timeout(timeout, attempt(config, &target)).await {
                Ok(Ok((client, token))) => {
                    return Ok((
                        client,
                        Canceller {
                            token,
                            target,
                            timeout,
                        },
                    ))
                }
                Ok(Err(e)) => last = e,
                Err(_) => last = Error::Timeout,
            }
        }
    }
    Err(last)
}

async fn attempt(config: &Config, target: &Target) -> Result<(Client, CancelToken), Error> {
    match target {
        Target::Tcp(addr) => {
            let stream = TcpStream::connect(*addr).await.map_err(Error::Connect)?;
            let _ = stream.set_nodelay(true);
            if config.get_keepalives() {
                let _ = stream.set_keepalive(Some(config.get_keepalives_idle()));
            }
            handshake(config, stream).await
        }
        Target::Unix(path) => {
            let stream = UnixStream::connect(path).await.map_err(Error::Connect)?;
            handshake(config, stream).await
        }
    }
}

/// The stream goes to tokio-postgres as it is: asyncio-rs's sockets implement tokio's I/O traits
/// with a `recv` straight into the read buffer. Wrapped in the generic [`TokioIo`], which must
/// zero-fill it, every read cleared the codec's whole spare capacity: `memset` was 56% of the
/// client's instructions in `pg-select`.
///
/// [`TokioIo`]: asyncio::compat::TokioIo
async fn handshake<S>(config: &Config, stream: S) -> Result<(Client, CancelToken), Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + 'static,
{
    let (client, connection) = config.connect_raw(stream, NoTls).await?;
    asyncio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "PostgreSQL connection ended with an error");
        }
    });
    let token = client.cancel_token();
    Ok((client, token))
}
