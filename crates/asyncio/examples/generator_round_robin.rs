//! Seed 000, "Concurrency Example": tasks written as generators (`yield` after each unit of
//! work) and a round-robin loop that steps each in turn until all are exhausted.
//!
//! Rust has no stable generators; an `async` block that awaits [`Yield`] is the same thing: a
//! state machine stepped by whoever polls it. The scheduler here is the seed's hand-written
//! `while not done` loop, not asyncio-rs's event loop — that is the point of the program.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Python's bare `yield`: suspend once.
struct Yield(bool);

impl Future for Yield {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

fn task(
    name: &'static str,
    queue: Rc<RefCell<VecDeque<u32>>>,
) -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async move {
        loop {
            let Some(count) = queue.borrow_mut().pop_front() else {
                break;
            };
            let mut total = 0;
            println!("Task {name} running");
            for _ in 0..count {
                total += 1;
                Yield(false).await;
            }
            println!("Task {name} total: {total}");
        }
    })
}

fn main() {
    // Create the queue of work
    let work_queue = Rc::new(RefCell::new(VecDeque::from([15, 10, 5, 2])));
    // Create some tasks
    let mut tasks = vec![
        task("One", work_queue.clone()),
        task("Two", work_queue.clone()),
    ];
    // Run the tasks: `next(t)` for each, dropping the exhausted ones.
    let mut cx = Context::from_waker(Waker::noop());
    let mut done = false;
    while !done {
        tasks.retain_mut(|t| t.as_mut().poll(&mut cx).is_pending());
        if tasks.is_empty() {
            done = true;
        }
    }
}
