//! Transports and protocols: callbacks in order, flow control, half-close, abort, buffered and
//! datagram protocols.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

use asyncio::net::TcpListener;
use asyncio::streams::{open_connection, StreamReader};
use asyncio::sync::Event;
use asyncio::transport::{
    connect_accepted_socket, create_buffered_server, create_connection, create_datagram_endpoint,
    create_server, BufferedProtocol, DatagramProtocol, DatagramTransport, Protocol, Transport,
};

/// Records every callback.
#[derive(Default)]
struct Recorder {
    transport: Option<Transport>,
    events: Vec<String>,
    data: Vec<u8>,
    lost: Event,
    got: Event,
    want: usize,
    keep_open_on_eof: bool,
}

impl Protocol for Recorder {
    fn connection_made(&mut self, t: &Transport) {
        self.transport = Some(t.clone());
        self.events.push("made".into());
    }
    fn data_received(&mut self, data: &[u8]) {
        self.data.extend_from_slice(data);
        if self.data.len() >= self.want {
            self.got.set();
        }
    }
    fn eof_received(&mut self) -> bool {
        self.events.push("eof".into());
        self.keep_open_on_eof
    }
    fn connection_lost(&mut self, error: Option<io::Error>) {
        self.events.push(match error {
            None => "lost".into(),
            Some(e) => format!("lost:{:?}", e.kind()),
        });
        self.lost.set();
    }
    fn pause_writing(&mut self) {
        self.events.push("pause".into());
    }
    fn resume_writing(&mut self) {
        self.events.push("resume".into());
    }
}

struct Echo(Option<Transport>);

impl Protocol for Echo {
    fn connection_made(&mut self, t: &Transport) {
        self.0 = Some(t.clone());
    }
    fn data_received(&mut self, data: &[u8]) {
        self.0.as_ref().unwrap().write(data);
    }
}

#[asyncio::test]
async fn echo_protocol_server_with_stream_clients() {
    let server = create_server(|| Echo(None), "127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let mut clients = Vec::new();
    for i in 0..10u8 {
        clients.push(asyncio::spawn(async move {
            let (mut r, w) = open_connection(addr).await.unwrap();
            for j in 0..20u8 {
                w.write(&[b'a' + i, b'a' + j, b'\n']).unwrap();
                assert_eq!(r.readline().await.unwrap(), [b'a' + i, b'a' + j, b'\n']);
            }
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    server.shutdown(std::time::Duration::from_secs(1)).await;
}

#[asyncio::test]
async fn peer_eof_closes_unless_the_protocol_keeps_it_half_open() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    // Default: EOF closes the transport.
    let (_t, p) = create_connection(Recorder::default, addr).await.unwrap();
    let (s, _) = l.accept().await.unwrap();
    s.write_all(b"bye").await.unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let lost = p.borrow().lost.clone();
    lost.wait().await;
    assert_eq!(p.borrow().events, ["made", "eof", "lost"]);
    assert_eq!(p.borrow().data, b"bye");

    // Half-open: the protocol answers after EOF, then closes.
    let (t, p) = create_connection(
        || Recorder {
            keep_open_on_eof: true,
            ..Recorder::default()
        },
        addr,
    )
    .await
    .unwrap();
    let (s, _) = l.accept().await.unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    while !p.borrow().events.contains(&"eof".to_string()) {
        asyncio::time::yield_now().await;
    }
    assert!(!t.is_closing());
    t.write(b"answer after eof");
    t.close();
    let mut reply = Vec::new();
    use asyncio::io::AsyncReadExt;
    (&s).read_to_end(&mut reply).await.unwrap();
    assert_eq!(reply, b"answer after eof");
    let lost = p.borrow().lost.clone();
    lost.wait().await;
    assert_eq!(p.borrow().events, ["made", "eof", "lost"]);
}

#[asyncio::test]
async fn pause_and_resume_writing_follow_the_water_marks() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (t, p) = create_connection(Recorder::default, l.local_addr().unwrap())
        .await
        .unwrap();
    let (s, _) = l.accept().await.unwrap();
    t.set_write_buffer_limits(128 * 1024, Some(0));
    let payload = vec![5u8; 8 * 1024 * 1024];
    t.write(&payload);
    assert!(t.get_write_buffer_size() > 128 * 1024);
    asyncio::time::yield_now().await;
    assert_eq!(p.borrow().events, ["made", "pause"]);
    let mut r = StreamReader::new(&s);
    let got = r.readexactly(payload.len()).await.unwrap();
    assert_eq!(got.len(), payload.len());
    while t.get_write_buffer_size() > 0 {
        asyncio::time::yield_now().await;
    }
    asyncio::time::yield_now().await;
    assert_eq!(p.borrow().events, ["made", "pause", "resume"]);
    t.close();
    let lost = p.borrow().lost.clone();
    lost.wait().await;
}

#[asyncio::test]
async fn pause_reading_stops_data_received() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (t, p) = create_connection(
        || Recorder {
            want: 3,
            ..Recorder::default()
        },
        l.local_addr().unwrap(),
    )
    .await
    .unwrap();
    let (s, _) = l.accept().await.unwrap();
    t.pause_reading();
    assert!(!t.is_reading());
    s.write_all(b"abc").await.unwrap();
    for _ in 0..10 {
        asyncio::time::yield_now().await;
    }
    assert!(p.borrow().data.is_empty());
    t.resume_reading();
    let got = p.borrow().got.clone();
    got.wait().await;
    assert_eq!(p.borrow().data, b"abc");
}

#[asyncio::test]
async fn abort_resets_and_connection_lost_runs_once() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (t, p) = create_connection(Recorder::default, l.local_addr().unwrap())
        .await
        .unwrap();
    let (s, _) = l.accept().await.unwrap();
    // The server side runs a protocol too, to see the reset as an error.
    let (_st, sp) = connect_accepted_socket(Recorder::default, s);
    t.abort();
    t.abort();
    t.close();
    let lost = p.borrow().lost.clone();
    lost.wait().await;
    assert_eq!(p.borrow().events, ["made", "lost"]);
    let lost = sp.borrow().lost.clone();
    lost.wait().await;
    assert_eq!(sp.borrow().events, ["made", "lost:ConnectionReset"]);
    assert!(t.is_closing());
    t.write(b"ignored after close");
}

#[asyncio::test]
async fn close_flushes_the_buffer_first() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (t, _p) = create_connection(Recorder::default, l.local_addr().unwrap())
        .await
        .unwrap();
    let (s, _) = l.accept().await.unwrap();
    let payload: Vec<u8> = (0..4 * 1024 * 1024u32).map(|i| i as u8).collect();
    t.write(&payload);
    t.close();
    let mut got = Vec::new();
    use asyncio::io::AsyncReadExt;
    (&s).read_to_end(&mut got).await.unwrap();
    assert!(got == payload);
}

/// Collects into its own buffer.
struct Collect {
    buf: Vec<u8>,
    got: Rc<RefCell<Vec<u8>>>,
    lost: Event,
}

impl BufferedProtocol for Collect {
    fn get_buffer(&mut self, _hint: usize) -> &mut [u8] {
        &mut self.buf
    }
    fn buffer_updated(&mut self, n: usize) {
        self.got.borrow_mut().extend_from_slice(&self.buf[..n]);
    }
    fn connection_lost(&mut self, _: Option<io::Error>) {
        self.lost.set();
    }
}

#[asyncio::test]
async fn buffered_protocol_reads_into_its_buffer() {
    let got = Rc::new(RefCell::new(Vec::new()));
    let lost = Event::new();
    let (g, l2) = (got.clone(), lost.clone());
    let server = create_buffered_server(
        move || Collect {
            buf: vec![0; 7],
            got: g.clone(),
            lost: l2.clone(),
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let (_, w) = open_connection(server.local_addr().unwrap()).await.unwrap();
    w.write(b"a message longer than seven bytes").unwrap();
    w.close();
    lost.wait().await;
    assert_eq!(&*got.borrow(), b"a message longer than seven bytes");
}

#[derive(Default)]
struct Udp {
    t: Option<DatagramTransport>,
    received: Vec<(Vec<u8>, SocketAddr)>,
    done: Event,
    echo: bool,
}

impl DatagramProtocol for Udp {
    fn connection_made(&mut self, t: &DatagramTransport) {
        self.t = Some(t.clone());
    }
    fn datagram_received(&mut self, data: &[u8], addr: SocketAddr) {
        if self.echo {
            self.t.as_ref().unwrap().sendto(data, Some(addr));
        } else {
            self.received.push((data.to_vec(), addr));
            if self.received.len() == 3 {
                self.done.set();
            }
        }
    }
}

#[asyncio::test]
async fn datagram_endpoints_echo() {
    let (server, _) = create_datagram_endpoint(
        || Udp {
            echo: true,
            ..Udp::default()
        },
        Some("127.0.0.1:0".parse().unwrap()),
        None,
    )
    .await
    .unwrap();
    let server_addr = server.local_addr().unwrap();
    let (client, p) = create_datagram_endpoint(Udp::default, None, Some(server_addr))
        .await
        .unwrap();
    for m in [&b"one"[..], b"two", b"three"] {
        client.sendto(m, None);
    }
    let done = p.borrow().done.clone();
    done.wait().await;
    let got: Vec<Vec<u8>> = p.borrow().received.iter().map(|(d, _)| d.clone()).collect();
    assert_eq!(got, [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]);
    assert!(p.borrow().received.iter().all(|(_, a)| *a == server_addr));
    client.close();
    server.close();
}
