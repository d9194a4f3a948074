//! The records: a fetch's `request` and `response` (or `revisit`), each its own gzip member.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use sha1::{Digest, Sha1};

/// Payload digests remembered for `revisit` records, at most (then new payloads are archived
/// whole, never wrongly deduplicated).
pub(super) const REMEMBERED: usize = 1 << 20;

/// What one fetch gives the archive.
pub(crate) struct Exchange<'a> {
    pub(crate) url: &'a str,
    pub(crate) ip: Option<std::net::IpAddr>,
    /// The request head as sent, CRLF line ends, ending with an empty line.
    pub(crate) request: String,
    /// The status line and headers, CRLF line ends, ending with an empty line.
    pub(crate) response_head: String,
    /// The body as received (content encoding untouched).
    pub(crate) body: &'a [u8],
}

/// Where and when a payload was first archived.
pub(super) type First = (Box<str>, Box<str>);

/// The payloads archived so far (digest → URL and date), shared by the loops.
#[derive(Default)]
pub(crate) struct Payloads(pub(super) Mutex<HashMap<[u8; 20], First>>);

/// Builds the records of one fetch as gzip members, ready to append.
pub(crate) fn records(x: &Exchange<'_>, payloads: &Payloads) -> Vec<u8> {
    let date = warc_date(SystemTime::now());
    let request_id = record_id();
    let response_id = record_id();
    let payload: [u8; 20] = Sha1::digest(x.body).into();
    let payload_b32 = data_encoding::BASE32.encode(&payload);
    let earlier = if x.body.is_empty() {
        None
    } else {
        let mut seen = payloads.0.lock().unwrap_or_else(|e| e.into_inner());
        match seen.get(&payload) {
            Some(e) => Some(e.clone()),
            None => {
                if seen.len() < REMEMBERED {
                    seen.insert(payload, (x.url.into(), date.as_str().into()));
                }
                None
            }
        }
    };
    let ip =
        x.ip.map(|ip| format!("WARC-IP-Address: {ip}\r\n"))
            .unwrap_or_default();
    let mut out = Vec::with_capacity(x.body.len() / 2 + 1024);
    let mut response_block = Vec::with_capacity(x.response_head.len() + x.body.len());
    response_block.extend_from_slice(x.response_head.as_bytes());
    let kind = match &earlier {
        Some((uri, when)) => format!(
            "WARC-Type: revisit\r\nWARC-Profile: http://netpreserve.org/warc/1.1/revisit/identical-payload-digest\r\nWARC-Refers-To-Target-URI: {uri}\r\nWARC-Refers-To-Date: {when}\r\n"
        ),
        None => {
            response_block.extend_from_slice(x.body);
            "WARC-Type: response\r\n".to_owned()
        }
    };
    let fields = format!(
        "{kind}WARC-Record-ID: {response_id}\r\nWARC-Date: {date}\r\nWARC-Target-URI: {}\r\n{ip}WARC-Concurrent-To: {request_id}\r\nWARC-Payload-Digest: sha1:{payload_b32}\r\nContent-Type: application/http; msgtype=response\r\n",
        x.url
    );
    member(&mut out, &fields, &response_block);
    let fields = format!(
        "WARC-Type: request\r\nWARC-Record-ID: {request_id}\r\nWARC-Date: {date}\r\nWARC-Target-URI: {}\r\n{ip}WARC-Concurrent-To: {response_id}\r\nContent-Type: application/http; msgtype=request\r\n",
        x.url
    );
    member(&mut out, &fields, x.request.as_bytes());
    out
}

/// Appends one record (`fields` without the version line, the digest and the length) as a
/// gzip member.
pub(super) fn member(out: &mut Vec<u8>, fields: &str, block: &[u8]) {
    let digest = data_encoding::BASE32.encode(&Sha1::digest(block));
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    let head = format!(
        "WARC/1.1\r\n{fields}WARC-Block-Digest: sha1:{digest}\r\nContent-Length: {}\r\n\r\n",
        block.len()
    );
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(head.as_bytes());
    let _ = gz.write_all(block);
    let _ = gz.write_all(b"\r\n\r\n");
    let _ = gz.finish();
}

/// A new `<urn:uuid:…>` (version 4 layout; from the time, the process and a counter, hashed:
/// unique without a random source).
pub(super) fn record_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{t}-{}-{n}", std::process::id());
    let a = crate::frontier::fingerprint(&seed);
    let b = crate::frontier::fingerprint(&format!("{seed}-b")) ^ u64::from(std::process::id());
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = data_encoding::HEXLOWER.encode(&bytes);
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// `2026-11-29T18:03:04.123456Z` (WARC 1.1 allows fractions of a second).
pub(crate) fn warc_date(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        d.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        let t = UNIX_EPOCH + std::time::Duration::from_micros(1_795_910_400_123_456);
        assert_eq!(warc_date(t), "2026-11-29T00:00:00.123456Z");
        assert_eq!(warc_date(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400);
        assert_eq!(warc_date(leap), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn record_ids_differ_and_look_like_uuids() {
        let a = record_id();
        let b = record_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), "<urn:uuid:>".len() + 36);
        assert_eq!(&a[24..25], "4");
    }
}
