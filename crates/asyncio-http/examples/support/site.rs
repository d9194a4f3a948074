//! The stand-in for the seeds' web sites (not reachable here): a local server on its own
//! thread and loop, whose pages answer after 100 ms.

use std::time::Duration;

use asyncio_http::server::{serve, Response, Router};

/// The seeds' sites, as paths of the local server.
#[allow(dead_code, reason = "not every example lists the sites")]
pub(crate) const SITES: [&str; 7] = [
    "google.com",
    "yahoo.com",
    "linkedin.com",
    "apple.com",
    "microsoft.com",
    "facebook.com",
    "twitter.com",
];

/// Starts the server; returns its `http://host:port` base.
pub(crate) fn start() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        asyncio::run(async move {
            let router = Router::new().get("/:site", |req| async move {
                asyncio::time::sleep(Duration::from_millis(100)).await;
                let site = req.param("site").unwrap_or("").to_owned();
                Response::html(format!(
                    "<!doctype html>\n<html>\n<head>\n    <title>{site}</title>\n</head>\n<body>\n<h1>{site}</h1>\n<p>A page served locally in place of {site}.</p>\n</body>\n</html>\n"
                ))
            });
            let server = serve("127.0.0.1:0", router).await.unwrap();
            tx.send(format!("http://{}", server.local_addr().unwrap()))
                .unwrap();
            server.serve_forever().await;
        });
    });
    rx.recv().unwrap()
}
