//! The grace period of a shutdown: wait (on the loop being shut down) until its tasks end or
//! the grace runs out.

use std::time::Duration;

/// Returns when the running loop has no more than `own` tasks (the drain's own task, if it is
/// one) or `grace` has passed on the loop's clock. It checks at growing intervals (1 ms to
/// 20 ms): the loop has no "last task ended" event, and a shutdown may be late by one interval.
pub(crate) async fn drain(grace: Duration, own: usize) {
    // What was sent to the loop before the shutdown starts first.
    crate::time::yield_now().await;
    let start = crate::time::now();
    let mut pause = Duration::from_millis(1);
    loop {
        if crate::get_running_loop().core.task_count() <= own {
            return;
        }
        let spent = crate::time::now().duration_since(start);
        let Some(left) = grace.checked_sub(spent).filter(|d| !d.is_zero()) else {
            return;
        };
        crate::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}
