//! Lines out of a byte stream, whatever the bytes: invalid UTF-8 is kept (lossily) for the URL
//! check to report, and a line longer than [`MAX_LINE`] is skipped whole and reported, so one
//! bad line never stops the intake.

use std::collections::VecDeque;

/// The longest line taken as a URL candidate (1 MiB).
pub(crate) const MAX_LINE: usize = 1 << 20;

/// One line of input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// The line's text (without its newline; invalid UTF-8 replaced).
    Text(String),
    /// A line longer than [`MAX_LINE`], skipped.
    TooLong,
}

/// Splits chunks of bytes into [`Line`]s, holding at most [`MAX_LINE`] bytes of a partial line.
#[derive(Debug, Default)]
pub(crate) struct Splitter {
    partial: Vec<u8>,
    /// Inside a line already found too long: its bytes are dropped up to the next newline.
    skipping: bool,
    max: usize,
}

impl Splitter {
    pub(crate) fn new() -> Self {
        Self::with_max(MAX_LINE)
    }

    pub(crate) fn with_max(max: usize) -> Self {
        Self {
            partial: Vec::new(),
            skipping: false,
            max,
        }
    }

    /// Adds `chunk`, appending the lines it completes to `out`.
    pub(crate) fn push(&mut self, mut chunk: &[u8], out: &mut VecDeque<Line>) {
        while !chunk.is_empty() {
            let newline = chunk.iter().position(|&b| b == b'\n');
            let (piece, rest) = match newline {
                Some(i) => (&chunk[..i], Some(&chunk[i + 1..])),
                None => (chunk, None),
            };
            if !self.skipping {
                if self.partial.len() + piece.len() > self.max {
                    self.skipping = true;
                    self.partial.clear();
                    out.push_back(Line::TooLong);
                } else {
                    self.partial.extend_from_slice(piece);
                }
            }
            match rest {
                Some(rest) => {
                    if !self.skipping {
                        out.push_back(self.take_line());
                    }
                    self.skipping = false;
                    chunk = rest;
                }
                None => break,
            }
        }
    }

    /// The end of the input: the last line if it had no newline.
    pub(crate) fn finish(&mut self, out: &mut VecDeque<Line>) {
        if !self.skipping && !self.partial.is_empty() {
            out.push_back(self.take_line());
        }
        self.skipping = false;
    }

    fn take_line(&mut self) -> Line {
        let mut bytes = std::mem::take(&mut self.partial);
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        Line::Text(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(max: usize, chunks: &[&[u8]]) -> Vec<Line> {
        let mut s = Splitter::with_max(max);
        let mut out = VecDeque::new();
        for c in chunks {
            s.push(c, &mut out);
        }
        s.finish(&mut out);
        out.into_iter().collect()
    }

    fn text(s: &str) -> Line {
        Line::Text(s.to_owned())
    }

    #[test]
    fn lines_across_chunks_crlf_and_a_last_line_without_newline() {
        assert_eq!(
            split(100, &[b"ab", b"c\nd\r", b"\n\nlast"]),
            [text("abc"), text("d"), text(""), text("last")]
        );
    }

    #[test]
    fn invalid_utf8_is_kept_for_the_url_check() {
        assert_eq!(
            split(100, &[b"a\n\xff\xfe x\nb\n"]),
            [text("a"), text("\u{fffd}\u{fffd} x"), text("b")]
        );
    }

    #[test]
    fn an_overlong_line_is_skipped_whole_and_the_next_ones_come() {
        assert_eq!(
            split(4, &[b"ok\n123", b"456", b"78\nnext\n"]),
            [text("ok"), Line::TooLong, text("next")]
        );
        assert_eq!(split(4, &[b"123456"]), [Line::TooLong]);
        assert_eq!(split(4, &[b"1234\n"]), [text("1234")]);
    }
}
