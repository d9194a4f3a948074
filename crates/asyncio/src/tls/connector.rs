//! [`TlsConnector`]: the client side — certificate verification on by default, SNI, ALPN.

use std::io;
use std::sync::Arc;

use futures_io::{AsyncRead, AsyncWrite};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::RootCertStore;

use super::TlsStream;

/// Makes client TLS connections. Verifies the server's certificate and name against the
/// webpki roots plus the system's store by default. Cheap to clone (the configuration is
/// shared).
///
/// ```no_run
/// asyncio::run(async {
///     let tcp = asyncio::net::TcpStream::connect(("example.com", 443)).await.unwrap();
///     let tls = asyncio::tls::TlsConnector::new().unwrap();
///     let stream = tls.connect("example.com", tcp).await.unwrap();
/// });
/// ```
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnector")
            .field("alpn", &self.config.alpn_protocols)
            .finish()
    }
}

impl TlsConnector {
    /// Verification against the webpki roots and the system's store; no ALPN.
    ///
    /// # Errors
    /// When no root certificate could be loaded at all.
    pub fn new() -> io::Result<Self> {
        Self::builder().build()
    }

    /// A builder for custom roots, ALPN, or turning verification off (dangerous).
    pub fn builder() -> TlsConnectorBuilder {
        TlsConnectorBuilder {
            roots: RootCertStore::empty(),
            webpki: true,
            native: true,
            alpn: Vec::new(),
            danger_no_verify: false,
        }
    }

    /// Wraps a ready rustls configuration.
    pub fn from_config(config: Arc<rustls::ClientConfig>) -> Self {
        Self { config }
    }

    /// The rustls configuration.
    pub fn config(&self) -> &Arc<rustls::ClientConfig> {
        &self.config
    }

    /// Runs the handshake over `stream` for `server_name` (sent as SNI and verified against
    /// the certificate).
    ///
    /// # Errors
    /// An invalid name; the handshake's error (an untrusted or mismatched certificate among
    /// them), naming the server.
    ///
    /// # Cancel safety
    /// Dropping the future drops the half-done connection.
    pub async fn connect<S>(&self, server_name: &str, stream: S) -> io::Result<TlsStream<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let name = ServerName::try_from(server_name.to_owned()).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid TLS server name {server_name:?}: {e}"),
            )
        })?;
        let connector = futures_rustls::TlsConnector::from(self.config.clone());
        let stream = connector.connect(name, stream).await.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("TLS handshake with {server_name:?} failed: {e}"),
            )
        })?;
        Ok(TlsStream {
            inner: stream.into(),
        })
    }
}

/// Configures a [`TlsConnector`].
#[derive(Debug)]
pub struct TlsConnectorBuilder {
    roots: RootCertStore,
    webpki: bool,
    native: bool,
    alpn: Vec<Vec<u8>>,
    danger_no_verify: bool,
}

impl TlsConnectorBuilder {
    /// Trusts the certificates in `pem` (one or more).
    ///
    /// # Errors
    /// When the PEM holds no valid certificate.
    pub fn add_root_pem(mut self, pem: &[u8]) -> io::Result<Self> {
        let certs = super::certs_from_pem(pem)?;
        for c in certs {
            self.roots.add(c).map_err(invalid)?;
        }
        Ok(self)
    }

    /// Trusts one DER certificate.
    ///
    /// # Errors
    /// When it does not parse.
    pub fn add_root_der(mut self, der: CertificateDer<'static>) -> io::Result<Self> {
        self.roots.add(der).map_err(invalid)?;
        Ok(self)
    }

    /// Whether to trust the bundled webpki (Mozilla) roots (default: yes).
    pub fn webpki_roots(mut self, on: bool) -> Self {
        self.webpki = on;
        self
    }

    /// Whether to trust the system's certificate store (default: yes, where present).
    pub fn native_roots(mut self, on: bool) -> Self {
        self.native = on;
        self
    }

    /// The protocols offered through ALPN, preferred first (`["h2", "http/1.1"]`).
    pub fn alpn<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        self.alpn = protocols.into_iter().map(|p| p.as_ref().to_vec()).collect();
        self
    }

    /// Accepts any certificate for any name. Dangerous: anyone on the path can read and change
    /// the traffic. For tests against throw-away servers only.
    pub fn danger_accept_invalid_certs(mut self) -> Self {
        self.danger_no_verify = true;
        self
    }

    /// Builds the connector.
    ///
    /// # Errors
    /// When verification is on and no root certificate is trusted.
    pub fn build(mut self) -> io::Result<TlsConnector> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(invalid)?;
        let mut config = if self.danger_no_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(super::danger::NoVerify(provider)))
                .with_no_client_auth()
        } else {
            if self.webpki {
                self.roots
                    .extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            if self.native {
                // A missing or partly unreadable system store is not an error: the other roots
                // may suffice.
                let found = rustls_native_certs::load_native_certs();
                for cert in found.certs {
                    let _ = self.roots.add(cert);
                }
            }
            if self.roots.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "no trusted root certificates: add some, or enable the webpki or system roots",
                ));
            }
            builder
                .with_root_certificates(self.roots)
                .with_no_client_auth()
        };
        config.alpn_protocols = self.alpn;
        Ok(TlsConnector {
            config: Arc::new(config),
        })
    }
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}
