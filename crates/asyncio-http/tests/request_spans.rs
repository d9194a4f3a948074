//! Each request attempt is one `http.request` span and one `RequestRecord`: method, URL with
//! the password hidden, attempt, status or error, and the timings of a new connection's
//! connect and of the first byte (none for a pooled connection).

mod common;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

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

/// The fields of every `http.request` span, by name, as a subscriber sees them.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<HashMap<String, String>>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl tracing::Subscriber for Spans {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut spans = self.0.lock().unwrap();
        let mut fields = HashMap::new();
        fields.insert("name".into(), attrs.metadata().name().into());
        attrs.record(&mut Fields(&mut fields));
        spans.push(fields);
        tracing::span::Id::from_u64(spans.len() as u64)
    }
    fn record(&self, id: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut spans = self.0.lock().unwrap();
        let fields = &mut spans[id.into_u64() as usize - 1];
        values.record(&mut Fields(fields));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn each_attempt_is_a_tracing_span() {
    let spans = Spans::default();
    let seen = spans.clone();
    tracing::subscriber::with_default(spans, || {
        asyncio::run(async {
            let s = common::start().await;
            let session = ClientSession::new();
            let r = session
                .get(format!("{}/hello", s.base).replace("http://", "http://user:secret@"))
                .send()
                .await
                .unwrap();
            r.bytes().await.unwrap();
        });
    });
    let spans = seen.0.lock().unwrap();
    let req: Vec<_> = spans
        .iter()
        .filter(|f| f["name"] == "http.request")
        .collect();
    assert_eq!(req.len(), 1, "{spans:#?}");
    let f = req[0];
    assert_eq!(f["method"], "GET");
    assert_eq!(f["status"], "200");
    assert_eq!(f["attempt"], "1");
    assert_eq!(f["reused"], "false");
    assert!(
        f.contains_key("connect_ms") && f.contains_key("first_byte_ms"),
        "{f:?}"
    );
    assert!(!f["url"].contains("secret"), "{}", f["url"]);
}
