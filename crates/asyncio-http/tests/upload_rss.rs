//! A 1 GiB file uploaded as a multipart part keeps the process's peak RSS under 64 MiB: the
//! client reads it from disk as the connection takes it, and the server's upload route
//! parses it as a stream. Its own test binary, so the peak is this test's alone.

use asyncio_http::server::{serve, Response, Router, UploadLimits};
use asyncio_http::{ClientSession, Form, Part};

/// The process's peak resident set (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[test]
fn a_one_gib_upload_stays_under_64_mib_of_rss() {
    const SIZE: u64 = 1 << 30;
    let path = std::env::temp_dir().join(format!("asyncio-http-1gib-{}", std::process::id()));
    // Sparse: no disk space used, read back as zeros.
    std::fs::File::create(&path).unwrap().set_len(SIZE).unwrap();
    let received = asyncio::run(async {
        let limits = UploadLimits {
            body: 2 << 30,
            field: 2 << 30,
        };
        let router = Router::new().upload("/up", limits, |_req, mut mp| async move {
            let mut total = 0u64;
            while let Ok(Some(mut field)) = mp.next_field().await {
                while let Ok(Some(chunk)) = field.chunk().await {
                    total += chunk.len() as u64;
                }
            }
            Response::text(total.to_string())
        });
        let server = serve("127.0.0.1:0", router).await.unwrap();
        let url = format!("http://{}/up", server.local_addr().unwrap());
        let form = Form::new().part("big", Part::file(&path).await.unwrap());
        let resp = ClientSession::new()
            .post(&url)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let text = resp.text().await.unwrap();
        server.shutdown(std::time::Duration::from_secs(1)).await;
        text
    });
    std::fs::remove_file(&path).unwrap();
    assert_eq!(received, SIZE.to_string());
    let peak = peak_rss();
    assert!(peak < 64 << 20, "peak RSS {} MiB", peak >> 20);
    eprintln!("peak RSS {} MiB for a 1 GiB upload", peak >> 20);
}
