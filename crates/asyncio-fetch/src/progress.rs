//! Progress: a bar on a terminal, a plain line every few seconds otherwise, nothing with
//! `--quiet`.

use std::cell::Cell;
use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    done: Cell<u64>,
    total: Option<u64>,
    started: Instant,
}

impl Progress {
    pub(crate) fn new(quiet: bool, total: Option<u64>) -> Self {
        let tty = std::io::stderr().is_terminal();
        let bar = (!quiet && tty).then(|| {
            let bar = match total {
                Some(n) => ProgressBar::new(n),
                None => ProgressBar::new_spinner(),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} {rate} {msg} [{elapsed_precise}, ETA {eta}]",
                )
                .map(|s| {
                    // A whole number per second (indicatif's own `per_sec` shows decimals).
                    s.with_key(
                        "rate",
                        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = write!(w, "{}/s", thousands(state.per_sec().round() as u64));
                        },
                    )
                })
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self {
            bar,
            plain: !quiet && !tty,
            done: Cell::new(0),
            total,
            started: Instant::now(),
        }
    }

    pub(crate) fn tick(&self, errors: u64, in_flight: u64) {
        self.done.set(self.done.get() + 1);
        if let Some(b) = &self.bar {
            b.set_position(self.done.get());
            b.set_message(format!("errors {errors}, in flight {in_flight}"));
        }
    }

    /// Whether progress goes out as plain lines (see [`line`](Self::line)).
    pub(crate) fn is_plain(&self) -> bool {
        self.plain
    }

    /// One plain progress line (without a terminal the run prints one every 2 s, whether or
    /// not anything finished meanwhile).
    pub(crate) fn line(&self, errors: u64, in_flight: u64) {
        let rate = self.done.get() as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        let of = self.total.map(|t| format!("/{t}")).unwrap_or_default();
        eprintln!(
            "progress: {}{of} done, {}/s, {errors} errors, {in_flight} in flight",
            self.done.get(),
            thousands(rate.round() as u64)
        );
    }

    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `5308` as `5,308`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(5308), "5,308");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
