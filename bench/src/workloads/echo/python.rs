//! The Python servers: asyncio streams, and uvloop, from a venv the harness makes on first use
//! (`target/bench-venv`, `pip install uvloop`). Without python3, or when pip cannot reach its
//! registry, those runtimes are left out with a note.

use std::path::PathBuf;
use std::process::Command;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/echo_server.py")
}

/// The command that starts the `runtime` server.
pub(super) fn command(runtime: &str) -> Result<Command, String> {
    let python = match runtime {
        "uvloop" => ensure_venv()?,
        _ => PathBuf::from("python3"),
    };
    let mut c = Command::new(python);
    c.arg(script()).arg(if runtime == "uvloop" {
        "uvloop"
    } else {
        "asyncio"
    });
    Ok(c)
}

/// The command that starts the asyncio streams echo server on `runtime`'s Python loop
/// (`py-echo-streams`): CPython's own, uvloop, rloop or asyncio_rs.
pub(super) fn streams_command(runtime: &str) -> Result<Command, String> {
    let python = super::super::pyloop::python_for(runtime)?;
    let name = super::super::pyloop::loop_name(runtime);
    let mut c = Command::new(python);
    c.arg(script()).arg("streams").arg(name);
    Ok(c)
}

fn ensure_venv() -> Result<PathBuf, String> {
    super::super::support::python_with(&["uvloop"])
}
