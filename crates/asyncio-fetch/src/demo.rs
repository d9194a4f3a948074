//! `--demo`: a local server on its own thread whose pages answer after a seeded random delay,
//! with some 404s, 500s, redirects and slow bodies; and, for `--crawl`, a generated site of
//! linked pages ([`crate::site`]).

use std::time::Duration;

use asyncio_http::server::{serve, Response, Router};
use asyncio_http::StatusCode;

use crate::site::mix;

/// The demo page's delay: mostly around `latency`, a few up to several times it.
fn delay(id: u64, latency_ms: u64) -> Duration {
    let r = mix(id);
    let spread = (r % 1000) as f64 / 1000.0;
    let factor = if r % 20 == 0 {
        4.0 + spread * 4.0
    } else {
        0.1 + spread * 1.8
    };
    Duration::from_micros((latency_ms as f64 * 1000.0 * factor) as u64)
}

/// Starts the demo server with its generated site of `pages` pages ([`crate::site`]);
/// returns its base URL.
pub(crate) fn start(latency_ms: u64, pages: u64) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        asyncio::Runner::new()
            .without_sigint_handling()
            .run(async move {
                let router =
                    crate::site::routes(Router::new(), pages.max(1), move |i| delay(i, latency_ms));
                let router = router.get("/page/:id", move |req| async move {
                    let raw = req.param("id").unwrap_or("0");
                    let id: u64 = raw.trim_end_matches('r').parse().unwrap_or(0);
                    asyncio::time::sleep(delay(id, latency_ms)).await;
                    let r = mix(id) % 100;
                    let redirected = raw.ends_with('r');
                    if !redirected && r < 3 {
                        return Response::redirect(StatusCode::FOUND, &format!("/page/{id}r"));
                    }
                    match r {
                        3..=6 => Response::text("not found").status(StatusCode::NOT_FOUND),
                        7..=8 => Response::text("oops").status(StatusCode::INTERNAL_SERVER_ERROR),
                        9 => {
                            // A slow body: four chunks, a short pause before each.
                            let chunks: Vec<bytes::Bytes> = (0..4)
                                .map(|i| bytes::Bytes::from(format!("<p>part {i}</p>")))
                                .collect();
                            Response::stream(Slow {
                                chunks: chunks.into_iter(),
                                sleep: None,
                            })
                            .header("content-type", "text/html")
                        }
                        _ => Response::html(format!(
                            "<html><head><title>page {id}</title></head><body>{}</body></html>",
                            "lorem ipsum ".repeat(40 + (mix(id) % 80) as usize)
                        )),
                    }
                });
                let server = serve("127.0.0.1:0", router).await.expect("demo server");
                tx.send(format!("http://{}", server.local_addr().expect("address")))
                    .expect("main thread waits");
                server.serve_forever().await;
            });
    });
    rx.recv().expect("the demo server starts")
}

/// A stream yielding each chunk after 20 ms.
struct Slow {
    chunks: std::vec::IntoIter<bytes::Bytes>,
    sleep: Option<std::pin::Pin<Box<asyncio::time::Sleep>>>,
}

impl futures_core::Stream for Slow {
    type Item = bytes::Bytes;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<bytes::Bytes>> {
        let this = &mut *self;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(asyncio::time::sleep(Duration::from_millis(20))));
        std::task::ready!(std::future::Future::poll(sleep.as_mut(), cx));
        this.sleep = None;
        std::task::Poll::Ready(this.chunks.next())
    }
}
