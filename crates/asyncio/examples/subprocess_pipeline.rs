//! A subprocess pipeline, `seq 1 100000 | grep 7 | wc -l`: each child's stdout becomes the
//! next one's stdin directly (the pipe's descriptor is handed over, no copying through this
//! program), and the last one's output is read asynchronously.

use std::process::Stdio;

use asyncio::process::Command;
use asyncio::streams::StreamReader;

#[asyncio::main]
async fn main() -> std::io::Result<()> {
    let mut seq = Command::new("seq")
        .args(["1", "100000"])
        .stdout(Stdio::piped())
        .spawn()?;
    let seq_out = seq.stdout.take().expect("piped").into_owned_fd();
    let mut grep = Command::new("grep")
        .arg("7")
        .stdin(Stdio::from(seq_out))
        .stdout(Stdio::piped())
        .spawn()?;
    let grep_out = grep.stdout.take().expect("piped").into_owned_fd();
    let mut wc = Command::new("wc")
        .arg("-l")
        .stdin(Stdio::from(grep_out))
        .stdout(Stdio::piped())
        .spawn()?;
    let mut lines = StreamReader::new(wc.stdout.take().expect("piped"));
    let count = String::from_utf8_lossy(&lines.readline().await?)
        .trim()
        .to_owned();
    for (name, child) in [("seq", &mut seq), ("grep", &mut grep), ("wc", &mut wc)] {
        println!(
            "{name} exited with {}",
            child.wait().await?.code().unwrap_or(-1)
        );
    }
    println!("numbers from 1 to 100000 containing a 7: {count}");
    Ok(())
}
