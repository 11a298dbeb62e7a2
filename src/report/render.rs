//! The audit report rendered for people: Markdown and HTML.

use std::fmt::Write as _;

use crate::report::{AuditReport, Line};

impl AuditReport {
    /// The report as Markdown.
    #[must_use]
    pub fn markdown(&self) -> String {
        let r = self;
        let mut s = String::new();
        let _ = writeln!(s, "# optout audit\n");
        let _ = writeln!(
            s,
            "{} rows ({} bytes) in {}; purpose `{}`, {} agents, policies from {}.\n",
            r.rows,
            r.bytes,
            r.inputs.join(", "),
            r.purpose,
            r.agents,
            r.policies
        );
        let table = |s: &mut String, title: &str, lines: &[&Line]| {
            let _ = writeln!(
                s,
                "## {title}\n\n| | rows | % rows | bytes | % bytes |\n|---|---:|---:|---:|---:|"
            );
            for l in lines {
                let _ = writeln!(
                    s,
                    "| {} | {} | {:.2} | {} | {} |",
                    l.name,
                    l.rows,
                    l.share_rows,
                    l.bytes.map_or_else(|| "".into(), |b| b.to_string()),
                    l.share_bytes
                        .map_or_else(|| "".into(), |b| format!("{b:.2}"))
                );
            }
            let _ = writeln!(s);
        };
        table(&mut s, "Rows", &[&r.kept, &r.removed, &r.skipped]);
        table(
            &mut s,
            "Removed, by reason",
            &r.removed_by_reason.iter().collect::<Vec<_>>(),
        );
        if !r.skipped_by_reason.is_empty() {
            table(
                &mut s,
                "Skipped, by reason",
                &r.skipped_by_reason.iter().collect::<Vec<_>>(),
            );
        }
        table(
            &mut s,
            "Disallowed by robots.txt, by agent",
            &r.disallowed_by_agent.iter().collect::<Vec<_>>(),
        );
        table(
            &mut s,
            "Removed, by registrable domain (top)",
            &r.top_removed_domains.iter().collect::<Vec<_>>(),
        );
        let _ = writeln!(
            s,
            "## Usage verdicts of the rows robots.txt let through\n\n| verdict | rows |\n|---|---:|"
        );
        for (verdict, n) in &r.usage_verdicts {
            let _ = writeln!(s, "| {verdict} | {n} |");
        }
        let _ = writeln!(
            s,
            "\n## Origins\n\n| what the origin's policy is | origins |\n|---|---:|"
        );
        for (state, n) in &r.origins {
            let _ = writeln!(s, "| {state} | {n} |");
        }
        let _ = writeln!(s, "| no policy known | {} |", r.origins_without_policy);
        if let Some(tokens) = &r.tokens {
            let _ = writeln!(
                s,
                "\n## Tokens\n\n{} tokens; {} judged rows without a count.\n\n| | tokens | % tokens |\n|---|---:|---:|",
                tokens.total, tokens.rows_without_count
            );
            for l in [&tokens.kept, &tokens.removed]
                .into_iter()
                .chain(&tokens.removed_by_reason)
            {
                let _ = writeln!(s, "| {} | {} | {:.2} |", l.name, l.tokens, l.share);
            }
        }
        if let (Some(now), Some(flags)) = (&r.now, &r.crawl_time) {
            let _ = writeln!(
                s,
                "\n## At crawl time and now\n\nRows judged by the policy in force when they were crawled, beside the same rows judged by today's policies.\n\n| removed | rows at crawl time | % | rows now | % |\n|---|---:|---:|---:|---:|"
            );
            let at_crawl = |name: &str| {
                std::iter::once(&r.removed)
                    .chain(&r.removed_by_reason)
                    .find(|l| l.name == name)
                    .map_or((0, 0.0), |l| (l.rows, l.share_rows))
            };
            for l in std::iter::once(&now.removed).chain(&now.removed_by_reason) {
                let (rows, share) = at_crawl(&l.name);
                let _ = writeln!(
                    s,
                    "| {} | {rows} | {share:.2} | {} | {:.2} |",
                    l.name, l.rows, l.share_rows
                );
            }
            let _ = writeln!(
                s,
                "\nRows by how their policy was found: {}.",
                flags
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        s
    }

    /// The report as one self-contained HTML page.
    #[must_use]
    pub fn html(&self) -> String {
        let r = self;
        let mut s = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>optout audit</title>\
         <style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}td:first-child,th:first-child{text-align:left}</style>\
         </head><body>\n",
        );
        let _ = writeln!(
            s,
            "<h1>optout audit</h1><p>{} rows ({} bytes) in {}; purpose <code>{}</code>, {} agents, policies from {}.</p>",
            r.rows,
            r.bytes,
            escape(&r.inputs.join(", ")),
            r.purpose,
            r.agents,
            r.policies
        );
        let _ = writeln!(
            s,
            "<table><tr><th></th><th>rows</th><th>% rows</th><th>bytes</th><th>% bytes</th></tr>"
        );
        for l in [&r.kept, &r.removed, &r.skipped] {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{}</td><td>{:.2}</td></tr>",
                l.name,
                l.rows,
                l.share_rows,
                l.bytes.unwrap_or(0),
                l.share_bytes.unwrap_or(0.0)
            );
        }
        s.push_str("</table>\n");
        for (title, lines) in [
            ("Removed, by reason", &r.removed_by_reason),
            ("Disallowed by robots.txt, by agent", &r.disallowed_by_agent),
            (
                "Removed, by registrable domain (top)",
                &r.top_removed_domains,
            ),
        ] {
            let _ = writeln!(
                s,
                "<h2>{title}</h2>{}",
                bars(&lines.iter().collect::<Vec<_>>())
            );
        }
        s.push_str("<h2>Origins</h2><table>");
        for (state, n) in &r.origins {
            let _ = writeln!(s, "<tr><td>{}</td><td>{n}</td></tr>", escape(state));
        }
        let _ = writeln!(
            s,
            "<tr><td>no policy known</td><td>{}</td></tr></table>",
            r.origins_without_policy
        );
        if let Some(tokens) = &r.tokens {
            let _ = writeln!(
                s,
                "<h2>Tokens</h2><p>{} tokens; {} judged rows without a count.</p><table><tr><th></th><th>tokens</th><th>% tokens</th></tr>",
                tokens.total, tokens.rows_without_count
            );
            for l in [&tokens.kept, &tokens.removed]
                .into_iter()
                .chain(&tokens.removed_by_reason)
            {
                let _ = writeln!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{:.2}</td></tr>",
                    escape(&l.name),
                    l.tokens,
                    l.share
                );
            }
            s.push_str("</table>\n");
        }
        if let Some(now) = &r.now {
            let _ = writeln!(
                s,
                "<h2>At crawl time and now</h2><p>Removed at crawl time:</p>{}<p>Removed by today's policies:</p>{}",
                bars(
                    &std::iter::once(&r.removed)
                        .chain(&r.removed_by_reason)
                        .collect::<Vec<_>>()
                ),
                bars(
                    &std::iter::once(&now.removed)
                        .chain(&now.removed_by_reason)
                        .collect::<Vec<_>>()
                )
            );
        }
        s.push_str("</body></html>\n");
        s
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart as inline SVG.
fn bars(lines: &[&Line]) -> String {
    let max = lines.iter().map(|l| l.rows).max().unwrap_or(0).max(1);
    let height = 22 * lines.len() + 4;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{height}" role="img">"#
    );
    for (i, l) in lines.iter().enumerate() {
        let y = 22 * i + 2;
        let width = (l.rows as f64 / max as f64 * 380.0).max(1.0);
        let _ = write!(
            s,
            r##"<text x="0" y="{}" font-size="13">{}</text><rect x="200" y="{y}" width="{width:.1}" height="16" fill="#c0392b"/><text x="{:.1}" y="{}" font-size="12">{} ({:.2}%)</text>"##,
            y + 13,
            escape(&l.name),
            205.0 + width,
            y + 13,
            l.rows,
            l.share_rows
        );
    }
    s.push_str("</svg>");
    s
}
