//! `--trace FILE`: every request attempt as one JSON line — method, URL (password hidden),
//! attempt, status or error, whether the connection was pooled, and the timings of DNS,
//! connect, TLS and first byte — from asyncio-http's `request_done` hook.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use asyncio_http::{RequestRecord, Trace};

/// The trace file, shared by every lane's session (lanes run on several loops).
#[derive(Clone, Debug)]
pub(crate) struct TraceFile(Arc<Mutex<BufWriter<std::fs::File>>>);

impl TraceFile {
    /// Creates (or truncates) `path`.
    ///
    /// # Errors
    /// The file cannot be created.
    pub(crate) fn create(path: &Path) -> std::io::Result<Self> {
        let f = std::fs::File::create(path)?;
        Ok(Self(Arc::new(Mutex::new(BufWriter::new(f)))))
    }

    /// Writes out what is buffered.
    ///
    /// # Errors
    /// Writing the file (a full disk, say).
    pub(crate) fn flush(&self) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).flush()
    }
}

impl Trace for TraceFile {
    fn request_done(&self, record: &RequestRecord) {
        let line = record.to_json().to_string();
        let mut out = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // A failed write shows at the final flush, which the run reports.
        let _ = writeln!(out, "{line}");
    }
}
