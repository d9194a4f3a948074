//! The crate's top-level modules form no dependency cycle (issue 13): the machinery lives in
//! `runtime/`, which depends on no public module, and each public module only builds on the
//! ones below it. Read from the source: every `crate::<module>` path outside comments is an
//! edge; the crate root's re-exports (`crate::spawn`, `crate::get_running_loop`, ...) count as
//! edges to the module that defines them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Root re-exports and the module each comes from (see `lib.rs`).
const ROOT_ALIASES: &[(&str, &str)] = &[
    ("spawn", "task"),
    ("JoinHandle", "task"),
    ("Task", "task"),
    ("TaskError", "task"),
    ("gather", "task"),
    ("__gather", "task"),
    ("all_tasks", "event_loop"),
    ("current_task", "event_loop"),
    ("get_running_loop", "event_loop"),
    ("try_get_running_loop", "event_loop"),
    ("run", "event_loop"),
    ("EventLoop", "event_loop"),
    ("RemoteHandle", "event_loop"),
    ("Runner", "event_loop"),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`None` for `lib.rs`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    if first == "lib.rs" {
        return None;
    }
    Some(first.trim_end_matches(".rs").to_owned())
}

/// Every `crate::name` on a code line (comments and doc comments skipped).
fn crate_paths(line: &str) -> Vec<String> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return Vec::new();
    }
    let code = code.split(" //").next().unwrap_or(code);
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // e.g. `$crate::` in macros, or a longer identifier
        }
        if let Some(group) = rest.strip_prefix('{') {
            for item in group.split('}').next().unwrap_or("").split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(name);
                }
            }
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.push(name);
        }
    }
    found
}

#[test]
fn the_top_level_modules_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(&src, f)).collect();
    let aliases: BTreeMap<&str, &str> = ROOT_ALIASES.iter().copied().collect();
    // edge -> one place it comes from, for the failure message
    let mut edges: BTreeMap<(String, String), String> = BTreeMap::new();
    for file in &files {
        let Some(from) = module_of(&src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for name in crate_paths(line) {
                let to = if modules.contains(&name) {
                    name
                } else if let Some(m) = aliases.get(name.as_str()) {
                    (*m).to_owned()
                } else {
                    panic!(
                        "{}:{}: `crate::{name}` is neither a module nor a known root \
                         re-export; add it to ROOT_ALIASES",
                        file.display(),
                        n + 1
                    );
                };
                if to != from {
                    let place = format!("{}:{}", file.strip_prefix(&src).unwrap().display(), n + 1);
                    edges.entry((from.clone(), to)).or_insert(place);
                }
            }
        }
    }
    // The machinery depends on no public module.
    let private: BTreeSet<&str> = ["runtime", "sys"].into_iter().collect();
    for ((from, to), place) in &edges {
        if private.contains(from.as_str()) {
            assert!(
                private.contains(to.as_str()),
                "the machinery reaches up into the public module `{to}` ({place})"
            );
        }
    }
    // Any cycle: depth-first search for a back edge.
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        graph.entry(from).or_default().push(to);
    }
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(i) = stack.iter().position(|n| *n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    for module in &modules {
        if let Some(cycle) = visit(module, &graph, &mut Vec::new(), &mut done) {
            let hops: Vec<String> = cycle
                .windows(2)
                .map(|w| {
                    let place = &edges[&(w[0].to_owned(), w[1].to_owned())];
                    format!("{} -> {} ({place})", w[0], w[1])
                })
                .collect();
            panic!("module cycle:\n  {}", hops.join("\n  "));
        }
    }
}
