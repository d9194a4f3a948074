//! Seed 004, "Async HTTP Requests with aiohttp": `fetch(url)` opens a session, GETs the page
//! and returns its text; `main` prints the first 100 characters. The page is served locally in
//! place of www.example.com.

#[path = "support/site.rs"]
mod site;

use asyncio_http::ClientSession;

async fn fetch(url: &str) -> asyncio_http::Result<String> {
    let session = ClientSession::new();
    let response = session.get(url).send().await?;
    response.text().await
}

#[asyncio::main]
async fn main() {
    let url = format!("{}/www.example.com", site::start());
    let html = fetch(&url).await.unwrap();
    println!("{}", html.chars().take(100).collect::<String>());
}
