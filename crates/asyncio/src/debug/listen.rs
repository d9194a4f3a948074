//! The server side: [`listen`] registers the running loop and starts (once per process) the
//! thread that answers on the socket.

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use crate::event_loop::RemoteHandle;
use crate::sys::{euid, peer_uid};

/// The loops registered by [`listen`], in order.
static LOOPS: Mutex<Vec<RemoteHandle>> = Mutex::new(Vec::new());
/// The socket's path, once the server thread runs (the lock also makes loops that call
/// [`listen`] at once start one server between them).
static SERVER: Mutex<Option<PathBuf>> = Mutex::new(None);

/// How long a loop may take to answer (a loop busy in a long callback is reported as such).
const LOOP_ANSWER: Duration = Duration::from_secs(2);

/// The socket a process with id `pid` listens on (see the [module](super) docs).
pub fn socket_path(pid: u32) -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        if dir.is_dir() {
            return dir.join(format!("asyncio-rs-{pid}.sock"));
        }
    }
    private_dir().join(format!("{pid}.sock"))
}

/// `<temp dir>/asyncio-rs-<uid>`, the fallback directory.
fn private_dir() -> PathBuf {
    std::env::temp_dir().join(format!("asyncio-rs-{}", euid()))
}

/// Makes the running loop's tasks visible to [`query`](super::query) and `asyncio-ps` from
/// other processes of the same user; returns the socket's path. Call it on each loop to be
/// seen (a [`Runtime`](crate::cores::Runtime)'s loops each call it); the first call starts a
/// thread that serves the socket for the rest of the process's life and removes a stale socket
/// file left by an earlier process with the same id.
///
/// # Errors
/// The socket cannot be made (no writable runtime or temp directory), or the fallback
/// directory belongs to another user.
///
/// # Panics
/// If no loop is running on this thread.
pub fn listen() -> io::Result<PathBuf> {
    let remote = crate::get_running_loop().remote();
    let mut server = SERVER.lock().unwrap_or_else(|p| p.into_inner());
    if server.is_none() {
        let path = socket_path(std::process::id());
        let listener = bind_private(&path)?;
        std::thread::Builder::new()
            .name("asyncio-debug".into())
            .spawn(move || serve(&listener))?;
        *server = Some(path);
    }
    LOOPS.lock().unwrap_or_else(|p| p.into_inner()).push(remote);
    Ok(server.clone().unwrap_or_default())
}

/// Binds the socket so that only this user can reach it.
fn bind_private(path: &std::path::Path) -> io::Result<UnixListener> {
    let dir = path.parent().unwrap_or(std::path::Path::new("/"));
    if dir == private_dir() {
        match std::fs::create_dir(dir) {
            Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                use std::os::unix::fs::MetadataExt;
                let meta = std::fs::symlink_metadata(dir)?;
                if !meta.is_dir() || meta.uid() != euid() || meta.mode() & 0o077 != 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!("{} is not a private directory of this user", dir.display()),
                    ));
                }
            }
            Err(e) => return Err(e),
        }
    }
    // A socket left by an earlier process with our id (it died without cleaning up), and
    // those of other processes of ours that are gone.
    let _ = std::fs::remove_file(path);
    prune_stale(dir);
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Removes the debug sockets in `dir` whose process no longer exists (the socket of a process
/// that was killed stays behind).
fn prune_stale(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let pid = name
            .strip_prefix("asyncio-rs-")
            .unwrap_or(name)
            .strip_suffix(".sock")
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

fn serve(listener: &UnixListener) {
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        if !same_user(&conn) {
            continue; // dropped: another user's process
        }
        let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = answer(conn);
    }
}

/// Whether the peer runs as this process's user (`SO_PEERCRED`).
fn same_user(conn: &UnixStream) -> bool {
    use std::os::fd::AsRawFd;
    peer_uid(conn.as_raw_fd()).is_ok_and(|uid| uid == euid())
}

/// One request: a line naming what is asked (`tasks`), answered with the dump.
fn answer(conn: UnixStream) -> io::Result<()> {
    let mut line = String::new();
    BufReader::new(&conn).read_line(&mut line)?;
    let mut out = io::BufWriter::new(&conn);
    if line.trim() != "tasks" {
        writeln!(out, "error\tunknown request {:?}", line.trim())?;
        return out.flush();
    }
    writeln!(out, "asyncio-rs tasks 1")?;
    let loops: Vec<RemoteHandle> = LOOPS.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for (i, remote) in loops.iter().enumerate() {
        let (tx, rx) = mpsc::channel();
        if remote
            .call_soon_threadsafe(move || {
                let _ = tx.send(snapshot());
            })
            .is_err()
        {
            continue; // that loop is closed
        }
        match rx.recv_timeout(LOOP_ANSWER) {
            Ok(rows) => {
                writeln!(out, "loop\t{i}")?;
                for r in rows {
                    writeln!(out, "task\t{i}\t{r}")?;
                }
            }
            Err(_) => writeln!(out, "busy\t{i}")?,
        }
    }
    writeln!(out, "end")?;
    out.flush()
}

/// The running loop's tasks, one line each (`id, state, awaited by, spawned at, name`, tab
/// separated), taken on the loop's own thread.
fn snapshot() -> Vec<String> {
    crate::all_tasks()
        .iter()
        .map(|t| {
            let awaited = t
                .awaited_by()
                .map_or_else(|| "-".to_owned(), |id| id.to_string());
            let name = t.name().replace(['\t', '\n'], " ");
            format!(
                "{}\t{}\t{}\t{}\t{}",
                t.id(),
                t.state(),
                awaited,
                t.location(),
                name
            )
        })
        .collect()
}
