//! Seed 000's blocking HTTP program, with the lesson applied: the blocking `session.get(url)`
//! (a `requests`-style call) moves to `to_thread`, so the two tasks' downloads overlap instead
//! of taking turns. The URLs point at a small blocking server this program starts (the
//! original sites are not reachable here); each page takes 200 ms to answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use asyncio::blocking::to_thread;
use asyncio::sync::Queue;

/// A blocking GET, as `requests.get` does it: connect, send, read the whole answer.
fn blocking_get(url: &str) -> std::io::Result<usize> {
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut s = TcpStream::connect(host)?;
    write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    let mut body = Vec::new();
    s.read_to_end(&mut body)?;
    Ok(body.len())
}

/// The stand-in web: one thread per connection, 200 ms per page.
fn start_server() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut r = BufReader::new(&conn);
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                std::thread::sleep(Duration::from_millis(200));
                let _ = (&conn).write_all(b"HTTP/1.0 200 OK\r\n\r\n<html>hello</html>");
            });
        }
    });
    addr
}

async fn task(name: &str, work_queue: Queue<String>) {
    while let Ok(url) = work_queue.get_nowait() {
        println!("Task {name} getting URL: {url}");
        let start = asyncio::time::now();
        let u = url.clone();
        to_thread(move || blocking_get(&u)).await.unwrap().unwrap();
        println!(
            "Task {name} elapsed time: {:.1}",
            start.elapsed().as_secs_f64()
        );
    }
}

#[asyncio::main]
async fn main() {
    let host = start_server();
    let work_queue = Queue::new(0);
    for site in [
        "google.com",
        "yahoo.com",
        "linkedin.com",
        "apple.com",
        "microsoft.com",
        "facebook.com",
        "twitter.com",
    ] {
        work_queue
            .put_nowait(format!("http://{host}/{site}"))
            .unwrap();
    }
    let start = asyncio::time::now();
    asyncio::gather!(
        task("One", work_queue.clone()),
        task("Two", work_queue.clone())
    )
    .await;
    println!("\nTotal elapsed time: {:.1}", start.elapsed().as_secs_f64());
}
