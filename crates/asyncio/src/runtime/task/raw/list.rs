//! [`TaskList`]: the loop's registry of tasks that have not ended, linked through the headers.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr::NonNull;

use super::{acquire_local, header, Header, TaskRef, LISTED};

pub(crate) struct TaskList {
    head: Cell<Option<NonNull<Header>>>,
    tail: Cell<Option<NonNull<Header>>>,
    len: Cell<usize>,
    _not_send: PhantomData<*const ()>,
}

impl TaskList {
    pub(crate) fn new() -> Self {
        Self {
            head: Cell::new(None),
            tail: Cell::new(None),
            len: Cell::new(0),
            _not_send: PhantomData,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.get()
    }

    /// Appends a task, taking over `task`'s reference.
    pub(crate) fn push(&self, task: TaskRef) {
        let ptr = task.ptr;
        let local = task.local();
        assert!(!local.has(LISTED), "a task is listed once");
        local.set(LISTED);
        local.prev.set(self.tail.get());
        local.next.set(None);
        match self.tail.get() {
            // SAFETY: listed tasks are alive: the list owns a reference to each.
            Some(tail) => unsafe { header(tail) }.local.next.set(Some(ptr)),
            None => self.head.set(Some(ptr)),
        }
        self.tail.set(Some(ptr));
        self.len.set(self.len.get() + 1);
        std::mem::forget(task);
    }

    /// Unlinks the task at `ptr` and hands back the list's reference; `None` if not listed.
    pub(super) fn remove_ptr(&self, ptr: NonNull<Header>) -> Option<TaskRef> {
        // SAFETY: the caller's entry or reference keeps the cell alive.
        let local = unsafe { &header(ptr).local };
        if !local.has(LISTED) {
            return None;
        }
        local.clear(LISTED);
        let (prev, next) = (local.prev.take(), local.next.take());
        match prev {
            // SAFETY: neighbours in the list are listed, hence alive.
            Some(p) => unsafe { header(p) }.local.next.set(next),
            None => self.head.set(next),
        }
        match next {
            // SAFETY: as above.
            Some(n) => unsafe { header(n) }.local.prev.set(prev),
            None => self.tail.set(prev),
        }
        self.len.set(self.len.get() - 1);
        Some(TaskRef::from_raw(ptr))
    }

    /// Unlinks `task`, handing back the list's reference; `None` if it is not listed.
    pub(crate) fn remove(&self, task: &TaskRef) -> Option<TaskRef> {
        self.remove_ptr(task.ptr)
    }

    /// New references to every listed task, in spawn order.
    pub(crate) fn snapshot(&self) -> Vec<TaskRef> {
        let mut out = Vec::with_capacity(self.len());
        let mut cur = self.head.get();
        while let Some(ptr) = cur {
            // SAFETY: listed tasks are alive.
            let h = unsafe { header(ptr) };
            acquire_local(&h.local);
            out.push(TaskRef::from_raw(ptr));
            cur = h.local.next.get();
        }
        out
    }

    /// Unlinks every task, handing back the list's references.
    pub(crate) fn drain(&self) -> Vec<TaskRef> {
        let tasks = self.snapshot();
        for t in &tasks {
            drop(self.remove(t));
        }
        tasks
    }
}

impl Drop for TaskList {
    fn drop(&mut self) {
        drop(self.drain());
    }
}
