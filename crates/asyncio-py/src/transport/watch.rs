//! The reactor registration and the two watcher tasks: one waits for the descriptor to be
//! readable and runs a read step, the other for writable and runs a write step, each in the
//! loop's turn as asyncio's `_read_ready`/`_write_ready` handles would run.

use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Context, Poll};

use asyncio::io::Interest;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use super::state::{State, Step};
use super::{os_error, Borrowed};
use crate::py_loop::in_callback;

impl State {
    pub(super) fn ensure_source(&self) -> PyResult<()> {
        if self.source.borrow().is_none() {
            let fd = self
                .lp
                .async_fd(Borrowed(self.fd))
                .map_err(|e| os_error(&e))?;
            *self.source.borrow_mut() = Some(fd);
        }
        Ok(())
    }

    /// Deregisters once neither direction is watched (before the descriptor is closed, and
    /// so that `sock_sendfile` and friends may register it themselves meanwhile).
    pub(super) fn release_source(&self) {
        if !self.reader.active() && !self.writer.active() {
            let source = self.source.borrow_mut().take();
            drop(source);
        }
    }

    pub(super) fn poll_source(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<bool> {
        match self.source.borrow().as_ref() {
            Some(s) => s.poll_ready(cx, interest).map(|()| true),
            None => Poll::Ready(false),
        }
    }

    pub(super) fn clear_source(&self, interest: Interest) {
        if let Some(s) = self.source.borrow().as_ref() {
            s.clear_ready(interest);
        }
    }

    pub(super) fn check_loop(&self) -> PyResult<()> {
        if self.lp.is_closed() {
            return Err(PyRuntimeError::new_err("Event loop is closed"));
        }
        Ok(())
    }

    pub(super) fn start_reader(self: &Rc<Self>) -> PyResult<()> {
        if self.reader.active() {
            return Ok(());
        }
        self.check_loop()?;
        self.ensure_source()?;
        let epoch = self.reader.epoch.get() + 1;
        self.reader.epoch.set(epoch);
        let st = self.clone();
        let task = self.lp.spawn(async move {
            loop {
                let watched = poll_fn(|cx| st.poll_source(cx, Interest::Readable)).await;
                if !watched || st.reader.epoch.get() != epoch {
                    return;
                }
                let drained = in_callback(|py| {
                    st.env
                        .timed(py, || st.step_name(py, "_read_ready"), || st.read_ready(py))
                });
                if st.reader.epoch.get() != epoch {
                    return;
                }
                if drained {
                    st.clear_source(Interest::Readable);
                }
                // One read per iteration, as asyncio's loop does.
                asyncio::time::yield_now().await;
            }
        });
        *self.reader.task.borrow_mut() = Some(task);
        Ok(())
    }

    pub(super) fn stop_reader(&self) -> bool {
        let was = self.reader.stop();
        self.release_source();
        was
    }

    pub(super) fn start_writer(self: &Rc<Self>) -> PyResult<()> {
        if self.writer.active() {
            return Ok(());
        }
        self.check_loop()?;
        self.ensure_source()?;
        let epoch = self.writer.epoch.get() + 1;
        self.writer.epoch.set(epoch);
        let st = self.clone();
        let task = self.lp.spawn(async move {
            loop {
                let watched = poll_fn(|cx| st.poll_source(cx, Interest::Writable)).await;
                if !watched || st.writer.epoch.get() != epoch {
                    return;
                }
                let step = in_callback(|py| {
                    st.env.timed(
                        py,
                        || st.step_name(py, "_write_ready"),
                        || st.write_ready(py),
                    )
                });
                if st.writer.epoch.get() != epoch {
                    return;
                }
                match step {
                    Step::Wait => st.clear_source(Interest::Writable),
                    Step::Again => asyncio::time::yield_now().await,
                    Step::Done => return,
                }
            }
        });
        *self.writer.task.borrow_mut() = Some(task);
        Ok(())
    }

    pub(super) fn stop_writer(&self) -> bool {
        let was = self.writer.stop();
        self.release_source();
        was
    }
}
