//! `asyncio-ps PID [--tree] [--socket PATH]`: the tasks of a running asyncio-rs program that
//! called `asyncio::debug::listen()` — as a table (id, name, state, the task awaiting it, where
//! it was spawned), or with `--tree` as the tree of which task awaits which.

use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: asyncio-ps PID [--tree] [--socket PATH]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut pid = None;
    let mut tree = false;
    let mut socket = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--tree" => tree = true,
            "--socket" => match args.next() {
                Some(p) => socket = Some(std::path::PathBuf::from(p)),
                None => return usage(),
            },
            "-h" | "--help" => {
                println!("usage: asyncio-ps PID [--tree] [--socket PATH]");
                println!("The tasks of a running asyncio-rs program that called");
                println!("asyncio::debug::listen(); --tree draws which task awaits which.");
                return ExitCode::SUCCESS;
            }
            n => match n.parse::<u32>() {
                Ok(p) if pid.is_none() => pid = Some(p),
                _ => return usage(),
            },
        }
    }
    let Some(pid) = pid else { return usage() };
    let path = socket.unwrap_or_else(|| asyncio::debug::socket_path(pid));
    match asyncio::debug::query_at(&path, pid) {
        Ok(tasks) => {
            if tree {
                print!("{}", asyncio::debug::render_tree(&tasks));
            } else {
                print!("{}", asyncio::debug::render_table(&tasks));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("asyncio-ps: {e}");
            ExitCode::FAILURE
        }
    }
}
