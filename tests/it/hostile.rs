//! Hostile input: arbitrary bytes into every parser that faces the
//! internet or a user's files. Nothing panics, and the invariants that
//! decisions rely on hold. (A stand-in for the fuzz targets of STYLE §9.15,
//! which need a nightly toolchain this project cannot install.)

use optout::agents::AgentSet;
use optout::blocklist::Blocklist;
use optout::origin::UrlParser;
use optout::signals::robots::RobotsTxt;
use proptest::prelude::*;

/// Bytes that look like robots.txt often enough to reach deep states.
fn robots_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop::sample::select(vec![
        &b"User-agent: "[..],
        b"Disallow:",
        b"Allow: ",
        b"*",
        b"$",
        b"/",
        b"%",
        b"%2",
        b"%E3",
        b"\n",
        b"\r",
        b"\r\n",
        b"#",
        b"\xEF\xBB\xBF",
        b"\xFF\xFE",
        b"\0",
        b"GPTBot",
        b"a",
        b"\xC3",
        b" ",
        b"Sitemap: x",
        b"<html>",
    ]);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(token, 0..60).prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::hostile_readers::cases(2000)))]

    #[test]
    fn robots_never_panics(body in robots_bytes(), paths in prop::collection::vec(any::<Vec<u8>>(), 0..4)) {
        let robots = RobotsTxt::parse(&body);
        prop_assert!(robots.notes.lines as usize <= body.len() + 1);
        for group in &robots.groups {
            prop_assert!(group.rules.end as usize <= robots.rules.len() && !group.agents.is_empty());
        }
        for rule in &robots.rules {
            prop_assert!((rule.group as usize) < robots.groups.len());
            let _ = robots.rule_text(rule);
        }
        let agents = AgentSet::from_names(&["GPTBot", "a", "CCBot"]).unwrap();
        let compiled = robots.compile(agents.keys());
        let mut parser = UrlParser::new();
        for path in &paths {
            let mut url = b"http://x.test/".to_vec();
            url.extend_from_slice(path);
            if let Ok(parts) = parser.parse_bytes(&url) {
                for agent in 0..agents.len() {
                    let verdict = compiled.verdict(agent, parts.path);
                    if let Some(rule) = verdict.rule {
                        prop_assert_eq!(robots.rules[rule].allow, verdict.allowed);
                    } else {
                        prop_assert!(verdict.allowed);
                    }
                }
            }
        }
    }

    #[test]
    fn urls_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..120), tail in "[ -~]{0,40}") {
        let mut parser = UrlParser::new();
        let _ = parser.parse_bytes(&bytes);
        let input = format!("https://{tail}");
        if let Ok(parts) = parser.parse(&input) {
            prop_assert!(parts.path.first() == Some(&b'/'));
            prop_assert!(!parts.host.is_empty() && !parts.host.ends_with('.'));
            prop_assert_eq!(parts.host.to_ascii_lowercase(), parts.host);
        }
    }

    #[test]
    fn blocklists_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let list = Blocklist::parse("fuzz", "fuzz", &bytes);
        let lines = bytes.split(|&b| b == b'\n').count() as u64;
        for bad in &list.bad_lines {
            prop_assert!(bad.line >= 1 && bad.line <= lines);
        }
    }
}
