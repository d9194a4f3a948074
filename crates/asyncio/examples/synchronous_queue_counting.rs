//! Seed 001, example 1: three synchronous tasks share a queue; the first does everything.

use std::collections::VecDeque;

fn task(name: &str, sample_queue: &mut VecDeque<u32>) {
    if sample_queue.is_empty() {
        println!("Task {name} has nothing to do");
    } else {
        while let Some(cnt) = sample_queue.pop_front() {
            let mut total = 0;
            for _ in 0..cnt {
                println!("Task {name} is running now");
                total += 1;
            }
            println!("Task {name} is running with a total of: {total}");
        }
    }
}

fn sample_async() {
    let mut sample_queue: VecDeque<u32> = [2, 5, 10, 15, 20].into_iter().collect();
    for name in ["Async1", "Async2", "Async3"] {
        task(name, &mut sample_queue);
    }
}

fn main() {
    sample_async();
}
