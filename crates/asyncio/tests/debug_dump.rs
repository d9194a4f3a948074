//! `asyncio::debug`: another process (here, the test's blocking thread and the `asyncio-ps`
//! binary) reads a running loop's tasks through the debug socket: a known tree of tasks
//! comes back with who awaits whom; a stale or missing socket is a clear error; another user
//! cannot connect.

use std::os::unix::fs::MetadataExt;
use std::process::Command;
use std::rc::Rc;

use asyncio::debug::TaskRecord;
use asyncio::task::Builder;

fn find<'a>(tasks: &'a [TaskRecord], name: &str) -> &'a TaskRecord {
    tasks
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no task {name} in {tasks:?}"))
}

#[test]
fn a_known_tree_of_tasks_is_dumped_from_outside() {
    asyncio::run(async {
        asyncio::debug::listen().expect("listen");
        let started = Rc::new(asyncio::sync::Event::new());
        let s = started.clone();
        let parent = Builder::new().name("tree-parent").spawn(async move {
            let child = Builder::new().name("tree-child").spawn(async move {
                let grandchild = Builder::new().name("tree-grandchild").spawn(async move {
                    s.set();
                    std::future::pending::<()>().await;
                });
                let _ = grandchild.await;
            });
            let _ = child.await;
        });
        // By the time the grandchild runs, its parent and grandparent await their handles.
        started.wait().await;
        let pid = std::process::id();
        let tasks = asyncio::blocking::to_thread(move || asyncio::debug::query(pid))
            .await
            .expect("the thread")
            .expect("query");
        let (p, c, g) = (
            find(&tasks, "tree-parent"),
            find(&tasks, "tree-child"),
            find(&tasks, "tree-grandchild"),
        );
        assert_eq!(p.awaited_by, None, "nothing awaits the parent");
        assert_eq!(c.awaited_by, Some(p.id));
        assert_eq!(g.awaited_by, Some(c.id));
        assert!(g.spawned_at.contains("debug_dump.rs"), "{}", g.spawned_at);
        assert_eq!(g.state, "waiting");

        // The command-line tool draws the same tree.
        let out = asyncio::blocking::to_thread(move || {
            Command::new(env!("CARGO_BIN_EXE_asyncio-ps"))
                .args([&pid.to_string(), "--tree"])
                .output()
        })
        .await
        .expect("the thread")
        .expect("asyncio-ps");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let want = format!(
            "{} tree-parent (waiting)\n└── {} tree-child (waiting)\n    └── {} tree-grandchild (waiting)\n",
            p.id, c.id, g.id
        );
        assert!(text.contains(&want), "tree:\n{text}\nwanted:\n{want}");
        parent.cancel();
    });
}

#[test]
fn a_missing_or_stale_socket_is_a_clear_error() {
    // A process id that no process has now: a child that has been reaped. Its socket is put in
    // a directory of the test's own, where no `listen` prunes it meanwhile.
    let mut child = Command::new("true").spawn().expect("true");
    let pid = child.id();
    child.wait().expect("wait");
    let dir = std::env::temp_dir().join(format!("asyncio-debug-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("{pid}.sock"));
    let missing = asyncio::debug::query_at(&path, pid).expect_err("no socket");
    assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    assert!(
        missing
            .to_string()
            .contains("did not call asyncio::debug::listen()"),
        "{missing}"
    );
    // A socket file whose process is gone (bound, then closed without removing it).
    drop(std::os::unix::net::UnixListener::bind(&path).expect("bind"));
    let stale = asyncio::debug::query_at(&path, pid).expect_err("stale socket");
    assert_eq!(stale.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(stale.to_string().contains("is stale"), "{stale}");
    // The tool says the same and fails.
    let out = Command::new(env!("CARGO_BIN_EXE_asyncio-ps"))
        .arg(pid.to_string())
        .arg("--socket")
        .arg(&path)
        .output()
        .expect("asyncio-ps");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is stale"));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn another_user_cannot_connect() {
    asyncio::run(async {
        let path = asyncio::debug::listen().expect("listen");
        let meta = std::fs::metadata(&path).expect("socket");
        assert_eq!(meta.mode() & 0o777, 0o600, "the socket is the user's only");
        // SAFETY: `geteuid` has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        assert_eq!(meta.uid(), me);
        if me != 0 {
            println!("SKIP: the connection attempt as another user needs root (to setuid)");
            return;
        }
        let outcome = asyncio::blocking::to_thread(move || connect_as_nobody(&path))
            .await
            .expect("the thread");
        assert_eq!(
            outcome,
            Some(0),
            "as user 65534: 0 = refused (EACCES), 1 = connected"
        );
    });
}

/// Forks a child that becomes user 65534 (nobody) and tries to connect to `path`; its exit
/// code says what happened (0: permission denied, 1: connected, 2: another error).
fn connect_as_nobody(path: &std::path::Path) -> Option<i32> {
    use std::os::unix::process::CommandExt;
    // The address is built before the fork: the child only makes system calls.
    // SAFETY: a zeroed sockaddr_un is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_encoded_bytes();
    assert!(bytes.len() < addr.sun_path.len());
    for (d, s) in addr.sun_path.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    let mut cmd = Command::new("true");
    // SAFETY: the closure runs in the forked child and only makes async-signal-safe system
    // calls (setgid, setuid, socket, connect, _exit) on data prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setgid(65534) != 0 || libc::setuid(65534) != 0 {
                libc::_exit(3);
            }
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
            let rc = libc::connect(
                fd,
                (&addr as *const libc::sockaddr_un).cast(),
                std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t,
            );
            let errno = *libc::__errno_location();
            libc::_exit(match (rc, errno) {
                (0, _) => 1,
                (_, libc::EACCES) => 0,
                _ => 2,
            });
        });
    }
    let status = cmd.status().ok()?;
    status.code()
}
