//! An explanation as text for a person.

use std::fmt::Write as _;

use crate::agents::AgentRule;
use crate::explain::{Explanation, FileOut};

impl Explanation {
    /// The explanation for a person: sources, verdicts, then each agent.
    #[must_use]
    pub fn text(&self) -> String {
        let e = self;
        let mut s = String::new();
        let _ = writeln!(s, "{}", e.url);
        let _ = writeln!(s, "origin {}", e.origin);
        if e.signals.len() < crate::signals::usage::Signal::ALL.len() {
            let _ = writeln!(s, "signals read (--signals): {}", e.signals.join(", "));
        }
        if let Some(hit) = &e.blocklist {
            let _ = writeln!(s, "blocklisted: {hit}");
        }
        let file = |s: &mut String, name: &str, f: &FileOut| {
            let _ = write!(s, "  {name:<12} {}", f.state);
            if let Some(source) = &f.source {
                let _ = write!(s, "  {source}");
            }
            if let Some(at) = &f.fetched_at {
                let _ = write!(s, "  fetched {at}");
            }
            if let Some(sha) = &f.sha256 {
                let _ = write!(s, "  sha256 {}", &sha[..sha.len().min(16)]);
            }
            let _ = writeln!(s);
            if !f.note.is_empty() {
                let _ = writeln!(s, "               {}", f.note);
            }
        };
        let _ = writeln!(s, "sources:");
        file(&mut s, "robots.txt", &e.robots);
        for (name, f) in &e.files {
            file(&mut s, name, f);
        }
        for license in &e.licenses {
            let _ = writeln!(
                s,
                "  License      line {} ({}): {}",
                license.line, license.scope, license.url
            );
        }
        let _ = write!(s, "  page         ");
        match (&e.page.status, e.page.fetched) {
            (Some(status), true) => {
                let _ = writeln!(
                    s,
                    "{status}  {}",
                    e.page.final_url.as_deref().unwrap_or_default()
                );
                for link in &e.page.license_links {
                    let _ = writeln!(s, "               Link rel=license {link}");
                }
            }
            _ => {
                let _ = writeln!(s, "{}", e.page.note);
            }
        }
        let _ = writeln!(
            s,
            "verdict (enforced purpose {}, agent rule {}, unknown {}, {}, {} model):",
            e.enforced_purpose,
            match e.agent_rule {
                AgentRule::Any => "any",
                AgentRule::All => "all",
            },
            e.unknown,
            e.aipref_vocab,
            e.model
        );
        for (purpose, v) in &e.verdict {
            // The usage verdict matters only where a row reached the usage
            // stage: for a removal, the reason says why.
            let _ = match v.reason {
                Some(reason) => writeln!(s, "  {purpose:<9} removed ({reason})"),
                None if e.robots.state == "missing" => {
                    writeln!(s, "  {purpose:<9} kept (no policy: --missing-policy allow)")
                }
                None => writeln!(s, "  {purpose:<9} kept (usage {})", v.verdict),
            };
        }
        let _ = writeln!(s, "agents:");
        for agent in &e.agents {
            let a = &agent.access;
            let _ = write!(
                s,
                "  {:<22} access {}",
                agent.agent,
                match a.state {
                    "no-robots-txt" => "allowed (no robots.txt)",
                    "unreachable" => "disallowed (robots.txt unreachable)",
                    "no-policy" => "unknown (no policy)",
                    state => state,
                }
            );
            if let (Some(rule), Some(line)) = (&a.rule, a.line) {
                let _ = write!(s, " by line {line} `{rule}`");
                if a.reading == "aipref" {
                    let _ = write!(s, " (aipref grouping)");
                }
            }
            let _ = writeln!(s);
            for (purpose, p) in &agent.purposes {
                let _ = writeln!(
                    s,
                    "    {purpose:<9} {}{}",
                    p.verdict,
                    p.decided_by.map(|d| format!(" by {d}")).unwrap_or_default()
                );
                for st in &p.statements {
                    let _ = writeln!(
                        s,
                        "      {} {}: {}{}{}",
                        st.signal,
                        st.says,
                        st.source,
                        st.line.map(|l| format!(" line {l}")).unwrap_or_default(),
                        if st.text.is_empty() {
                            String::new()
                        } else {
                            format!(" `{}`", st.text)
                        }
                    );
                }
            }
        }
        s
    }
}
