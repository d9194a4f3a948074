//! The main future of `run_until_complete`: polled in place (it may borrow from the caller's
//! stack), woken through the ready queue like a task so it keeps its FIFO place.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Wake;
use std::task::{Context, Waker};

use super::core::Ready;
use crate::runtime::task::raw::SharedRc;

pub(crate) struct MainWake {
    shared: SharedRc,
    generation: u64,
    /// A remote entry is queued (the local flag is `Core::main_notified`).
    remote_notified: AtomicBool,
}

impl Wake for MainWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let generation = self.generation;
        let local = super::context::with_local_core(&self.shared, |core| {
            if core.main_generation.get() == generation && !core.main_notified.replace(true) {
                core.push_ready(Ready::Main(generation));
            }
        });
        if !local && !self.remote_notified.swap(true, Ordering::AcqRel) {
            self.shared.push_remote_main(generation);
        }
    }
}

pub(crate) struct MainSlot<'a> {
    future: Pin<&'a mut dyn Future<Output = ()>>,
    wake: Arc<MainWake>,
    waker: Waker,
    pub(crate) done: bool,
}

impl<'a> MainSlot<'a> {
    /// A slot for `future`; the caller queues its first `Ready::Main(generation)`.
    pub(crate) fn new(
        future: Pin<&'a mut dyn Future<Output = ()>>,
        shared: SharedRc,
        generation: u64,
    ) -> Self {
        let wake = Arc::new(MainWake {
            shared,
            generation,
            remote_notified: AtomicBool::new(false),
        });
        let waker = Waker::from(wake.clone());
        Self {
            future,
            wake,
            waker,
            done: false,
        }
    }

    pub(crate) fn poll(&mut self) {
        if self.done {
            return;
        }
        self.wake.remote_notified.store(false, Ordering::Release);
        let mut cx = Context::from_waker(&self.waker);
        if self.future.as_mut().poll(&mut cx).is_ready() {
            self.done = true;
        }
    }
}
