//! What an in-flight request costs in memory: its future. Connecting (DNS, Happy Eyeballs,
//! TLS, the handshake) is boxed, so a request on a pooled connection carries none of it; the
//! whole `send()` future was 11.8 KB with it inline (3.8 KB now), which made every in-flight
//! request of a crawl that much larger.

#[test]
fn a_request_future_does_not_carry_the_connect_state() {
    asyncio::run(async {
        let session = asyncio_http::ClientSession::new();
        let send = session.get("http://127.0.0.1:9/").send();
        let size = std::mem::size_of_val(&send);
        assert!(size <= 6 * 1024, "send() future is {size} bytes");
    });
}
