//! Borrowing the memory of a Python object that supports the buffer protocol (`bytes`,
//! `bytearray`, `memoryview`, what `BufferedProtocol.get_buffer` returns).

use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;

/// A contiguous view of an object's bytes, released on drop.
pub(crate) struct View<'py> {
    view: Box<ffi::Py_buffer>,
    /// The GIL is held while the view lives (it is released in `Drop`).
    _py: std::marker::PhantomData<Python<'py>>,
}

impl<'py> View<'py> {
    /// Borrows `obj`'s bytes; `writable` asks for memory that may be written (and fails on
    /// `bytes`).
    pub(crate) fn new(obj: &Bound<'py, PyAny>, writable: bool) -> PyResult<Self> {
        let mut view = Box::new(ffi::Py_buffer::new());
        let flags = if writable {
            ffi::PyBUF_WRITABLE
        } else {
            ffi::PyBUF_SIMPLE
        };
        // SAFETY: the GIL is held (`obj` is bound); `view` is a valid out-parameter that stays
        // put (boxed) until `PyBuffer_Release` in `Drop`.
        let r = unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), &mut *view, flags) };
        if r != 0 {
            return Err(PyErr::take(obj.py())
                .unwrap_or_else(|| PyBufferError::new_err("object gave no buffer")));
        }
        Ok(Self {
            view,
            _py: std::marker::PhantomData,
        })
    }

    /// The bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        let len = usize::try_from(self.view.len).unwrap_or(0);
        if len == 0 || self.view.buf.is_null() {
            return &[];
        }
        // SAFETY: a successful PyBUF_SIMPLE/PyBUF_WRITABLE request gives `len` contiguous
        // bytes at `buf`, valid until the view is released; `&self` keeps it unreleased.
        unsafe { std::slice::from_raw_parts(self.view.buf.cast::<u8>(), len) }
    }

    /// The bytes, to write into (the view was asked for as writable).
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        let len = usize::try_from(self.view.len).unwrap_or(0);
        if len == 0 || self.view.buf.is_null() || self.view.readonly != 0 {
            return &mut [];
        }
        // SAFETY: as in `bytes`, and the exporter granted write access (not read-only);
        // `&mut self` makes this the only borrow.
        unsafe { std::slice::from_raw_parts_mut(self.view.buf.cast::<u8>(), len) }
    }
}

impl Drop for View<'_> {
    fn drop(&mut self) {
        // SAFETY: the view was filled by a successful `PyObject_GetBuffer` and is released
        // once, with the GIL held (the view's lifetime is the GIL token's).
        unsafe { ffi::PyBuffer_Release(&mut *self.view) };
    }
}
