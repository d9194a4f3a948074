//! `--warc FILE.warc.gz`: WARC/1.1 archives of what was fetched, as archivists' tools read
//! them (warcio, pywb, the Wayback Machine).
//!
//! - Each file starts with a `warcinfo` record; each fetch adds a `request` and a `response`
//!   record (or a `revisit` when the payload is one archived before: same SHA-1), linked by
//!   `WARC-Concurrent-To`. Each record is its own gzip member, so a reader can seek to any
//!   record and a torn tail costs only the record it cut.
//! - `WARC-Block-Digest` and `WARC-Payload-Digest` are SHA-1 in base32, as wget and Heritrix
//!   write them. The payload is the body with its content encoding untouched (a gzip page
//!   stays gzip).
//! - Transfer framing: the client removes chunked framing while reading (hyper does), so the
//!   body is stored de-chunked and the response's `Transfer-Encoding` header is stored as
//!   `X-Crawler-Transfer-Encoding` (as StormCrawler does), so that readers do not try to
//!   de-chunk it again; nothing else in the headers is changed. Header names are stored as the
//!   client saw them: lower case (hyper lower-cases them; HTTP/2 sends them so), in the order
//!   received, with the server's own reason phrase. The request record is the request the
//!   client sent, rebuilt from the same settings (method, target, `Host`, the session's
//!   headers).
//! - Records are built (and compressed) on the loop that fetched; loop 0 appends them to the
//!   file before the page's JSON line, and files roll over at `--warc-max-size`
//!   (`NAME-00000.warc.gz`, `NAME-00001.warc.gz`, … as wget names them).
//! - `--resume` cuts a torn last record off the newest file and appends after it, and reads
//!   the payload digests of the responses already archived back (every file of the set), so a
//!   payload archived before the interruption is a `revisit` after it too.

mod files;
mod records;

pub(crate) use files::{archived_payloads, Writer};
pub(crate) use records::{records, Exchange, Payloads};
