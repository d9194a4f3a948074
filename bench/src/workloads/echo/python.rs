//! The Python servers: asyncio streams, and uvloop, from a venv the harness makes on first use
//! (`target/bench-venv`, `pip install uvloop`). Without python3, or when pip cannot reach its
//! registry, those runtimes are left out with a note.

use std::path::PathBuf;
use std::process::Command;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/echo_server.py")
}

fn venv() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-venv")
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
    python_with(&["uvloop"])
}

/// The venv's python, with `packages` installed (made and installed on first use).
pub(crate) fn python_with(packages: &[&str]) -> Result<PathBuf, String> {
    let dir = venv();
    let py = dir.join("bin/python");
    let imports = format!("import {}", packages.join(", "));
    let ok = |p: &PathBuf| {
        Command::new(p)
            .args(["-c", &imports])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ok(&py) {
        return Ok(py);
    }
    if !py.exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .output()
            .map_err(|e| format!("left out: no python3 ({e})"))?;
        if !made.status.success() {
            return Err(format!(
                "left out: cannot make a venv: {}",
                String::from_utf8_lossy(&made.stderr)
            ));
        }
    }
    let pip = Command::new(&py)
        .args(["-m", "pip", "install", "--quiet"])
        .args(packages)
        .output()
        .map_err(|e| format!("left out: {e}"))?;
    if !pip.status.success() || !ok(&py) {
        return Err(format!(
            "left out: pip install {} failed: {}",
            packages.join(" "),
            String::from_utf8_lossy(&pip.stderr)
        ));
    }
    Ok(py)
}
