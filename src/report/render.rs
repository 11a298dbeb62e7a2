//! The audit report rendered for people: Markdown and HTML, from one list
//! of sections, so that both say the same things in the same order. HTML
//! adds charts, every one on the same stated scale: a bar's length is its
//! share of all rows read, from 0 to 100%.

use std::fmt::Write as _;

use crate::report::{AuditReport, Line, Tokens};

/// One titled part of the report.
struct Section<'a> {
    title: &'static str,
    /// A sentence before the table, if any.
    intro: Option<String>,
    body: Body<'a>,
}

enum Body<'a> {
    /// Rows per line, with their bytes when counted, as shares of the
    /// corpus; charted in HTML.
    Shares(Vec<&'a Line>),
    /// Plain counts: a column heading, and (what, how many).
    Counts {
        heading: &'static str,
        unit: &'static str,
        lines: Vec<(String, u64)>,
    },
    Tokens(&'a Tokens),
    /// Removals at crawl time beside today's.
    Compare {
        crawl: Vec<&'a Line>,
        now: Vec<&'a Line>,
    },
}

fn section<'a>(title: &'static str, body: Body<'a>) -> Section<'a> {
    Section {
        title,
        intro: None,
        body,
    }
}

impl AuditReport {
    /// The report's sections, in order: what Markdown and HTML both show.
    fn sections(&self) -> Vec<Section<'_>> {
        let r = self;
        let mut sections = vec![
            section("Rows", Body::Shares(vec![&r.kept, &r.removed, &r.skipped])),
            section(
                "Removed, by reason",
                Body::Shares(r.removed_by_reason.iter().collect()),
            ),
        ];
        if !r.skipped_by_reason.is_empty() {
            sections.push(section(
                "Skipped, by reason",
                Body::Shares(r.skipped_by_reason.iter().collect()),
            ));
        }
        sections.push(section(
            "Disallowed by robots.txt, by agent",
            Body::Shares(r.disallowed_by_agent.iter().collect()),
        ));
        sections.push(section(
            "Removed, by registrable domain (top)",
            Body::Shares(r.top_removed_domains.iter().collect()),
        ));
        sections.push(Section {
            title: "What sites say about this use",
            intro: Some(format!(
                "Of the rows robots.txt allows, what their sites' usage statements (Content-Usage, Content-Signal, tdmrep.json, ai.txt, page headers) say about `{}`.",
                r.purpose
            )),
            body: Body::Counts {
                heading: "statement",
                unit: "rows",
                lines: r
                    .usage_verdicts
                    .iter()
                    .map(|(verdict, n)| ((*verdict).to_owned(), *n))
                    .collect(),
            },
        });
        let mut origins: Vec<(String, u64)> = r
            .origins
            .iter()
            .map(|(state, n)| ((*state).to_owned(), *n as u64))
            .collect();
        origins.push((
            "no policy known".to_owned(),
            r.origins_without_policy as u64,
        ));
        sections.push(Section {
            title: "Origins",
            intro: Some("The corpus's origins, by what their policy is.".to_owned()),
            body: Body::Counts {
                heading: "what the origin's policy is",
                unit: "origins",
                lines: origins,
            },
        });
        if let Some(tokens) = &r.tokens {
            sections.push(Section {
                title: "Tokens",
                intro: Some(format!(
                    "{} tokens; {} judged rows without a count.",
                    tokens.total, tokens.rows_without_count
                )),
                body: Body::Tokens(tokens),
            });
        }
        if let (Some(now), Some(flags)) = (&r.now, &r.crawl_time) {
            sections.push(Section {
                title: "At crawl time and now",
                intro: Some(format!(
                    "Rows judged by the policy in force when they were crawled, beside the same rows judged by today's policies. Rows by how their policy was found: {}.",
                    flags
                        .iter()
                        .map(|(k, v)| format!("{k} {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                ),
                body: Body::Compare {
                    crawl: std::iter::once(&r.removed)
                        .chain(&r.removed_by_reason)
                        .collect(),
                    now: std::iter::once(&now.removed)
                        .chain(&now.removed_by_reason)
                        .collect(),
                },
            });
        }
        sections
    }

    fn summary(&self) -> String {
        format!(
            "{} rows{} in {}; purpose `{}`, {} agents, policies from {}; usage signals read: {}.",
            self.rows,
            if self.kept.bytes.is_some() {
                format!(" ({} bytes)", self.bytes)
            } else {
                String::new()
            },
            self.inputs.join(", "),
            self.purpose,
            self.agents,
            self.policies,
            if self.signals.is_empty() {
                "none".to_owned()
            } else {
                self.signals.join(", ")
            }
        )
    }

    /// The report as Markdown.
    #[must_use]
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# optout audit\n\n{}\n", self.summary());
        for section in self.sections() {
            let _ = writeln!(s, "## {}\n", section.title);
            if let Some(intro) = &section.intro {
                let _ = writeln!(s, "{intro}\n");
            }
            markdown_body(&mut s, &section.body);
            let _ = writeln!(s);
        }
        s
    }

    /// The report as one self-contained HTML page (inline CSS and SVG,
    /// nothing fetched).
    #[must_use]
    pub fn html(&self) -> String {
        let mut s = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>optout audit</title>\
         <style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse;margin:.5em 0}\
         td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}td:first-child,th:first-child{text-align:left}\
         figcaption{font-size:.85em;color:#555}</style>\
         </head><body>\n",
        );
        let _ = writeln!(
            s,
            "<h1>optout audit</h1><p>{}</p>",
            inline_code(&escape(&self.summary()))
        );
        for section in self.sections() {
            let _ = writeln!(s, "<h2>{}</h2>", escape(section.title));
            if let Some(intro) = &section.intro {
                let _ = writeln!(s, "<p>{}</p>", inline_code(&escape(intro)));
            }
            html_body(&mut s, &section.body);
        }
        s.push_str("</body></html>\n");
        s
    }
}

fn has_bytes(lines: &[&Line]) -> bool {
    lines.iter().any(|l| l.bytes.is_some())
}

fn markdown_body(s: &mut String, body: &Body<'_>) {
    match body {
        Body::Shares(lines) => {
            if has_bytes(lines) {
                let _ = writeln!(
                    s,
                    "| | rows | % rows | bytes | % bytes |\n|---|---:|---:|---:|---:|"
                );
            } else {
                let _ = writeln!(s, "| | rows | % rows |\n|---|---:|---:|");
            }
            for l in lines {
                let _ = write!(s, "| {} | {} | {:.2} |", l.name, l.rows, l.share_rows);
                if has_bytes(lines) {
                    let _ = write!(
                        s,
                        " {} | {} |",
                        l.bytes.map_or_else(String::new, |b| b.to_string()),
                        l.share_bytes
                            .map_or_else(String::new, |b| format!("{b:.2}"))
                    );
                }
                let _ = writeln!(s);
            }
        }
        Body::Counts {
            heading,
            unit,
            lines,
        } => {
            let _ = writeln!(s, "| {heading} | {unit} |\n|---|---:|");
            for (what, n) in lines {
                let _ = writeln!(s, "| {what} | {n} |");
            }
        }
        Body::Tokens(tokens) => {
            let _ = writeln!(s, "| | tokens | % tokens |\n|---|---:|---:|");
            for l in token_lines(tokens) {
                let _ = writeln!(s, "| {} | {} | {:.2} |", l.name, l.tokens, l.share);
            }
        }
        Body::Compare { crawl, now } => {
            let _ = writeln!(
                s,
                "| removed | rows at crawl time | % | rows now | % |\n|---|---:|---:|---:|---:|"
            );
            for (name, (at, at_share), (today, today_share)) in compare(crawl, now) {
                let _ = writeln!(
                    s,
                    "| {name} | {at} | {at_share:.2} | {today} | {today_share:.2} |"
                );
            }
        }
    }
}

fn html_body(s: &mut String, body: &Body<'_>) {
    match body {
        Body::Shares(lines) => {
            let bytes = has_bytes(lines);
            s.push_str("<table><tr><th></th><th>rows</th><th>% rows</th>");
            if bytes {
                s.push_str("<th>bytes</th><th>% bytes</th>");
            }
            s.push_str("</tr>\n");
            for l in lines {
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{:.2}</td>",
                    escape(&l.name),
                    l.rows,
                    l.share_rows
                );
                if bytes {
                    let _ = write!(
                        s,
                        "<td>{}</td><td>{}</td>",
                        l.bytes.map_or_else(String::new, |b| b.to_string()),
                        l.share_bytes
                            .map_or_else(String::new, |b| format!("{b:.2}"))
                    );
                }
                s.push_str("</tr>\n");
            }
            s.push_str("</table>\n");
            if !lines.is_empty() {
                s.push_str(&chart(lines));
            }
        }
        Body::Counts {
            heading,
            unit,
            lines,
        } => {
            let _ = writeln!(
                s,
                "<table><tr><th>{}</th><th>{unit}</th></tr>",
                escape(heading)
            );
            for (what, n) in lines {
                let _ = writeln!(s, "<tr><td>{}</td><td>{n}</td></tr>", escape(what));
            }
            s.push_str("</table>\n");
        }
        Body::Tokens(tokens) => {
            s.push_str("<table><tr><th></th><th>tokens</th><th>% tokens</th></tr>\n");
            for l in token_lines(tokens) {
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
        Body::Compare { crawl, now } => {
            s.push_str("<table><tr><th>removed</th><th>rows at crawl time</th><th>%</th><th>rows now</th><th>%</th></tr>\n");
            for (name, (at, at_share), (today, today_share)) in compare(crawl, now) {
                let _ = writeln!(
                    s,
                    "<tr><td>{}</td><td>{at}</td><td>{at_share:.2}</td><td>{today}</td><td>{today_share:.2}</td></tr>",
                    escape(name)
                );
            }
            s.push_str("</table>\n<p>Removed at crawl time:</p>");
            s.push_str(&chart(crawl));
            s.push_str("<p>Removed by today's policies:</p>");
            s.push_str(&chart(now));
        }
    }
}

fn token_lines(tokens: &Tokens) -> impl Iterator<Item = &crate::report::TokenLine> {
    [&tokens.kept, &tokens.removed]
        .into_iter()
        .chain(&tokens.removed_by_reason)
}

/// Today's lines, each with the same reason's rows and share at crawl
/// time (0 where crawl time removed none).
fn compare<'a>(
    crawl: &'a [&'a Line],
    now: &'a [&'a Line],
) -> impl Iterator<Item = (&'a str, (u64, f64), (u64, f64))> + 'a {
    now.iter().map(move |l| {
        let at = crawl
            .iter()
            .find(|c| c.name == l.name)
            .map_or((0, 0.0), |c| (c.rows, c.share_rows));
        (l.name.as_str(), at, (l.rows, l.share_rows))
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Markdown's `code` spans as `<code>`, in text already escaped.
fn inline_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Where the bars start, and how long a bar of 100% is.
const CHART_LEFT: f64 = 200.0;
const CHART_FULL: f64 = 400.0;

/// A horizontal bar chart as inline SVG on a fixed scale: a bar's length
/// is its share of all rows read, and an axis marks 0 to 100%.
fn chart(lines: &[&Line]) -> String {
    let rows = lines.len();
    let axis = 22 * rows + 4;
    let height = axis + 18;
    let mut s = format!(
        r#"<figure><svg xmlns="http://www.w3.org/2000/svg" width="720" height="{height}" role="img">"#
    );
    for (i, l) in lines.iter().enumerate() {
        let y = 22 * i + 2;
        // A share above zero is drawn at least one pixel wide, so that it
        // shows; its label gives the figure.
        let width = bar_width(l.share_rows);
        let _ = write!(
            s,
            r##"<text x="0" y="{}" font-size="13">{}</text><rect x="{CHART_LEFT}" y="{y}" width="{width:.1}" height="16" fill="#c0392b"><title>{:.2}% of all rows</title></rect><text x="{:.1}" y="{}" font-size="12">{} ({:.2}%)</text>"##,
            y + 13,
            escape(&l.name),
            l.share_rows,
            CHART_LEFT + width + 5.0,
            y + 13,
            l.rows,
            l.share_rows
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{CHART_LEFT}" y1="{axis}" x2="{}" y2="{axis}" stroke="#555"/>"##,
        CHART_LEFT + CHART_FULL
    );
    for tick in [0u32, 25, 50, 75, 100] {
        let x = CHART_LEFT + CHART_FULL * f64::from(tick) / 100.0;
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="{axis}" x2="{x:.1}" y2="{}" stroke="#555"/><text x="{x:.1}" y="{}" font-size="11" text-anchor="middle">{tick}%</text>"##,
            axis + 4,
            axis + 15
        );
    }
    s.push_str(
        "</svg><figcaption>Bar length: share of all rows read (0 to 100%).</figcaption></figure>\n",
    );
    s
}

/// The length of a bar for a share in percent, on the chart's scale.
fn bar_width(share: f64) -> f64 {
    if share <= 0.0 {
        0.0
    } else {
        (share.min(100.0) / 100.0 * CHART_FULL).max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_on_one_scale() {
        assert_eq!(bar_width(100.0), CHART_FULL);
        assert_eq!(bar_width(50.0), CHART_FULL / 2.0);
        assert_eq!(bar_width(4.5), 18.0, "4.5% is not a full bar");
        assert_eq!(bar_width(0.01), 1.0, "visible");
        assert_eq!(bar_width(0.0), 0.0);
    }

    #[test]
    fn code_spans() {
        assert_eq!(
            inline_code("purpose `train`."),
            "purpose <code>train</code>."
        );
    }
}
