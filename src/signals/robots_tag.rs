//! Page-level robots directives: the `X-Robots-Tag` header (and the
//! `robots-tag` header of draft-illyes-repext-00), and robots meta tags
//! (`<meta name="robots" content="noai">`, `<meta name="GPTBot" …>`); the
//! DeviantArt `noai` / `noimageai` directives and Bing's `noarchive` /
//! `nocache` among them (design notes SIGNALS.md §7.1–7.4). Parsing only:
//! the values come from response headers and from meta tags that an HTML
//! reader found.
//!
//! A header value is a comma-separated list. An item `token: directives`
//! (legacy) or `token=directives` (repext) scopes itself and the items
//! after it, to the next `;` or scope, to that crawler; `*` scopes to all.
//! Directives that carry a value (`unavailable_after: <date>`,
//! `max-snippet: 0`) are not scopes. Names compare case-insensitively.
//!
//! For the decision, a directive applies when it is unscoped or scoped to
//! one of the selected agents: `noai` and `noimageai` disallow training
//! (`noimageai` only for images, which the caller knows), `noarchive`
//! disallows training as Bing defines it, unless `nocache` is also present
//! (Bing then reads `nocache`, which still allows training on URL, title
//! and snippet). No directive ever allows: absent means unknown.

/// Directives that carry a value after `:`, so that `name:` does not start
/// an agent scope.
const VALUED: [&str; 5] = [
    "unavailable_after",
    "max-snippet",
    "max-image-preview",
    "max-video-preview",
    "indexifembedded",
];

/// One directive, with the crawler it is scoped to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// The lower-case product token it is scoped to; `None`: every crawler.
    pub agent: Option<String>,
    /// The lower-case directive name (`noai`, `noindex`, …).
    pub name: String,
    /// Its value, for valued directives (`unavailable_after: …`).
    pub value: Option<String>,
}

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Parses one header value (one `X-Robots-Tag` line) into directives.
/// Never fails; items that are not directives are skipped.
#[must_use]
pub fn parse_header(value: &str) -> Vec<Directive> {
    let mut out = Vec::new();
    for group in value.split(';') {
        let mut scope: Option<String> = None;
        for item in group.split(',') {
            let mut item = item.trim();
            if let Some(at) = item.find([':', '=']) {
                let head = item[..at].trim();
                let lower = head.to_ascii_lowercase();
                if head == "*" {
                    scope = None;
                    item = item[at + 1..].trim();
                } else if is_token(head) && !VALUED.contains(&lower.as_str()) {
                    scope = Some(lower);
                    item = item[at + 1..].trim();
                }
            }
            if item.is_empty() {
                continue;
            }
            let (name, value) = match item.split_once(':') {
                Some((name, value)) => (name.trim(), Some(value.trim().to_owned())),
                None => (item, None),
            };
            if !is_token(name) {
                continue;
            }
            out.push(Directive {
                agent: scope.clone(),
                name: name.to_ascii_lowercase(),
                value,
            });
        }
    }
    out
}

/// Parses a robots meta tag: `name` is `robots` (every crawler) or a
/// crawler's token; `content` a comma-separated list.
#[must_use]
pub fn parse_meta(name: &str, content: &str) -> Vec<Directive> {
    let name = name.trim().to_ascii_lowercase();
    let agent = (name != "robots").then_some(name);
    content
        .split(',')
        .map(str::trim)
        .filter(|d| is_token(d))
        .map(|d| Directive {
            agent: agent.clone(),
            name: d.to_ascii_lowercase(),
            value: None,
        })
        .collect()
}

/// What the directives that apply to the selected agents say about AI
/// training.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrainingDirectives {
    /// `noai` applies: no AI use of the content.
    pub noai: bool,
    /// `noimageai` applies: no AI use of images.
    pub noimageai: bool,
    /// `noarchive` applies without `nocache`: Bing's "not used for
    /// training".
    pub noarchive: bool,
}

impl TrainingDirectives {
    /// Collects the directives that apply to any of `agents` (lower-case
    /// product tokens, see [`crate::signals::robots::agent_key`]).
    #[must_use]
    pub fn of(directives: &[Directive], agents: &[String]) -> TrainingDirectives {
        let applies = |d: &&Directive| d.agent.as_ref().is_none_or(|a| agents.contains(a));
        let has = |name: &str| directives.iter().filter(applies).any(|d| d.name == name);
        TrainingDirectives {
            noai: has("noai"),
            noimageai: has("noimageai"),
            noarchive: has("noarchive") && !has("nocache"),
        }
    }

    /// Whether training is disallowed, for an image or not.
    #[must_use]
    pub fn disallows(&self, image: bool) -> bool {
        self.noai || self.noarchive || (image && self.noimageai)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_ascii_lowercase()).collect()
    }

    fn header(values: &[&str], agents: &[&str]) -> TrainingDirectives {
        let directives: Vec<Directive> = values.iter().flat_map(|v| parse_header(v)).collect();
        TrainingDirectives::of(&directives, &keys(agents))
    }

    /// (header lines, agents, noai, noimageai, noarchive, source)
    type Case = (
        &'static [&'static str],
        &'static [&'static str],
        bool,
        bool,
        bool,
        &'static str,
    );

    #[test]
    fn header_values() {
        let cases: &[Case] = &[
            (&["noai"], &["GPTBot"], true, false, false, "DeviantArt"),
            (
                &["noai, noimageai"],
                &["GPTBot"],
                true,
                true,
                false,
                "comma list",
            ),
            (
                &["NoAI"],
                &["GPTBot"],
                true,
                false,
                false,
                "case-insensitive",
            ),
            (
                &["noindex", "noimageai"],
                &["GPTBot"],
                false,
                true,
                false,
                "§7.8 case 5: several headers",
            ),
            (
                &["gptbot: noai"],
                &["GPTBot"],
                true,
                false,
                false,
                "scoped to the agent",
            ),
            (
                &["otherbot: noai"],
                &["GPTBot"],
                false,
                false,
                false,
                "§7.8 case 3: scoped to another",
            ),
            (
                &["otherbot: noindex, noai"],
                &["GPTBot"],
                false,
                false,
                false,
                "a scope covers the items after it",
            ),
            (
                &["unavailable_after: 25 Jun 2030 15:00:00 PST, noai"],
                &["GPTBot"],
                true,
                false,
                false,
                "§7.8 case 4: a valued directive is not a scope",
            ),
            (
                &["noarchive"],
                &["GPTBot"],
                false,
                false,
                true,
                "Bing: not used for training",
            ),
            (
                &["noarchive, nocache"],
                &["GPTBot"],
                false,
                false,
                false,
                "§7.8 case 6: both ⇒ nocache",
            ),
            (
                &["*=noai; ExampleBot=;"],
                &["GPTBot"],
                true,
                false,
                false,
                "repext groups",
            ),
            (
                &["ExampleBot=noai; *=noindex"],
                &["GPTBot"],
                false,
                false,
                false,
                "repext scope ends at `;`",
            ),
            (
                &["ExampleBot=noai"],
                &["examplebot"],
                true,
                false,
                false,
                "repext scope for the agent",
            ),
            (&[""], &["GPTBot"], false, false, false, "empty"),
        ];
        for &(values, agents, noai, noimageai, noarchive, source) in cases {
            let got = header(values, agents);
            assert_eq!(
                (got.noai, got.noimageai, got.noarchive),
                (noai, noimageai, noarchive),
                "{values:?} ({source})"
            );
        }
    }

    #[test]
    fn valued_directives_keep_their_value() {
        let d = parse_header("unavailable_after: 25 Jun 2030 15:00:00 PST");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].name, "unavailable_after");
        assert_eq!(d[0].value.as_deref(), Some("25 Jun 2030 15:00:00 PST"));
        assert_eq!(d[0].agent, None);
    }

    #[test]
    fn meta_tags() {
        let all = parse_meta("robots", "NoAI, noimageai");
        let t = TrainingDirectives::of(&all, &keys(&["GPTBot"]));
        assert!(t.noai && t.noimageai, "§7.8 case 2: case");
        let named = parse_meta("GPTBot", "noai");
        assert!(TrainingDirectives::of(&named, &keys(&["GPTBot"])).noai);
        assert!(!TrainingDirectives::of(&named, &keys(&["CCBot"])).noai);
    }

    #[test]
    fn noimageai_disallows_images_only() {
        let t = header(&["noimageai"], &["GPTBot"]);
        assert!(t.disallows(true));
        assert!(!t.disallows(false));
    }
}
