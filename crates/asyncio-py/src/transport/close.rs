//! Closing: after the buffer is sent (`close`) or at once (`force_close`), then the protocol's
//! `connection_lost` in the loop's next turn, the descriptor closed and the references let go.

use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;

use pyo3::exceptions::PyConnectionError;
use pyo3::intern;
use pyo3::prelude::*;

use super::state::{Refs, State};
use crate::py_loop::in_callback;

impl State {
    pub(super) fn close(self: &Rc<Self>, py: Python<'_>) {
        if self.closing.load(Relaxed) {
            return;
        }
        self.closing.store(true, Relaxed);
        self.stop_reader();
        if self.buffered_len() == 0 {
            self.conn_lost.set(self.conn_lost.get() + 1);
            self.stop_writer();
            self.schedule_connection_lost(py, None);
        }
    }

    pub(super) fn force_close(self: &Rc<Self>, py: Python<'_>, exc: Option<Py<PyAny>>) {
        if self.conn_lost.get() > 0 {
            return;
        }
        if self.buffered_len() > 0 {
            self.clear_out();
            self.stop_writer();
        }
        if !self.closing.load(Relaxed) {
            self.closing.store(true, Relaxed);
            self.stop_reader();
        }
        self.conn_lost.set(self.conn_lost.get() + 1);
        self.schedule_connection_lost(py, exc);
    }

    pub(super) fn schedule_connection_lost(
        self: &Rc<Self>,
        _py: Python<'_>,
        exc: Option<Py<PyAny>>,
    ) {
        if self.lp.is_closed() || self.lost_scheduled.replace(true) {
            return;
        }
        let st = self.clone();
        drop(self.lp.call_soon(move || {
            in_callback(|py| st.in_context(py, || st.connection_lost(py, exc)));
        }));
    }

    /// The end: the protocol's `connection_lost`, then the descriptor is closed and the
    /// transport lets go of its loop, socket and server.
    pub(super) fn connection_lost(self: &Rc<Self>, py: Python<'_>, exc: Option<Py<PyAny>>) {
        if self.refs.borrow().owner.is_none() {
            // Already lost (or the collector broke the transport up): once only.
            return;
        }
        let result = if self.connected.get() {
            match self.protocol(py) {
                Some(p) => p
                    .bind(py)
                    .call_method1(intern!(py, "connection_lost"), (exc,))
                    .map(drop),
                None => Ok(()),
            }
        } else {
            Ok(())
        };
        self.stop_reader();
        self.stop_writer();
        let refs = {
            let mut r = self.refs.borrow_mut();
            Refs {
                owner: r.owner.take(),
                py_loop: r.py_loop.take(),
                protocol: r.protocol.take(),
                sock: r.sock.take(),
                server: r.server.take(),
                empty_waiter: None,
            }
        };
        let mut failure = result.err();
        if let Some(sock) = &refs.sock {
            if let Err(e) = sock.bind(py).call_method0("close") {
                failure.get_or_insert(e);
            }
        }
        if let Some(server) = &refs.server {
            let detached = if self.server_takes_transport {
                server
                    .bind(py)
                    .call_method1("_detach", (refs.owner.as_ref(),))
            } else {
                server.bind(py).call_method0("_detach")
            };
            if let Err(e) = detached {
                failure.get_or_insert(e);
            }
        }
        let lost = PyConnectionError::new_err("Connection is closed by peer");
        self.settle_empty_waiter(py, Some(lost.value(py).as_any()));
        if let Some(e) = failure {
            // The loop was forgotten just above; report through the one from before.
            self.refs.borrow_mut().py_loop = refs.py_loop.as_ref().map(|l| l.clone_ref(py));
            self.callback_error(py, e, "Exception in callback connection_lost()");
            self.refs.borrow_mut().py_loop = None;
        }
    }
}
