//! Every page of the manual has its Rust snippets compiled: `lib.rs` includes each
//! `docs/*.md` in its doctest-only module. A new page that is not included there fails here.

#[test]
fn every_manual_page_is_compiled_as_doctests() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let lib = std::fs::read_to_string(root.join("crates/asyncio/src/lib.rs")).unwrap();
    assert!(
        lib.contains("#![doc = include_str!(\"../../../README.md\")]"),
        "the README is the crate's documentation"
    );
    let mut pages: Vec<String> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .collect();
    pages.sort();
    assert!(!pages.is_empty());
    let missing: Vec<&String> = pages
        .iter()
        .filter(|p| !lib.contains(&format!("include_str!(\"../../../docs/{p}\")")))
        .collect();
    assert!(missing.is_empty(), "not compiled as doctests: {missing:?}");
}
