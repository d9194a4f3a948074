//! The input, read as URLs: the one place where a line becomes a URL or a reported, counted
//! skip, whatever the mode.

use crate::input::{parse_line, Input};

/// The input's URLs, with what was skipped and whether reading failed.
pub(crate) struct Intake {
    input: Input,
    /// What the input is, for the error message (`input`, or a crawl's `seeds`).
    what: &'static str,
    /// Lines that were neither a URL nor blank or a comment.
    pub(crate) invalid: u64,
    /// Why the input could not be read to the end (the exit status says so).
    pub(crate) failed: Option<String>,
}

impl Intake {
    pub(crate) fn new(input: Input, what: &'static str) -> Self {
        Self {
            input,
            what,
            invalid: 0,
            failed: None,
        }
    }

    /// The next URL, or `None` at the end (or after a read error, kept in `failed`). Invalid
    /// lines are reported on standard error with their number, counted, and skipped.
    ///
    /// # Cancel safety
    /// Not cancel-safe: a line being read when the future is dropped may be lost.
    pub(crate) async fn next_url(&mut self) -> Option<url::Url> {
        if self.failed.is_some() {
            return None;
        }
        loop {
            match self.input.next().await {
                Ok(Some((n, line))) => match parse_line(&line) {
                    None => {}
                    Some(Err(reason)) => {
                        eprintln!("line {n}: {reason}; skipped");
                        self.invalid += 1;
                    }
                    Some(Ok(url)) => return Some(url),
                },
                Ok(None) => return None,
                Err(e) => {
                    self.failed = Some(format!("reading the {} failed: {e}", self.what));
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intake(lines: &[&str]) -> Intake {
        let lines: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        Intake::new(Input::Generated(Box::new(lines.into_iter()), 0), "input")
    }

    #[test]
    fn urls_come_out_and_bad_lines_are_counted() {
        let mut i = intake(&[
            "http://a.test/",
            "",
            "# a comment",
            "not a url",
            "http://b.test/x",
        ]);
        let urls = asyncio::run(async {
            let mut all = Vec::new();
            while let Some(u) = i.next_url().await {
                all.push(u.to_string());
            }
            all
        });
        assert_eq!(urls, ["http://a.test/", "http://b.test/x"]);
        assert_eq!(i.invalid, 1);
        assert_eq!(i.failed, None);
    }
}
