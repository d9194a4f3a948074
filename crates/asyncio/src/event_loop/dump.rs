//! The task dump: a plain-text table of live tasks.

use std::fmt::Write;

use crate::runtime::task::Task;

pub(crate) fn dump(tasks: &[Task]) -> String {
    let rows: Vec<[String; 4]> = tasks
        .iter()
        .map(|t| {
            [
                t.id().to_string(),
                t.name(),
                t.state().to_string(),
                t.location().to_string(),
            ]
        })
        .collect();
    let header = ["id", "name", "state", "spawned at"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: [&str; 4]| {
        let _ = writeln!(
            out,
            "{:>w0$}  {:<w1$}  {:<w2$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
    };
    line(&mut out, header);
    for row in &rows {
        line(&mut out, [&row[0], &row[1], &row[2], &row[3]]);
    }
    out
}
