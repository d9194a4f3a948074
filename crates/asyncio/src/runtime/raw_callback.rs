//! A ready-queue item that is its own pointer ([`RawCallback`]): scheduled without an
//! allocation, run or dropped through two functions chosen at compile time.

use std::ptr::NonNull;

/// A callback that travels through the ready queue as one pointer: scheduling it allocates
/// nothing (the boxed closure of [`EventLoop::call_soon`](crate::EventLoop::call_soon) costs
/// two allocations). For embedders whose callbacks already live behind a pointer, such as the
/// Python loop's handles.
///
/// # Safety
/// [`into_raw`](Self::into_raw) must hand the callback's ownership to the pointer, and
/// [`run_raw`](Self::run_raw) and [`drop_raw`](Self::drop_raw) must take it back: the loop
/// calls exactly one of them, once per pointer, on the loop's thread.
pub unsafe trait RawCallback: 'static {
    /// Gives up `self` as a pointer.
    fn into_raw(self) -> NonNull<()>;

    /// Runs the callback behind `ptr` (and frees it).
    ///
    /// # Safety
    /// `ptr` came from `into_raw` and is taken back once.
    unsafe fn run_raw(ptr: NonNull<()>);

    /// Drops the callback behind `ptr` unrun (the loop closed, or its timer was cancelled).
    ///
    /// # Safety
    /// As for [`run_raw`](Self::run_raw).
    unsafe fn drop_raw(ptr: NonNull<()>);
}

/// What the queue keeps of a [`RawCallback`] type.
struct VTable {
    run: unsafe fn(NonNull<()>),
    drop: unsafe fn(NonNull<()>),
}

/// The vtable of `C`, one `'static` per type.
struct VTableOf<C>(std::marker::PhantomData<C>);

impl<C: RawCallback> VTableOf<C> {
    const VTABLE: VTable = VTable {
        run: C::run_raw,
        drop: C::drop_raw,
    };
}

/// A queued [`RawCallback`]: run once, or dropped.
pub(crate) struct Raw {
    ptr: NonNull<()>,
    vtable: &'static VTable,
}

impl Raw {
    pub(crate) fn new<C: RawCallback>(callback: C) -> Self {
        Self {
            ptr: callback.into_raw(),
            vtable: &VTableOf::<C>::VTABLE,
        }
    }

    pub(crate) fn run(self) {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: the pointer came from `C::into_raw` of this vtable's `C`, and is taken back
        // here once: `ManuallyDrop` keeps `Drop` from taking it again.
        unsafe { (this.vtable.run)(this.ptr) }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        // SAFETY: as in `run`: the pointer is taken back once, here, since it did not run.
        unsafe { (self.vtable.drop)(self.ptr) }
    }
}
