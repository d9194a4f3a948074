//! The echo client every server faces: one thread, mio, `CONNECTIONS` connections each sending
//! a message, waiting for all of it to come back, and sending the next. Written directly on
//! epoll so it costs the same (and as little as possible) whichever server it measures.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

struct Conn {
    stream: TcpStream,
    /// Bytes of the current message written so far.
    written: usize,
    /// Bytes of its echo read so far.
    read: usize,
    sent_at: Instant,
    left: usize,
}

/// Runs the client; returns each round trip's latency in nanoseconds.
pub(crate) fn run(
    addr: SocketAddr,
    connections: usize,
    size: usize,
    round_trips: usize,
) -> io::Result<Vec<u32>> {
    let mut poll = Poll::new()?;
    let mut conns = Vec::with_capacity(connections);
    for i in 0..connections {
        let std = std::net::TcpStream::connect(addr)?;
        std.set_nodelay(true)?;
        std.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(std);
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        conns.push(Conn {
            stream,
            written: 0,
            read: 0,
            sent_at: Instant::now(),
            left: round_trips,
        });
    }
    let message = vec![b'x'; size];
    let mut scratch = vec![0u8; size.max(64 * 1024)];
    let mut latencies = Vec::with_capacity(connections * round_trips);
    let mut active = connections;
    // Start every connection's first message.
    for c in &mut conns {
        c.sent_at = Instant::now();
        pump_write(c, &message)?;
    }
    let mut events = Events::with_capacity(1024);
    let deadline = Instant::now() + Duration::from_secs(240);
    while active > 0 {
        poll.poll(&mut events, Some(Duration::from_secs(5)))?;
        if Instant::now() > deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "echo client ran out of time",
            ));
        }
        for ev in events.iter() {
            let c = &mut conns[ev.token().0];
            if c.left == 0 {
                continue;
            }
            if ev.is_writable() {
                pump_write(c, &message)?;
            }
            if !ev.is_readable() {
                continue;
            }
            loop {
                match c.stream.read(&mut scratch) {
                    Ok(0) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the server closed a connection",
                        ))
                    }
                    Ok(n) => {
                        c.read += n;
                        if c.read >= size {
                            // An echo never runs ahead of what was sent.
                            assert_eq!(c.read, size, "the server sent more than it got");
                            latencies
                                .push(c.sent_at.elapsed().as_nanos().min(u32::MAX as u128) as u32);
                            c.left -= 1;
                            c.read = 0;
                            c.written = 0;
                            if c.left == 0 {
                                active -= 1;
                                break;
                            }
                            c.sent_at = Instant::now();
                            pump_write(c, &message)?;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(latencies)
}

/// Writes as much of the current message as the socket takes.
fn pump_write(c: &mut Conn, message: &[u8]) -> io::Result<()> {
    while c.written < message.len() {
        match c.stream.write(&message[c.written..]) {
            Ok(n) => c.written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The p-th percentile (0..=100) of the latencies, in µs.
pub(crate) fn percentile_us(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p / 100.0).round() as usize;
    sorted[i] as f64 / 1000.0
}
