//! `--plot FILE.svg`: the results as one bar chart per workload, each runtime's score relative
//! to the best in that workload (longer is better), asyncio-rs highlighted.

use std::fmt::Write;

use crate::harness::Series;
use crate::report::{score, summarise};

const WIDTH: f64 = 900.0;
const LABEL: f64 = 130.0;
const BAR_MAX: f64 = 440.0;
const ROW: f64 = 18.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Renders the chart as an SVG document.
pub(crate) fn svg(results: &[Series], caption: &str) -> String {
    let mut workloads: Vec<&str> = results.iter().map(|s| s.workload.as_str()).collect();
    workloads.dedup();
    let mut body = String::new();
    let mut y = 40.0;
    for w in &workloads {
        let rows: Vec<(&str, f64, String)> = results
            .iter()
            .filter(|s| s.workload == *w)
            .map(|s| {
                let r = summarise(s);
                (
                    s.runtime.as_str(),
                    score(w, &r),
                    crate::report::headline(w, &r),
                )
            })
            .collect();
        let best = rows.iter().map(|r| r.1).fold(0.0, f64::max);
        let _ = writeln!(
            body,
            r#"<text x="10" y="{y}" font-weight="bold">{}</text>"#,
            escape(&format!("{w} — {}", crate::workloads::info(w).description))
        );
        y += 8.0;
        for (runtime, s, label) in rows {
            let frac = if best > 0.0 { s / best } else { 0.0 };
            let colour = if runtime == "asyncio-rs" {
                "#d9480f"
            } else {
                "#868e96"
            };
            let _ = writeln!(
                body,
                r#"<text x="{x}" y="{ty}" text-anchor="end">{rt}</text><rect x="{bx}" y="{y}" width="{bw:.1}" height="{h}" fill="{colour}"/><text x="{lx:.1}" y="{ty}">{frac:.2} ({label})</text>"#,
                x = LABEL - 6.0,
                ty = y + ROW - 6.0,
                rt = escape(runtime),
                bx = LABEL,
                bw = BAR_MAX * frac,
                h = ROW - 4.0,
                lx = LABEL + BAR_MAX * frac + 6.0,
                label = escape(&label),
            );
            y += ROW;
        }
        y += 22.0;
    }
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="14">{caption}</text>
{body}</svg>
"#,
        h = y + 10.0,
        caption = escape(caption),
    )
}
