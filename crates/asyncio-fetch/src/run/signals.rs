//! Ctrl-C and SIGTERM: the first stops the intake (the queues' jobs stay unfetched: resume
//! fetches them) and starts the grace period; the second ends the grace period. Listening goes
//! on, so a second Ctrl-C never kills the process with lines still unwritten.

use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;

use asyncio::signal::{signal, SignalKind};
use asyncio::sync::Event;

use super::hub::{Common, Hub};
use super::outcome::Ending;

/// Listens for signals until cancelled; `hurry` is set by the second.
pub(crate) fn listen(hub: Rc<Hub>, common: Arc<Common>, hurry: Event) -> asyncio::JoinHandle<()> {
    asyncio::task::Builder::new()
        .name("signals")
        .spawn(async move {
            // Each on its own: one that cannot be listened to must not cost the other.
            let mut int = signal(SignalKind::interrupt()).ok();
            let mut term = signal(SignalKind::terminate()).ok();
            if int.is_none() && term.is_none() {
                return;
            }
            let mut seen = 0;
            loop {
                std::future::poll_fn(|cx| {
                    let a = int.as_mut().is_some_and(|s| s.poll_recv(cx).is_ready());
                    let b = term.as_mut().is_some_and(|s| s.poll_recv(cx).is_ready());
                    if a || b {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                })
                .await;
                seen += 1;
                if seen == 1 {
                    eprintln!(
                        "asyncio-fetch: interrupted: finishing the requests in flight \
                     (again to stop them now)"
                    );
                    hub.end(Ending::Interrupted, &common);
                } else {
                    hurry.set();
                }
            }
        })
}
