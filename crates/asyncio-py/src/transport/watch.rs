//! The reactor registration and its two ready callbacks: the loop runs the read step while the
//! descriptor is readable and the write step while it is writable, each in the loop's turn as
//! asyncio's `_read_ready`/`_write_ready` handles would run (no task per transport).

use std::rc::Rc;

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

    /// Sets or removes `interest`'s ready callback on the registration.
    fn set_step(&self, interest: Interest, step: Option<Rc<dyn Fn()>>) {
        if let Some(s) = self.source.borrow().as_ref() {
            s.set_ready_callback(interest, step);
        }
    }

    pub(super) fn start_reader(self: &Rc<Self>) -> PyResult<()> {
        if self.reader.active() {
            return Ok(());
        }
        self.check_loop()?;
        self.ensure_source()?;
        self.reader.start();
        // The callback holds the state, as a selector's handle holds its transport: a
        // transport that reads stays alive though nothing else refers to it. Stopping the
        // reader (or closing the loop) lets go.
        let st = self.clone();
        self.set_step(
            Interest::Readable,
            Some(Rc::new(move || {
                let drained = in_callback(|py| {
                    st.env
                        .timed(py, || st.step_name(py, "_read_ready"), || st.read_ready(py))
                });
                // Drained: readiness ends until the next edge. Otherwise the loop runs the
                // step again on its next iteration: one read per iteration, as asyncio's.
                if drained {
                    st.clear_source(Interest::Readable);
                }
            })),
        );
        Ok(())
    }

    pub(super) fn stop_reader(&self) -> bool {
        let was = self.reader.stop();
        if was {
            self.set_step(Interest::Readable, None);
        }
        self.release_source();
        was
    }

    pub(super) fn start_writer(self: &Rc<Self>) -> PyResult<()> {
        if self.writer.active() {
            return Ok(());
        }
        self.check_loop()?;
        self.ensure_source()?;
        self.writer.start();
        let st = self.clone();
        self.set_step(
            Interest::Writable,
            Some(Rc::new(move || {
                let step = in_callback(|py| {
                    st.env.timed(
                        py,
                        || st.step_name(py, "_write_ready"),
                        || st.write_ready(py),
                    )
                });
                match step {
                    Step::Wait => st.clear_source(Interest::Writable),
                    // Again: still ready, so the loop runs the step on its next iteration.
                    // Done: the step stopped the writer, which removed this callback.
                    Step::Again | Step::Done => {}
                }
            })),
        );
        Ok(())
    }

    pub(super) fn stop_writer(&self) -> bool {
        let was = self.writer.stop();
        if was {
            self.set_step(Interest::Writable, None);
        }
        self.release_source();
        was
    }
}
