//! Seed 000, "Asynchronous HTTP Calls (Blocking)": two generator-style tasks take URLs from a
//! queue and fetch each with a *blocking* session (`requests.Session`), stepped round robin —
//! so every download blocks the whole program and the total is the sum of all of them.
//! The sites are served locally (`support/site.rs`), 100 ms per page.

#[path = "support/site.rs"]
mod site;

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

/// A `requests.Session` in miniature: a blocking GET over HTTP/1.0.
struct BlockingSession;

impl BlockingSession {
    fn get(&self, url: &str) -> std::io::Result<Vec<u8>> {
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let mut s = TcpStream::connect(host)?;
        write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
        let mut body = Vec::new();
        s.read_to_end(&mut body)?;
        Ok(body)
    }
}

/// The generator: each `next()` fetches one URL (blocking) and yields.
fn task<'a>(
    name: &'a str,
    work_queue: &'a std::cell::RefCell<VecDeque<String>>,
) -> impl Iterator<Item = ()> + 'a {
    let session = BlockingSession;
    std::iter::from_fn(move || {
        let url = work_queue.borrow_mut().pop_front()?;
        println!("Task {name} getting URL: {url}");
        let start = Instant::now();
        session.get(&url).expect("the local site answers");
        println!(
            "Task {name} elapsed time: {:.1}",
            start.elapsed().as_secs_f64()
        );
        Some(())
    })
}

fn main() {
    let base = site::start();
    let work_queue = std::cell::RefCell::new(VecDeque::new());
    for s in site::SITES {
        work_queue.borrow_mut().push_back(format!("{base}/{s}"));
    }
    let mut tasks: Vec<Box<dyn Iterator<Item = ()>>> = vec![
        Box::new(task("One", &work_queue)),
        Box::new(task("Two", &work_queue)),
    ];
    let start = Instant::now();
    while !tasks.is_empty() {
        tasks.retain_mut(|t| t.next().is_some());
    }
    println!("\nTotal elapsed time: {:.1}", start.elapsed().as_secs_f64());
}
