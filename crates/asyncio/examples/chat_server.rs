//! A chat server: every line a client sends goes to all the others (broadcast over a shared
//! list of writers).
//!
//! ```text
//! cargo run --example chat_server -- 127.0.0.1:8888   # then: nc 127.0.0.1 8888 (twice)
//! cargo run --example chat_server                     # a scripted chat among three bots
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use asyncio::net::TcpStream;
use asyncio::streams::{open_connection, start_server, Reader, Writer};

/// Everyone connected, by id.
#[derive(Default)]
struct Room {
    next_id: u32,
    members: BTreeMap<u32, (String, Writer<TcpStream>)>,
}

impl Room {
    /// Sends `line` to everyone but `from`. A member whose buffer is full or whose connection
    /// failed misses the message (and is dropped by its own handler).
    fn broadcast(&self, from: u32, line: &str) {
        for (id, (_, w)) in &self.members {
            if *id != from {
                let _ = w.write(line.as_bytes());
            }
        }
    }
}

async fn member(room: Rc<RefCell<Room>>, mut reader: Reader<TcpStream>, writer: Writer<TcpStream>) {
    let _ = writer.write(b"Your name?\n");
    let name = match reader.readline().await {
        Ok(l) if !l.is_empty() => String::from_utf8_lossy(&l).trim().to_owned(),
        _ => return,
    };
    let id = {
        let mut r = room.borrow_mut();
        r.next_id += 1;
        let id = r.next_id;
        r.broadcast(id, &format!("* {name} joined\n"));
        r.members.insert(id, (name.clone(), writer.clone()));
        id
    };
    while let Ok(line) = reader.readline().await {
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        room.borrow()
            .broadcast(id, &format!("<{name}> {}\n", text.trim_end()));
    }
    let mut r = room.borrow_mut();
    r.members.remove(&id);
    r.broadcast(id, &format!("* {name} left\n"));
    writer.close();
}

async fn bot(addr: String, name: &str, says: &[&str], hears: usize) -> Vec<String> {
    let (mut r, w) = open_connection(addr.as_str()).await.unwrap();
    r.readline().await.unwrap();
    w.write(format!("{name}\n").as_bytes()).unwrap();
    let mut heard = Vec::new();
    for s in says {
        w.write(format!("{s}\n").as_bytes()).unwrap();
    }
    while heard.len() < hears {
        let line = r.readline().await.unwrap();
        heard.push(String::from_utf8_lossy(&line).trim_end().to_owned());
    }
    w.close();
    heard
}

#[asyncio::main]
async fn main() -> std::io::Result<()> {
    let room = Rc::new(RefCell::new(Room::default()));
    let handler = {
        let room = room.clone();
        move |r, w| member(room.clone(), r, w)
    };
    if let Some(addr) = std::env::args().nth(1) {
        let server = start_server(handler, addr.as_str()).await?;
        println!("Chat on {:?}", server.addrs());
        server.serve_forever().await;
        return Ok(());
    }
    let server = start_server(handler, "127.0.0.1:0").await?;
    let addr = server.local_addr()?.to_string();
    // Ann and Bob join first and listen; Cy joins, says two things and leaves.
    let ann = asyncio::spawn(bot(addr.clone(), "ann", &[], 4));
    let bob = asyncio::spawn(bot(addr.clone(), "bob", &[], 3));
    while room.borrow().members.len() < 2 {
        asyncio::time::yield_now().await;
    }
    let cy = bot(addr, "cy", &["hello all", "bye"], 0).await;
    assert!(cy.is_empty());
    for (name, heard) in [("ann", ann.await.unwrap()), ("bob", bob.await.unwrap())] {
        for line in heard {
            println!("{name} heard: {line}");
        }
    }
    server.shutdown(std::time::Duration::from_secs(1)).await;
    Ok(())
}
