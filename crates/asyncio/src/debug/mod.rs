//! Seeing inside a running program from outside it: a task dump over a Unix socket.
//!
//! A program opts in with one call, [`listen`], on each loop it wants seen. Any other process of
//! the same user can then ask for the tasks with [`query`] — or the `asyncio-ps` command, which
//! prints them as a table, or with `--tree` as the tree of which task awaits which (Python
//! 3.14's `python -m asyncio ps` and `pstree`).
//!
//! The socket is `$XDG_RUNTIME_DIR/asyncio-rs-<pid>.sock`, or, without that directory,
//! `<temp dir>/asyncio-rs-<uid>/<pid>.sock` in a directory only the user can enter; the socket
//! itself is readable and writable by the user only, and the server also refuses a peer whose
//! credentials show another user.
//!
//! ```no_run
//! asyncio::run(async {
//!     asyncio::debug::listen().expect("debug socket");
//!     // ... the program; meanwhile `asyncio-ps <pid>` shows its tasks.
//! });
//! ```

mod listen;
mod query;

pub use listen::{listen, socket_path};
pub use query::{query, query_at, render_table, render_tree, TaskRecord};
