//! Seed 000, "Concurrency with Blocking Calls": the generator-style round robin, but each task
//! blocks the whole thread in `sleep`. The total is the *sum* of the delays: blocking calls do
//! not overlap, however the tasks are interleaved.
//!
//! The seed's delays (15, 10, 5, 2 s) are scaled down ten times (1.5, 1.0, 0.5, 0.2 s) so the
//! example finishes in about 3.2 s instead of 32.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

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
    queue: Rc<RefCell<VecDeque<f64>>>,
) -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async move {
        loop {
            let Some(delay) = queue.borrow_mut().pop_front() else {
                break;
            };
            println!("Task {name} running");
            let start = Instant::now();
            std::thread::sleep(Duration::from_secs_f64(delay));
            println!(
                "Task {name} elapsed time: {:.1}",
                start.elapsed().as_secs_f64()
            );
            Yield(false).await;
        }
    })
}

fn main() {
    let work_queue = Rc::new(RefCell::new(VecDeque::from([1.5, 1.0, 0.5, 0.2])));
    let mut tasks = vec![
        task("One", work_queue.clone()),
        task("Two", work_queue.clone()),
    ];
    let mut cx = Context::from_waker(Waker::noop());
    let start = Instant::now();
    while !tasks.is_empty() {
        tasks.retain_mut(|t| t.as_mut().poll(&mut cx).is_pending());
    }
    println!("\nTotal elapsed time: {:.1}", start.elapsed().as_secs_f64());
}
