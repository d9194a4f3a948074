//! [`TlsAcceptor`]: the server side, from PEM certificate and key.

use std::io;
use std::path::Path;
use std::sync::Arc;

use futures_io::{AsyncRead, AsyncWrite};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;

use super::TlsStream;

/// Accepts TLS connections with one certificate chain. Cheap to clone.
#[derive(Clone)]
pub struct TlsAcceptor {
    config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsAcceptor")
            .field("alpn", &self.config.alpn_protocols)
            .finish()
    }
}

impl TlsAcceptor {
    /// From a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or
    /// SEC1), offering `alpn` protocols (empty: no ALPN).
    ///
    /// # Errors
    /// When the PEM holds no certificate or key, or they do not match.
    pub fn from_pem(cert_chain: &[u8], key: &[u8], alpn: &[&[u8]]) -> io::Result<Self> {
        let certs = super::certs_from_pem(cert_chain)?;
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("no private key in PEM: {e}"),
            )
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Self {
            config: Arc::new(config),
        })
    }

    /// [`from_pem`](Self::from_pem) reading two files.
    ///
    /// # Errors
    /// Read errors name the file; then as `from_pem`.
    pub fn from_pem_files(
        cert_chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
        alpn: &[&[u8]],
    ) -> io::Result<Self> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))
        };
        Self::from_pem(&read(cert_chain.as_ref())?, &read(key.as_ref())?, alpn)
    }

    /// Wraps a ready rustls configuration.
    pub fn from_config(config: Arc<rustls::ServerConfig>) -> Self {
        Self { config }
    }

    /// Runs the server handshake over `stream`.
    ///
    /// # Errors
    /// The handshake's error.
    ///
    /// # Cancel safety
    /// Dropping the future abandons the handshake and closes `stream`.
    pub async fn accept<S>(&self, stream: S) -> io::Result<TlsStream<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let acceptor = futures_rustls::TlsAcceptor::from(self.config.clone());
        let stream = acceptor
            .accept(stream)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("TLS handshake failed: {e}")))?;
        Ok(TlsStream {
            inner: stream.into(),
        })
    }
}
