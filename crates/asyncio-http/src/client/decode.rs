//! Content decoding (gzip, deflate, brotli, zstd), incremental: compressed chunks go in,
//! plain bytes come out, so a large body is never held compressed and plain at once.

use std::io::Write;

/// A push decoder for one `Content-Encoding`.
pub(crate) enum Decoder {
    Identity,
    Gzip(Box<flate2::write::GzDecoder<Vec<u8>>>),
    Deflate(Box<flate2::write::ZlibDecoder<Vec<u8>>>),
    Brotli(Box<brotli::DecompressorWriter<Vec<u8>>>),
    Zstd(Box<zstd::stream::write::Decoder<'static, Vec<u8>>>),
}

/// The `Accept-Encoding` sent by default.
pub(crate) const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

impl Decoder {
    /// The decoder for a `Content-Encoding` value; `None` for one not supported.
    pub(crate) fn for_encoding(encoding: Option<&str>) -> Option<Decoder> {
        let e = encoding.map(|e| e.trim().to_ascii_lowercase());
        Some(match e.as_deref() {
            None | Some("") | Some("identity") => Decoder::Identity,
            Some("gzip") | Some("x-gzip") => {
                Decoder::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new())))
            }
            Some("deflate") => {
                Decoder::Deflate(Box::new(flate2::write::ZlibDecoder::new(Vec::new())))
            }
            Some("br") => {
                Decoder::Brotli(Box::new(brotli::DecompressorWriter::new(Vec::new(), 4096)))
            }
            Some("zstd") => Decoder::Zstd(Box::new(
                zstd::stream::write::Decoder::new(Vec::new()).ok()?,
            )),
            Some(_) => return None,
        })
    }

    /// Feeds a compressed chunk; returns the plain bytes it produced.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Decoder::Identity => Ok(chunk.to_vec()),
            Decoder::Gzip(d) => {
                d.write_all(chunk)?;
                Ok(std::mem::take(d.get_mut()))
            }
            Decoder::Deflate(d) => {
                d.write_all(chunk)?;
                Ok(std::mem::take(d.get_mut()))
            }
            Decoder::Brotli(d) => {
                d.write_all(chunk)?;
                Ok(std::mem::take(d.get_mut()))
            }
            Decoder::Zstd(d) => {
                d.write_all(chunk)?;
                d.flush()?;
                Ok(std::mem::take(d.get_mut()))
            }
        }
    }

    /// Ends the stream; returns the last plain bytes, or an error for a truncated stream.
    pub(crate) fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Decoder::Identity => Ok(Vec::new()),
            Decoder::Gzip(d) => d.finish(),
            Decoder::Deflate(d) => d.finish(),
            Decoder::Brotli(d) => d.into_inner().map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "truncated brotli stream")
            }),
            Decoder::Zstd(mut d) => {
                d.flush()?;
                Ok(std::mem::take(d.get_mut()))
            }
        }
    }
}

/// Decodes a whole body sent with `Content-Encoding: encoding` (gzip, deflate, br, zstd or
/// identity), for callers that keep the body as received (`auto_decompress: false`) and also
/// need it plain. At most `limit` plain bytes are produced: a longer result is cut there.
///
/// # Errors
/// An encoding that is not supported, or a corrupt or truncated stream.
///
/// ```
/// use std::io::Write;
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
/// gz.write_all(b"hello").unwrap();
/// let raw = gz.finish().unwrap();
/// let plain = asyncio_http::client::decompress(Some("gzip"), &raw, 1 << 20).unwrap();
/// assert_eq!(plain, b"hello");
/// ```
pub fn decompress(encoding: Option<&str>, body: &[u8], limit: usize) -> std::io::Result<Vec<u8>> {
    let Some(mut d) = Decoder::for_encoding(encoding) else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!("unsupported content encoding {encoding:?}"),
        ));
    };
    if matches!(d, Decoder::Identity) {
        return Ok(body[..body.len().min(limit)].to_vec());
    }
    let mut out = Vec::new();
    // In slices, so a bomb stops near the limit instead of after inflating whole.
    for part in body.chunks(16 * 1024) {
        out.extend(d.push(part)?);
        if out.len() >= limit {
            out.truncate(limit);
            return Ok(out);
        }
    }
    out.extend(d.finish()?);
    out.truncate(limit);
    Ok(out)
}
