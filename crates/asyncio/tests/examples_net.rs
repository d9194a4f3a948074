//! The networking examples run and say what they should.

use std::path::PathBuf;
use std::process::Command;

fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join(name))
        .expect("target directory layout")
}

fn run(name: &str) -> String {
    let out = Command::new(example_path(name))
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(out.status.success(), "{name}: {}", out.status);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn echo_streams_round_trips() {
    assert_eq!(
        run("echo_streams"),
        "Received: Hello World!\nReceived: and again\nServer closed\n"
    );
}

#[test]
fn echo_protocol_round_trips() {
    assert_eq!(
        run("echo_protocol"),
        "Data sent: Hello World!\nData received: Hello World!\nThe server closed the connection\n"
    );
}

#[test]
fn chat_broadcasts_to_the_others() {
    let out = run("chat_server");
    for who in ["ann", "bob"] {
        for line in ["* cy joined", "<cy> hello all", "<cy> bye"] {
            assert!(out.contains(&format!("{who} heard: {line}\n")), "{out}");
        }
    }
    assert!(!out.contains("cy heard"), "{out}");
}

#[cfg(feature = "tls")]
#[test]
fn tls_echo_verifies_and_round_trips() {
    let out = run("tls_echo");
    assert!(out.contains("Negotiated ALPN: echo/1\n"), "{out}");
    assert!(out.ends_with("Received: Hello over TLS\n"), "{out}");
}

#[cfg(feature = "hyper")]
#[test]
fn hyper_server_answers_http() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;
    let mut child = Command::new(example_path("hyper_server"))
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .trim_start_matches("listening on http://")
        .to_owned();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"), "{resp}");
    assert!(resp.ends_with("Hello, World!"), "{resp}");
}
