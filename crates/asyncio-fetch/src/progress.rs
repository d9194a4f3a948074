//! Progress: a bar on a terminal, a plain line every few seconds otherwise, nothing with
//! `--quiet`.

use std::cell::Cell;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    done: Cell<u64>,
    total: Option<u64>,
    last_line: Cell<Instant>,
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
                    "{bar:30} {pos}/{len} {per_sec} {msg} [{elapsed_precise}, ETA {eta}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self {
            bar,
            plain: !quiet && !tty,
            done: Cell::new(0),
            total,
            last_line: Cell::new(Instant::now()),
            started: Instant::now(),
        }
    }

    pub(crate) fn tick(&self, errors: u64, in_flight: u64) {
        self.done.set(self.done.get() + 1);
        if let Some(b) = &self.bar {
            b.set_position(self.done.get());
            b.set_message(format!("errors {errors}, in flight {in_flight}"));
        } else if self.plain && self.last_line.get().elapsed() >= Duration::from_secs(2) {
            self.last_line.set(Instant::now());
            let rate = self.done.get() as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            let of = self.total.map(|t| format!("/{t}")).unwrap_or_default();
            eprintln!(
                "progress: {}{of} done, {rate:.0}/s, {errors} errors, {in_flight} in flight",
                self.done.get()
            );
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
