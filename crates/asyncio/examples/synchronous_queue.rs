//! Seed 000, "Python follows a centralized FIFO": two synchronous tasks drain one work queue.
//! No event loop: the first task does all the work, the second finds nothing to do.

use std::collections::VecDeque;

fn task(name: &str, work_queue: &mut VecDeque<u32>) {
    if work_queue.is_empty() {
        println!("Task {name} nothing to do");
    } else {
        while let Some(count) = work_queue.pop_front() {
            let mut total = 0;
            println!("Task {name} running");
            for _ in 0..count {
                total += 1;
            }
            println!("Task {name} total: {total}");
        }
    }
}

/// The seed's `(task, name, queue)` tuples hold the function itself.
type TaskFn = fn(&str, &mut VecDeque<u32>);

fn main() {
    // Create the queue of work
    let mut work_queue: VecDeque<u32> = [15, 10, 5, 2].into_iter().collect();
    // Create some synchronous tasks and run them
    let tasks: [(TaskFn, &str); 2] = [(task, "One"), (task, "Two")];
    for (t, n) in tasks {
        t(n, &mut work_queue);
    }
}
