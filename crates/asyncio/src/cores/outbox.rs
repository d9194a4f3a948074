//! Spawns from one loop to another, sent in batches: a loop thread collects what it spawns
//! elsewhere during its turn and sends each target's share under one lock when the turn ends
//! (or every [`BATCH`] spawns), instead of taking the target's lock and waking it per task.

use std::cell::RefCell;
use std::sync::Arc;

use super::runtime::RtShared;
use crate::event_loop::LoopClosed;
use crate::runtime::shared::RemoteCallback;

/// Spawns collected for one target before they are sent anyway.
const BATCH: usize = 256;

#[derive(Default)]
struct Outbox {
    /// Per target loop, what waits to be sent.
    pending: Vec<Vec<RemoteCallback>>,
    /// A flush is queued on this loop for the end of its turn.
    flush_queued: bool,
}

thread_local! {
    static OUTBOX: RefCell<Outbox> = RefCell::new(Outbox::default());
}

/// Sends `callback` to loop `index` of `rt`, batched when this thread runs a loop of `rt`.
/// A callback lost to a closed loop cancels its handle when dropped.
pub(crate) fn send(
    rt: &Arc<RtShared>,
    index: usize,
    callback: RemoteCallback,
    on_rt_loop: bool,
) -> Result<(), LoopClosed> {
    if !on_rt_loop {
        return rt.remotes[index]
            .push_callbacks(vec![callback])
            .map_err(|_| LoopClosed);
    }
    let (full, queue_flush) = OUTBOX.with(|o| {
        let mut o = o.borrow_mut();
        if o.pending.len() < rt.remotes.len() {
            o.pending.resize_with(rt.remotes.len(), Vec::new);
        }
        o.pending[index].push(callback);
        let full = (o.pending[index].len() >= BATCH).then(|| std::mem::take(&mut o.pending[index]));
        let queue_flush = !std::mem::replace(&mut o.flush_queued, true);
        (full, queue_flush)
    });
    if let Some(batch) = full {
        let _ = rt.remotes[index].push_callbacks(batch);
    }
    if queue_flush {
        let rt = rt.clone();
        crate::runtime::context::running_core().push_callback(move || flush(&rt));
    }
    Ok(())
}

/// Sends everything collected on this thread.
fn flush(rt: &RtShared) {
    let pending = OUTBOX.with(|o| {
        let mut o = o.borrow_mut();
        o.flush_queued = false;
        o.pending.iter_mut().map(std::mem::take).collect::<Vec<_>>()
    });
    for (index, batch) in pending.into_iter().enumerate() {
        if !batch.is_empty() {
            // A closed loop gives the batch back; dropping it cancels the handles.
            let _ = rt.remotes[index].push_callbacks(batch);
        }
    }
}
