//! A Redis connection on the running loop, for the shared job (`--redis`).
//!
//! The protocol comes from redis-rs (commands packed by `redis::Cmd`, replies parsed by its
//! `redis::Parser`, typed by `FromRedisValue`); this module only carries the bytes, on an
//! asyncio-rs `TcpStream`. redis-rs's own async connections compile only with its `tokio-comp`
//! or `smol-comp` feature, each of which brings a second runtime (tokio's `rt`, `net` and
//! `time`, or smol): the project runs on its own loop only.
//!
//! Commands are pipelined: a call appends its command to the write buffer and its promise to
//! the queue of replies, a writer task sends the buffer, and a reader task hands each reply to
//! the oldest promise (Redis answers in order). Every task of the loop can share one
//! connection.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

use asyncio::future::Promise;
use asyncio::net::TcpStream;
use asyncio::sync::Event;
use redis::{Cmd, FromRedisValue, Value};

/// Where a job's Redis is: `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    host: String,
    port: u16,
    db: i64,
    user: Option<String>,
    password: Option<String>,
}

impl Address {
    /// Parses a `redis://` URL (with redis-rs's URL rules).
    ///
    /// # Errors
    /// Another scheme (TLS and Unix sockets are not supported), or what redis-rs refuses: no
    /// host, a database that is not a number, bad percent-encoding.
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        if !s.starts_with("redis://") {
            let scheme = s.split_once("://").map_or(s, |(scheme, _)| scheme);
            return Err(format!(
                "{s:?}: only redis:// URLs are supported (not {scheme}://)"
            ));
        }
        let info = redis::IntoConnectionInfo::into_connection_info(s)
            .map_err(|e| format!("not a usable Redis URL {s:?}: {e}"))?;
        let redis::ConnectionAddr::Tcp(host, port) = info.addr() else {
            return Err(format!("{s:?}: only plain TCP connections are supported"));
        };
        let settings = info.redis_settings();
        Ok(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: *port,
            db: settings.db(),
            user: settings.username().map(str::to_owned),
            password: settings.password().map(str::to_owned),
        })
    }
}

struct Inner {
    stream: TcpStream,
    /// Commands not sent yet.
    out: RefCell<Vec<u8>>,
    /// One promise per command sent or buffered, oldest first.
    waiting: RefCell<VecDeque<Promise<Value, String>>>,
    /// Set when `out` has something for the writer.
    wake: Event,
    /// Why the connection is unusable (every later call fails with it).
    broken: RefCell<Option<String>>,
}

impl Inner {
    /// Fails every waiting call and every later one with `why`.
    fn break_with(&self, why: String) {
        self.broken.borrow_mut().get_or_insert(why.clone());
        for p in self.waiting.borrow_mut().drain(..) {
            let _ = p.set_error(why.clone());
        }
    }
}

/// A pipelined connection to one Redis server, for the tasks of one loop. Cheap to clone; the
/// connection closes when the last clone is dropped.
#[derive(Clone)]
pub(crate) struct Connection {
    inner: Rc<Inner>,
    _tasks: Rc<Tasks>,
}

struct Tasks(Vec<asyncio::task::Task>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for t in &self.0 {
            t.cancel();
        }
    }
}

impl Connection {
    /// Connects, authenticates (`AUTH`) and selects the database (`SELECT`).
    ///
    /// # Errors
    /// The server cannot be reached, or refuses the password or the database.
    pub(crate) async fn open(address: &Address) -> Result<Self, String> {
        let at = format!("{}:{}", address.host, address.port);
        let stream = TcpStream::connect(at.as_str())
            .await
            .map_err(|e| format!("cannot reach Redis at {at}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let inner = Rc::new(Inner {
            stream,
            out: RefCell::new(Vec::new()),
            waiting: RefCell::new(VecDeque::new()),
            wake: Event::new(),
            broken: RefCell::new(None),
        });
        let writer = asyncio::spawn(write_loop(inner.clone()));
        let reader = asyncio::spawn(read_loop(inner.clone()));
        let conn = Self {
            inner,
            _tasks: Rc::new(Tasks(vec![writer.task().clone(), reader.task().clone()])),
        };
        if let Some(password) = &address.password {
            let mut auth = redis::cmd("AUTH");
            if let Some(user) = &address.user {
                auth.arg(user);
            }
            auth.arg(password);
            conn.query::<()>(&auth)
                .await
                .map_err(|e| format!("Redis at {at} refused the password: {e}"))?;
        }
        if address.db != 0 {
            conn.query::<()>(redis::cmd("SELECT").arg(address.db))
                .await
                .map_err(|e| format!("Redis at {at}: database {}: {e}", address.db))?;
        }
        Ok(conn)
    }

    /// Sends `cmd` and waits for its reply.
    ///
    /// # Errors
    /// The server's error reply, a reply of another type than `T`, or a broken connection.
    ///
    /// # Cancel safety
    /// Dropping the future does not take the command back: it is sent (if it was not yet) and
    /// its reply is read and dropped, so later calls still get their own replies.
    pub(crate) async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, String> {
        typed(self.reply(cmd).await?)
    }

    /// Sends `cmd` and waits for its reply, an error reply included.
    async fn reply(&self, cmd: &Cmd) -> Result<Value, String> {
        self.send(cmd)?.await.map_err(|e| match e {
            asyncio::future::PromiseError::Failed(why) => why,
            other => other.to_string(),
        })
    }

    /// Sends `cmd` without waiting for its reply (which is read and dropped).
    pub(crate) fn send_and_forget(&self, cmd: &Cmd) {
        let _ = self.send(cmd);
    }

    fn send(&self, cmd: &Cmd) -> Result<Promise<Value, String>, String> {
        if let Some(why) = self.inner.broken.borrow().as_ref() {
            return Err(why.clone());
        }
        let reply = Promise::new();
        cmd.write_packed_command(&mut self.inner.out.borrow_mut());
        self.inner.waiting.borrow_mut().push_back(reply.clone());
        self.inner.wake.set();
        Ok(reply)
    }

    /// Runs a Lua script by its SHA-1 (`EVALSHA`), sending its text (`EVAL`) when the server
    /// does not have it yet.
    ///
    /// # Errors
    /// As [`query`](Self::query).
    ///
    /// # Cancel safety
    /// As [`query`](Self::query): a started script runs to its end on the server.
    pub(crate) async fn eval<T: FromRedisValue>(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[&[u8]],
    ) -> Result<T, String> {
        let call = |name: &str, first: &str| {
            let mut c = redis::cmd(name);
            c.arg(first).arg(keys.len()).arg(keys);
            for a in args {
                c.arg(*a);
            }
            c
        };
        match self.reply(&call("EVALSHA", &script.sha1)).await? {
            Value::ServerError(e) if e.code() == "NOSCRIPT" => {
                self.query(&call("EVAL", script.text)).await
            }
            reply => typed(reply),
        }
    }
}

/// A reply as `T`, or the server's error.
fn typed<T: FromRedisValue>(reply: Value) -> Result<T, String> {
    if let Value::ServerError(e) = reply {
        return Err(redis::RedisError::from(e).to_string());
    }
    redis::from_redis_value(reply).map_err(|e| e.to_string())
}

/// A Lua script and its SHA-1 (the name `EVALSHA` knows it by).
pub(crate) struct Script {
    text: &'static str,
    sha1: String,
}

impl Script {
    pub(crate) fn new(text: &'static str) -> Self {
        use sha1::Digest;
        let digest = sha1::Sha1::digest(text.as_bytes());
        Self {
            text,
            sha1: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

async fn write_loop(inner: Rc<Inner>) {
    loop {
        inner.wake.wait().await;
        inner.wake.clear();
        let buf = std::mem::take(&mut *inner.out.borrow_mut());
        if buf.is_empty() {
            continue;
        }
        if let Err(e) = inner.stream.write_all(&buf).await {
            inner.break_with(format!("writing to Redis failed: {e}"));
            return;
        }
    }
}

/// The bytes read so far, for the parser: it takes what is there and is told to wait
/// (`WouldBlock`) when they run out; its decoder keeps a partial reply for the next read.
struct Received<'a> {
    bytes: &'a [u8],
}

impl Read for Received<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.bytes.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// Hands every complete reply in `bytes` to the oldest waiting call; returns the replies'
/// count, or the protocol error that makes the rest of the stream unreadable.
fn deliver(parser: &mut redis::Parser, bytes: &[u8], inner: &Inner) -> Result<usize, String> {
    let mut received = Received { bytes };
    let mut n = 0;
    loop {
        match parser.parse_value(&mut received) {
            Ok(value) => {
                n += 1;
                let Some(p) = inner.waiting.borrow_mut().pop_front() else {
                    return Err("Redis sent a reply nobody asked for".to_owned());
                };
                let _ = p.set_result(value);
            }
            // Only `Received` fails with I/O, and only to say "more later".
            Err(e) if e.is_io_error() => return Ok(n),
            Err(e) => return Err(format!("Redis sent an unreadable reply: {e}")),
        }
    }
}

async fn read_loop(inner: Rc<Inner>) {
    let mut parser = redis::Parser::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match inner.stream.read(&mut buf).await {
            Ok(0) => {
                inner.break_with("Redis closed the connection".to_owned());
                return;
            }
            Ok(n) => n,
            Err(e) => {
                inner.break_with(format!("reading from Redis failed: {e}"));
                return;
            }
        };
        if let Err(why) = deliver(&mut parser, &buf[..n], &inner) {
            inner.break_with(why);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let a = Address::parse("redis://127.0.0.1:6390/3").unwrap();
        assert_eq!((a.host.as_str(), a.port, a.db), ("127.0.0.1", 6390, 3));
        assert_eq!((a.user, a.password), (None, None));
        let a = Address::parse("redis://:s%40cret@example.com").unwrap();
        assert_eq!((a.port, a.db), (6379, 0));
        assert_eq!(a.password.as_deref(), Some("s@cret"));
        let a = Address::parse("redis://bob:pw@[::1]:7000/").unwrap();
        assert_eq!((a.host.as_str(), a.user.as_deref()), ("::1", Some("bob")));
        assert!(Address::parse("rediss://h")
            .unwrap_err()
            .contains("only redis://"));
        assert!(Address::parse("redis://h/x")
            .unwrap_err()
            .contains("number"));
    }

    #[test]
    fn replies_split_anywhere_are_delivered_whole_and_in_order() {
        let stream = b"+OK\r\n*2\r\n$5\r\nhello\r\n:42\r\n-ERR bad\r\n$-1\r\n";
        for cut in 1..stream.len() {
            asyncio::run(async {
                let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let inner = Inner {
                    stream: TcpStream::connect(a.local_addr().unwrap()).await.unwrap(),
                    out: RefCell::new(Vec::new()),
                    waiting: RefCell::new(VecDeque::new()),
                    wake: Event::new(),
                    broken: RefCell::new(None),
                };
                let promises: Vec<Promise<Value, String>> =
                    (0..4).map(|_| Promise::new()).collect();
                inner.waiting.borrow_mut().extend(promises.iter().cloned());
                let mut parser = redis::Parser::new();
                let first = deliver(&mut parser, &stream[..cut], &inner).unwrap();
                let second = deliver(&mut parser, &stream[cut..], &inner).unwrap();
                assert_eq!(first + second, 4, "cut at {cut}");
                let got: Vec<Value> = promises
                    .into_iter()
                    .map(|p| p.result().unwrap().unwrap())
                    .collect();
                assert_eq!(got[0], Value::Okay);
                assert_eq!(
                    got[1],
                    Value::Array(vec![Value::BulkString(b"hello".to_vec()), Value::Int(42)])
                );
                assert!(matches!(got[2], Value::ServerError(_)));
                assert_eq!(got[3], Value::Nil);
            });
        }
    }
}
