//! What tokio-console reads, behind the `console` feature: the `tracing` spans and events that
//! console-subscriber's layer recognises by name and target, emitted without any tokio runtime.
//!
//! - every task has a `runtime.spawn` span (kind, name, id, spawn location), entered for each
//!   poll and closed when the task ends;
//! - every waker operation is a `runtime::waker` event naming that span;
//! - a sleep or a timeout is a `runtime.resource` timer with an async op, polled inside them;
//! - a job on the thread pool is a `runtime.spawn` span of kind `blocking`, entered while it
//!   runs.
//!
//! Without the feature every type here is zero-sized and every method an empty inline function,
//! so the rest of the runtime calls them unconditionally.

use std::panic::Location;
use std::task::Poll;
use std::time::Duration;

#[cfg(feature = "console")]
use tracing::Span;

/// A task's `runtime.spawn` span. Its id is read by wakers on any thread; the span itself only
/// on the task's own thread (entered around each poll, dropped when the task ends).
pub(crate) struct TaskSpan {
    #[cfg(feature = "console")]
    id: u64,
    #[cfg(feature = "console")]
    span: std::cell::Cell<Option<Span>>,
}

impl TaskSpan {
    /// The span of a task spawned at `location` (a root span: a task outlives what spawned it).
    #[inline]
    pub(crate) fn new(
        kind: &'static str,
        id: u64,
        name: Option<&str>,
        location: &'static Location<'static>,
    ) -> Self {
        #[cfg(feature = "console")]
        {
            let span = tracing::trace_span!(
                target: "runtime::spawn",
                parent: None,
                "runtime.spawn",
                kind,
                task.name = name,
                task.id = id,
                loc.file = location.file(),
                loc.line = location.line(),
                loc.col = location.column(),
            );
            Self {
                id: span.id().map_or(0, |i| i.into_u64()),
                span: std::cell::Cell::new(Some(span)),
            }
        }
        #[cfg(not(feature = "console"))]
        {
            let _ = (kind, id, name, location);
            Self {}
        }
    }

    /// Enters the span for one poll; the guard exits it.
    #[inline]
    pub(crate) fn enter(&self) -> Entered<'_> {
        #[cfg(feature = "console")]
        {
            let span = self.span.take();
            if let Some(s) = &span {
                s.with_subscriber(|(id, dispatch)| dispatch.enter(id));
            }
            Entered {
                cell: &self.span,
                span,
            }
        }
        #[cfg(not(feature = "console"))]
        {
            Entered {
                _task: std::marker::PhantomData,
            }
        }
    }

    /// Closes the span: the task ended.
    #[inline]
    pub(crate) fn close(&self) {
        #[cfg(feature = "console")]
        drop(self.span.take());
    }

    /// Reports a waker operation (`waker.clone`, `waker.wake`, `waker.wake_by_ref`,
    /// `waker.drop`) on this task, from any thread.
    #[inline]
    pub(crate) fn waker_op(&self, op: &'static str) {
        #[cfg(feature = "console")]
        if self.id != 0 {
            tracing::trace!(target: "runtime::waker", op, task.id = self.id);
        }
        #[cfg(not(feature = "console"))]
        let _ = op;
    }
}

/// The guard of [`TaskSpan::enter`].
pub(crate) struct Entered<'a> {
    #[cfg(feature = "console")]
    cell: &'a std::cell::Cell<Option<Span>>,
    #[cfg(feature = "console")]
    span: Option<Span>,
    #[cfg(not(feature = "console"))]
    _task: std::marker::PhantomData<&'a ()>,
}

#[cfg(feature = "console")]
impl Drop for Entered<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.span.take() {
            s.with_subscriber(|(id, dispatch)| dispatch.exit(id));
            self.cell.set(Some(s));
        }
    }
}

/// A timer resource (a sleep, a timeout's deadline) and its async op, as tokio's `Sleep`
/// reports them.
pub(crate) struct Timer {
    #[cfg(feature = "console")]
    spans: Option<Box<TimerSpans>>,
}

#[cfg(feature = "console")]
struct TimerSpans {
    resource: Span,
    async_op: Span,
    poll: Span,
}

impl Timer {
    /// A timer of `concrete_type` made at `location`, due after `duration`.
    #[inline]
    pub(crate) fn new(
        concrete_type: &'static str,
        source: &'static str,
        location: &'static Location<'static>,
        duration: Duration,
    ) -> Self {
        #[cfg(feature = "console")]
        {
            let resource = tracing::trace_span!(
                target: "runtime::resource",
                parent: None,
                "runtime.resource",
                concrete_type,
                kind = "timer",
                loc.file = location.file(),
                loc.line = location.line(),
                loc.col = location.column(),
            );
            if resource.is_disabled() {
                return Self { spans: None };
            }
            let async_op = resource.in_scope(|| {
                duration_update(duration);
                tracing::trace_span!(
                    target: "runtime::resource",
                    "runtime.resource.async_op",
                    source,
                    inherits_child_attrs = false,
                )
            });
            let poll = async_op.in_scope(|| {
                tracing::trace_span!(
                    target: "runtime::resource",
                    "runtime.resource.async_op.poll"
                )
            });
            Self {
                spans: Some(Box::new(TimerSpans {
                    resource,
                    async_op,
                    poll,
                })),
            }
        }
        #[cfg(not(feature = "console"))]
        {
            let _ = (concrete_type, source, location, duration);
            Self {}
        }
    }

    /// The timer now runs `duration` from now (a reset).
    #[inline]
    pub(crate) fn reset(&self, duration: Duration) {
        #[cfg(feature = "console")]
        if let Some(s) = &self.spans {
            s.resource.in_scope(|| duration_update(duration));
        }
        #[cfg(not(feature = "console"))]
        let _ = duration;
    }

    /// Runs one poll of the timer inside its spans and reports whether it was ready.
    #[inline]
    pub(crate) fn poll<T>(&self, poll: impl FnOnce() -> Poll<T>) -> Poll<T> {
        #[cfg(feature = "console")]
        if let Some(s) = &self.spans {
            let _resource = s.resource.enter();
            let _op = s.async_op.enter();
            let _poll = s.poll.enter();
            let result = poll();
            tracing::trace!(
                target: "runtime::resource::poll_op",
                op_name = "poll_elapsed",
                is_ready = result.is_ready(),
            );
            return result;
        }
        poll()
    }
}

#[cfg(feature = "console")]
fn duration_update(duration: Duration) {
    tracing::trace!(
        target: "runtime::resource::state_update",
        duration = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        duration.unit = "ms",
        duration.op = "override",
    );
}

impl std::fmt::Debug for Timer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Timer")
    }
}

/// A job on the thread pool, reported as a task of kind `blocking`.
pub(crate) struct Blocking {
    #[cfg(feature = "console")]
    span: Span,
}

impl Blocking {
    /// The span of a job submitted at `location`.
    #[inline]
    pub(crate) fn new(name: Option<&'static str>, location: &'static Location<'static>) -> Self {
        #[cfg(feature = "console")]
        {
            Self {
                span: tracing::trace_span!(
                    target: "runtime::spawn",
                    parent: None,
                    "runtime.spawn",
                    kind = "blocking",
                    task.name = name,
                    loc.file = location.file(),
                    loc.line = location.line(),
                    loc.col = location.column(),
                ),
            }
        }
        #[cfg(not(feature = "console"))]
        {
            let _ = (name, location);
            Self {}
        }
    }

    /// Runs the job inside the span, which closes when the job returns.
    #[inline]
    pub(crate) fn run<T>(self, job: impl FnOnce() -> T) -> T {
        #[cfg(feature = "console")]
        {
            let _entered = self.span.entered();
            job()
        }
        #[cfg(not(feature = "console"))]
        job()
    }
}
