//! [`PinnedSlice`]: futures kept side by side in one heap slice and polled in place, so
//! gathering many futures costs one allocation, not one per future.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;

use super::MaybeDone;

/// A boxed slice of [`MaybeDone`] futures. The slice never grows, shrinks or moves its
/// elements, so each element stays pinned where it was put.
pub(crate) struct PinnedSlice<F: Future> {
    items: Pin<Box<[MaybeDone<F>]>>,
}

impl<F: Future> PinnedSlice<F> {
    pub(crate) fn new(futures: impl IntoIterator<Item = F>) -> Self {
        let items: Box<[MaybeDone<F>]> = futures.into_iter().map(MaybeDone::new).collect();
        Self {
            items: Box::into_pin(items),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    fn elements(&mut self) -> impl Iterator<Item = Pin<&mut MaybeDone<F>>> {
        // SAFETY: the slice is pinned and we never move an element out of it: each element is
        // only reached through a `Pin<&mut _>` (structural pinning of the slice's elements).
        let slice = unsafe { self.items.as_mut().get_unchecked_mut() };
        // SAFETY: as above: every element stays where it is for as long as the slice lives.
        slice.iter_mut().map(|e| unsafe { Pin::new_unchecked(e) })
    }

    /// Polls every future not done yet; returns whether all are done.
    pub(crate) fn poll_all(&mut self, cx: &mut Context<'_>) -> bool {
        let mut all = true;
        for e in self.elements() {
            all &= e.poll_done(cx);
        }
        all
    }

    /// Takes every output, in order.
    ///
    /// # Panics
    /// If a future has not completed.
    pub(crate) fn take_outputs(&mut self) -> Vec<F::Output> {
        self.elements().map(|e| e.take_output()).collect()
    }
}
