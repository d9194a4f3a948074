//! Multipart uploads on the server: the `multer` crate parses the body as it arrives, within
//! [`UploadLimits`].

use http::StatusCode;
use http_body_util::BodyDataStream;

/// A request's multipart fields, read one by one (`multer`'s parser over the request body).
pub type Multipart = multer::Multipart<'static>;

pub use multer::{Error as MultipartError, Field};

/// Size limits of an upload route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadLimits {
    /// The whole body, in bytes (default 100 MiB).
    pub body: u64,
    /// One field, in bytes (default 100 MiB).
    pub field: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            body: 100 << 20,
            field: 100 << 20,
        }
    }
}

/// The parser for a request with `headers` and `body`, or why it is not a multipart request.
pub(crate) fn open(
    headers: &http::HeaderMap,
    body: hyper::body::Incoming,
    limits: &UploadLimits,
) -> Result<Multipart, String> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or("no Content-Type: expected multipart/form-data")?;
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| format!("not a multipart/form-data body with a boundary: {e}"))?;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(limits.body)
            .per_field(limits.field),
    );
    Ok(multer::Multipart::with_constraints(
        BodyDataStream::new(body),
        boundary,
        constraints,
    ))
}

/// The status that answers a multipart failure: `413` for a body or field over the limit,
/// `400` for a malformed body (a wrong boundary, a truncated part, bad headers).
pub fn multipart_status(e: &MultipartError) -> StatusCode {
    match e {
        MultipartError::FieldSizeExceeded { .. } | MultipartError::StreamSizeExceeded { .. } => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        _ => StatusCode::BAD_REQUEST,
    }
}
