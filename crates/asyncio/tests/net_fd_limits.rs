//! Servers under descriptor pressure: accepting when the process is out of descriptors
//! (EMFILE) backs off and goes on; 10,000 connections held at once on one loop.
//!
//! Both tests change the process's descriptor limit, so they live in their own test binary.

use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use asyncio::streams::start_server;

fn nofile() -> (u64, u64) {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `r` is a valid, writable rlimit for the call.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) }, 0);
    (r.rlim_cur, r.rlim_max)
}

fn set_soft_nofile(soft: u64) {
    let (_, hard) = nofile();
    let r = libc::rlimit {
        rlim_cur: soft.min(hard),
        rlim_max: hard,
    };
    // SAFETY: `r` is a valid rlimit; lowering or raising the soft limit up to the hard one is
    // always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &r) }, 0);
}

/// The descriptor number the next open would get (the lowest free one).
fn next_fd() -> u64 {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open("/dev/null").unwrap();
    f.as_raw_fd() as u64
}

/// The tests change process-wide limits: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn accept_backs_off_on_emfile_and_serves_everyone() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    asyncio::run(async {
        let server = start_server(
            |mut r, w| async move {
                let line = r.readline().await.unwrap();
                w.write(&line).unwrap();
                w.close();
                let _ = w.wait_closed().await;
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
        let addr = server.local_addr().unwrap();
        // Thirty clients connect (the kernel completes the handshakes; accepting them is the
        // server's job), then the process gets room for only a few more descriptors.
        let clients: Vec<std::net::TcpStream> = (0..30)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        let (old_soft, _) = nofile();
        set_soft_nofile(next_fd() + 3);
        let talk = std::thread::spawn(move || {
            let mut replies = Vec::new();
            for mut c in &clients {
                c.write_all(b"ping\n").unwrap();
            }
            for c in &clients {
                let mut line = String::new();
                c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                BufReader::new(c).read_line(&mut line).unwrap();
                replies.push(line);
            }
            replies
        });
        let replies = asyncio::blocking::to_thread(move || talk.join().unwrap())
            .await
            .unwrap_or_else(|_| {
                // The pool may not start a thread while descriptors are short; that is fine,
                // the answer comes from below.
                Vec::new()
            });
        set_soft_nofile(old_soft);
        assert_eq!(replies.len(), 30, "every client got its reply");
        assert!(replies.iter().all(|l| l == "ping\n"));
        assert!(server.is_serving(), "the server kept serving");
        server.close();
        server.wait_closed().await;
    });
}

const CONNECTIONS: usize = 10_000;

/// Run as a child process by `ten_thousand_connections_on_one_loop`: opens the connections,
/// gets every reply while holding all of them open, then exits.
#[test]
#[ignore = "a helper run in a child process"]
fn client_helper() {
    let Ok(addr) = std::env::var("ASYNCIO_TEST_SERVER") else {
        return;
    };
    let (_, hard) = nofile();
    set_soft_nofile(hard);
    asyncio::run(async move {
        let gate = asyncio::sync::Semaphore::new(256);
        let mut tasks = Vec::new();
        for _ in 0..CONNECTIONS {
            let gate = gate.clone();
            let addr = addr.clone();
            tasks.push(asyncio::spawn(async move {
                let permit = gate.acquire().await;
                let (mut r, w) = asyncio::streams::open_connection(addr.as_str())
                    .await
                    .unwrap();
                w.write(b"hello\n").unwrap();
                assert_eq!(r.readline().await.unwrap(), b"hello\n");
                drop(permit);
                (r, w)
            }));
        }
        let mut held = Vec::new();
        for t in tasks {
            held.push(t.await.unwrap());
        }
        println!("held {}", held.len());
    });
}

#[test]
fn ten_thousand_connections_on_one_loop() {
    let (_, hard) = nofile();
    if hard < CONNECTIONS as u64 + 200 {
        eprintln!(
            "skipped: the hard descriptor limit ({hard}) is below {} connections",
            CONNECTIONS
        );
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    set_soft_nofile(hard);
    asyncio::run(async {
        let peak = std::rc::Rc::new(std::cell::Cell::new(0usize));
        let server = {
            let peak = peak.clone();
            let server_cell: std::rc::Rc<std::cell::RefCell<Option<asyncio::streams::Server<_>>>> =
                Default::default();
            let cell = server_cell.clone();
            let server = start_server(
                move |mut r, w| {
                    let peak = peak.clone();
                    let cell = cell.clone();
                    async move {
                        let line = r.readline().await.unwrap();
                        w.write(&line).unwrap();
                        if let Some(s) = &*cell.borrow() {
                            peak.set(peak.get().max(s.client_count()));
                        }
                        // Hold until the client leaves.
                        while !r.read(1024).await.unwrap_or_default().is_empty() {}
                    }
                },
                "127.0.0.1:0",
            )
            .await
            .unwrap();
            *server_cell.borrow_mut() = Some(server.clone());
            server
        };
        let addr = server.local_addr().unwrap().to_string();
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "client_helper", "--ignored", "--nocapture"])
            .env("ASYNCIO_TEST_SERVER", addr)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = asyncio::blocking::to_thread(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "client helper failed: {stdout}");
        assert!(stdout.contains(&format!("held {CONNECTIONS}")), "{stdout}");
        assert_eq!(peak.get(), CONNECTIONS, "all connections were open at once");
        server.close();
        server.wait_closed().await;
    });
}
