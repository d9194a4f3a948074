//! Seed 004, 1.1: synchronous code — task 2 starts only when task 1 has finished (5 s in all).

use std::thread::sleep;
use std::time::Duration;

fn task1() {
    println!("Task 1 started");
    sleep(Duration::from_secs(3)); // Simulating a time-consuming operation
    println!("Task 1 completed");
}

fn task2() {
    println!("Task 2 started");
    sleep(Duration::from_secs(2)); // Simulating another time-consuming operation
    println!("Task 2 completed");
}

fn main() {
    task1();
    task2();
}
