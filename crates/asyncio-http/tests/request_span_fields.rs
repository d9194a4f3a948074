//! Each request attempt is one `http.request` `tracing` span with the record's fields. Alone in
//! its test binary: `tracing` caches each callsite's interest process-wide, and a test running
//! the same callsite on another thread before this one's subscriber exists would race it.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use asyncio_http::ClientSession;

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
