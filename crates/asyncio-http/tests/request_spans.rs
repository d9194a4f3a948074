//! Each request attempt is one `RequestRecord`: method, URL with the password hidden, attempt,
//! status or error, and the timings of a new connection's connect and of the first byte (none
//! for a pooled connection). Its `http.request` span: `request_span_fields.rs`.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use asyncio_http::{ClientSession, RequestRecord, SessionConfig, StatusCode, Trace};

#[derive(Clone, Default)]
struct Records(Rc<RefCell<Vec<RequestRecord>>>);

impl Trace for Records {
    fn request_done(&self, r: &RequestRecord) {
        self.0.borrow_mut().push(r.clone());
    }
}

#[asyncio::test]
async fn each_attempt_is_recorded_with_its_timings() {
    let s = common::start().await;
    let records = Records::default();
    let mut config = SessionConfig::default();
    config.trace.push(records.clone());
    let session = ClientSession::with_config(config);
    for _ in 0..2 {
        let r = session
            .get(format!("{}/hello", s.base))
            .send()
            .await
            .unwrap();
        r.bytes().await.unwrap();
    }
    // A redirect: one record per hop.
    let r = session
        .get(format!("{}/redirect/302", s.base))
        .send()
        .await
        .unwrap();
    r.bytes().await.unwrap();
    // A refused connection.
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = session
        .get(format!("http://127.0.0.1:{refused}/"))
        .send()
        .await;
    assert!(err.is_err());

    let got = records.0.borrow();
    assert_eq!(got.len(), 5, "{got:#?}");
    let (first, second) = (&got[0], &got[1]);
    assert_eq!(first.status, Some(StatusCode::OK));
    assert_eq!(first.attempt, 1);
    assert!(!first.reused);
    assert!(first.connect.is_some() && first.first_byte.is_some());
    assert_eq!(first.dns, None, "an IP address needs no lookup");
    assert!(second.reused, "the second went on the pooled connection");
    assert_eq!(second.connect, None);
    assert!(second.first_byte.is_some());
    assert_eq!(got[2].status, Some(StatusCode::FOUND));
    assert!(got[3].url.ends_with("/method"), "{}", got[3].url);
    assert_eq!(got[4].error, Some("connect"));
    assert_eq!(got[4].status, None);
    let json = first.to_json();
    assert_eq!(json["status"], 200);
    assert!(json["first_byte_ms"].as_f64().is_some());
}
