//! The client side: [`query`] asks a process for its tasks; [`render_table`] and
//! [`render_tree`] print them as `asyncio-ps` does.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// One task of another process, as [`query`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRecord {
    /// Which of the process's listening loops it belongs to (in the order they called
    /// [`listen`](super::listen)).
    pub loop_index: usize,
    /// The task's id (unique in its loop).
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its state (`pending`, `running`, `cancelling`, ...).
    pub state: String,
    /// Where it was spawned (`file:line:column`).
    pub spawned_at: String,
    /// The task awaiting it, when known.
    pub awaited_by: Option<u64>,
}

/// The tasks of process `pid`, through its debug socket.
///
/// # Errors
/// No socket (the program did not call [`listen`](super::listen), or has exited), a stale one
/// (the process died), no permission (another user's process), or a malformed answer — each
/// with a message that says which.
pub fn query(pid: u32) -> io::Result<Vec<TaskRecord>> {
    query_at(&super::socket_path(pid), pid)
}

/// As [`query`], at an explicit socket path.
///
/// # Errors
/// As [`query`].
pub fn query_at(path: &Path, pid: u32) -> io::Result<Vec<TaskRecord>> {
    let conn = UnixStream::connect(path).map_err(|e| {
        let why = match e.kind() {
            io::ErrorKind::NotFound => format!(
                "process {pid} has no asyncio-rs debug socket at {}: it did not call \
                 asyncio::debug::listen(), or it is not running",
                path.display()
            ),
            io::ErrorKind::ConnectionRefused => format!(
                "the debug socket {} is stale: no process {pid} listens on it (it exited \
                 without removing it)",
                path.display()
            ),
            io::ErrorKind::PermissionDenied => format!(
                "permission denied on {}: process {pid} belongs to another user",
                path.display()
            ),
            _ => format!("cannot reach {}: {e}", path.display()),
        };
        io::Error::new(e.kind(), why)
    })?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    (&conn).write_all(b"tasks\n")?;
    let mut tasks = Vec::new();
    let mut lines = BufReader::new(&conn).lines();
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    match lines.next().transpose()? {
        Some(h) if h.starts_with("asyncio-rs tasks ") => {}
        Some(h) => return Err(bad(&format!("not an asyncio-rs debug socket (said {h:?})"))),
        None => {
            return Err(bad(
                "the process closed the connection without answering (another user's?)",
            ))
        }
    }
    for line in lines {
        let line = line?;
        let fields: Vec<&str> = line.splitn(7, '\t').collect();
        match fields.as_slice() {
            ["end"] => return Ok(tasks),
            ["loop", _] | ["busy", _] => {}
            ["task", lp, id, state, awaited, at, name] => tasks.push(TaskRecord {
                loop_index: lp.parse().map_err(|_| bad("bad loop index"))?,
                id: id.parse().map_err(|_| bad("bad task id"))?,
                state: (*state).to_owned(),
                awaited_by: awaited.parse().ok(),
                spawned_at: (*at).to_owned(),
                name: (*name).to_owned(),
            }),
            _ => return Err(bad(&format!("unexpected line {line:?}"))),
        }
    }
    Err(bad("the answer ended early"))
}

/// The tasks as a table: loop, id, name, state, the task awaiting it, where it was spawned.
pub fn render_table(tasks: &[TaskRecord]) -> String {
    let header = ["loop", "id", "name", "state", "awaited by", "spawned at"];
    let rows: Vec<[String; 6]> = tasks
        .iter()
        .map(|t| {
            [
                t.loop_index.to_string(),
                t.id.to_string(),
                t.name.clone(),
                t.state.clone(),
                t.awaited_by
                    .map_or_else(|| "-".to_owned(), |a| a.to_string()),
                t.spawned_at.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 6]| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                let _ = write!(l, "{c:<w$}  ");
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]);
    }
    out
}

/// The awaiter tree: each task under the task that awaits it, roots (awaited by no task) at
/// the left, as `python -m asyncio pstree` draws it; with several loops, a heading per loop.
pub fn render_tree(tasks: &[TaskRecord]) -> String {
    // Ids are per loop, and a task awaits only tasks of its own loop.
    let ids: std::collections::HashSet<(usize, u64)> =
        tasks.iter().map(|t| (t.loop_index, t.id)).collect();
    let mut children: BTreeMap<(usize, u64), Vec<&TaskRecord>> = BTreeMap::new();
    let mut roots = Vec::new();
    for t in tasks {
        match t
            .awaited_by
            .map(|a| (t.loop_index, a))
            .filter(|k| ids.contains(k))
        {
            Some(parent) => children.entry(parent).or_default().push(t),
            None => roots.push(t),
        }
    }
    let loops: std::collections::BTreeSet<usize> = tasks.iter().map(|t| t.loop_index).collect();
    let mut out = String::new();
    fn walk(
        out: &mut String,
        t: &TaskRecord,
        children: &BTreeMap<(usize, u64), Vec<&TaskRecord>>,
        prefix: &str,
        last: bool,
        root: bool,
    ) {
        let (branch, next) = match (root, last) {
            (true, _) => ("", String::new()),
            (false, true) => ("└── ", format!("{prefix}    ")),
            (false, false) => ("├── ", format!("{prefix}│   ")),
        };
        let _ = writeln!(out, "{prefix}{branch}{} {} ({})", t.id, t.name, t.state);
        let kids = children
            .get(&(t.loop_index, t.id))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for (i, k) in kids.iter().enumerate() {
            walk(out, k, children, &next, i + 1 == kids.len(), false);
        }
    }
    for lp in &loops {
        if loops.len() > 1 {
            let _ = writeln!(out, "loop {lp}");
        }
        for t in roots.iter().filter(|t| t.loop_index == *lp) {
            walk(&mut out, t, &children, "", true, true);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: u64, name: &str, awaited_by: Option<u64>) -> TaskRecord {
        TaskRecord {
            loop_index: 0,
            id,
            name: name.into(),
            state: "pending".into(),
            spawned_at: "x.rs:1:1".into(),
            awaited_by,
        }
    }

    #[test]
    fn the_tree_puts_each_task_under_its_awaiter() {
        let tasks = [
            rec(1, "main", None),
            rec(2, "a", Some(1)),
            rec(3, "b", Some(1)),
            rec(4, "a1", Some(2)),
            rec(9, "orphan", Some(77)), // its awaiter is gone: a root
        ];
        assert_eq!(
            render_tree(&tasks),
            "1 main (pending)\n├── 2 a (pending)\n│   └── 4 a1 (pending)\n└── 3 b (pending)\n\
             9 orphan (pending)\n"
        );
    }

    #[test]
    fn ids_are_matched_within_their_loop() {
        let mut other = rec(2, "b", Some(1));
        other.loop_index = 1;
        let mut other_root = rec(1, "main1", None);
        other_root.loop_index = 1;
        let tasks = [
            rec(1, "main0", None),
            rec(2, "a", Some(1)),
            other_root,
            other,
        ];
        assert_eq!(
            render_tree(&tasks),
            "loop 0\n1 main0 (pending)\n└── 2 a (pending)\nloop 1\n1 main1 (pending)\n\
             └── 2 b (pending)\n"
        );
    }

    #[test]
    fn the_table_aligns_its_columns() {
        let t = render_table(&[rec(12, "worker", Some(1))]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "loop  id  name    state    awaited by  spawned at"
        );
        assert_eq!(lines[1], "0     12  worker  pending  1           x.rs:1:1");
    }
}
