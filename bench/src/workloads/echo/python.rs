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

fn ensure_venv() -> Result<PathBuf, String> {
    let dir = venv();
    let py = dir.join("bin/python");
    let ok = |p: &PathBuf| {
        Command::new(p)
            .args(["-c", "import uvloop"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ok(&py) {
        return Ok(py);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&dir)
        .output()
        .map_err(|e| format!("uvloop left out: no python3 ({e})"))?;
    if !made.status.success() {
        return Err(format!(
            "uvloop left out: cannot make a venv: {}",
            String::from_utf8_lossy(&made.stderr)
        ));
    }
    let pip = Command::new(&py)
        .args(["-m", "pip", "install", "--quiet", "uvloop"])
        .output()
        .map_err(|e| format!("uvloop left out: {e}"))?;
    if !pip.status.success() || !ok(&py) {
        return Err(format!(
            "uvloop left out: pip install uvloop failed: {}",
            String::from_utf8_lossy(&pip.stderr)
        ));
    }
    Ok(py)
}
