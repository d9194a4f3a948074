//! [`MaybeDone`]: a future and then its output, so several can be polled together and their
//! outputs collected at the end (`gather!`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project_lite::pin_project! {
    /// A future that keeps its output once it completes. Used by [`gather!`](crate::gather).
    ///
    /// `Running { future }` holds the future, `Done { output }` its output.
    #[expect(missing_docs, reason = "pin_project_lite takes no attributes on variant fields")]
    #[project = MaybeDoneProj]
    #[project_replace = MaybeDoneReplace]
    #[derive(Debug)]
    pub enum MaybeDone<F: Future> {
        /// Still running.
        Running { #[pin] future: F },
        /// Completed; the output waits to be taken.
        Done { output: F::Output },
        /// The output was taken.
        Gone,
    }
}

impl<F: Future> MaybeDone<F> {
    /// Wraps a future.
    pub fn new(future: F) -> Self {
        MaybeDone::Running { future }
    }

    /// Polls the future if it is still running; returns whether the output is there (or taken).
    pub fn poll_done(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        let output = match self.as_mut().project() {
            MaybeDoneProj::Running { future } => match future.poll(cx) {
                Poll::Ready(output) => output,
                Poll::Pending => return false,
            },
            MaybeDoneProj::Done { .. } | MaybeDoneProj::Gone => return true,
        };
        self.project_replace(MaybeDone::Done { output });
        true
    }

    /// Takes the output.
    ///
    /// # Panics
    /// If the future has not completed or the output was already taken.
    pub fn take_output(self: Pin<&mut Self>) -> F::Output {
        match self.project_replace(MaybeDone::Gone) {
            MaybeDoneReplace::Done { output } => output,
            _ => panic!("MaybeDone::take_output before completion or twice"),
        }
    }
}
