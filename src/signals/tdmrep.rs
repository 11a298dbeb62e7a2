//! W3C TDM Reservation Protocol (TDMRep, Community Group Final Report;
//! design notes SIGNALS.md §6): the site-wide `/.well-known/tdmrep.json`
//! file, and the values of the `tdm-reservation` header and meta tag.
//! Parsing and matching only: fetching is `fetch`'s, and the precedence
//! between file, header and meta (later, more specific source wins) is the
//! decision model's.
//!
//! The file is a JSON array of rules `{"location", "tdm-reservation",
//! "tdm-policy"?}`. A `location` is a robots.txt-style path pattern (`*`,
//! final `$`, RFC 9309 percent normalisation), matched case-sensitively.
//! **The first matching rule decides**, not the longest: the spec defines
//! "the most specific match" as the first in sequence. So `/a/` listed
//! before `/a/public/` reserves `/a/public/x`, the opposite of robots.txt.
//!
//! `tdm-reservation` is `1` (reserved: the DSM Art. 4(3) opt-out) or `0`
//! (not reserved). Any other value is a protocol error that leaves the
//! reservation unset; the string forms `"1"` and `"0"` are accepted and
//! flagged, since headers and meta tags carry text and files in the wild
//! copy it. A rule whose reservation is unusable still matches: the first
//! matching rule decides, and its decision is "unset".
//!
//! A file that is not a JSON array of objects with a `location` is invalid
//! as a whole: no file-level reservation (SIGNALS.md §6.8 case 2).

use serde_json::Value;

use crate::signals::robots::matcher::Pattern;
use crate::signals::robots::normalize::{self, Side};

/// A reservation value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reservation {
    /// `1`: TDM rights are reserved.
    Reserved,
    /// `0`: not reserved.
    NotReserved,
    /// Absent, or a protocol error.
    Unset,
}

impl Reservation {
    /// Reads a header or meta value: the text `1` or `0` (white space
    /// around it ignored); anything else is a protocol error, unset.
    #[must_use]
    pub fn from_text(value: &str) -> Reservation {
        match value.trim() {
            "1" => Reservation::Reserved,
            "0" => Reservation::NotReserved,
            _ => Reservation::Unset,
        }
    }
}

/// One rule of a `tdmrep.json` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TdmRule {
    /// The 0-based position of the rule in the array.
    pub index: usize,
    /// The location as written.
    pub location: String,
    /// The location in robots.txt normal form.
    pattern: Vec<u8>,
    /// The reservation.
    pub reservation: Reservation,
    /// The policy URL; `None` when absent, or when the reservation is `0`
    /// (agents SHOULD NOT process it then).
    pub policy: Option<String>,
    /// The reservation was written as a string (`"1"`), or another value
    /// had to be read leniently.
    pub nonstandard: bool,
    /// Why the reservation is unset, when it is a protocol error.
    pub error: Option<String>,
}

/// A parsed `tdmrep.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TdmRepFile {
    /// The rules, in order.
    pub rules: Vec<TdmRule>,
    /// Why the file as a whole is unusable, when it is.
    pub invalid: Option<String>,
}

impl TdmRepFile {
    /// Parses a file body. Never fails: an unusable file has no rules and
    /// says why in `invalid`; unusable rules say why in `error`.
    #[must_use]
    pub fn parse(body: &[u8]) -> TdmRepFile {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let invalid = |why: String| TdmRepFile {
            rules: Vec::new(),
            invalid: Some(why),
        };
        let value: Value = match serde_json::from_slice(body) {
            Ok(value) => value,
            Err(e) => return invalid(format!("not JSON: {e}")),
        };
        let Value::Array(items) = value else {
            return invalid("not a JSON array (the brackets are mandatory)".into());
        };
        let mut rules = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Value::Object(rule) = item else {
                return invalid(format!("rule {index} is not an object"));
            };
            let Some(Value::String(location)) = rule.get("location") else {
                return invalid(format!("rule {index} has no `location` string"));
            };
            let mut nonstandard = false;
            let mut error = None;
            let reservation = match rule.get("tdm-reservation") {
                Some(Value::Number(n)) if n.as_u64() == Some(1) => Reservation::Reserved,
                Some(Value::Number(n)) if n.as_u64() == Some(0) => Reservation::NotReserved,
                Some(Value::String(s)) if s == "1" || s == "0" => {
                    nonstandard = true;
                    Reservation::from_text(s)
                }
                Some(other) => {
                    error = Some(format!("`tdm-reservation` is {other}, not 0 or 1"));
                    Reservation::Unset
                }
                None => {
                    error = Some("no `tdm-reservation`".into());
                    Reservation::Unset
                }
            };
            let policy = match (rule.get("tdm-policy"), reservation) {
                (Some(Value::String(url)), Reservation::Reserved) => Some(url.clone()),
                _ => None,
            };
            let mut pattern = Vec::new();
            normalize::normalize_into(location.as_bytes(), Side::Pattern, &mut pattern);
            rules.push(TdmRule {
                index,
                location: location.clone(),
                pattern,
                reservation,
                policy,
                nonstandard,
                error,
            });
        }
        TdmRepFile {
            rules,
            invalid: None,
        }
    }

    /// The first rule whose location matches `path` (a URL path and query
    /// in robots.txt normal form, see [`normalize`]); `None`: the file says
    /// nothing about it.
    #[must_use]
    pub fn rule_for(&self, path: &[u8]) -> Option<&TdmRule> {
        self.rules
            .iter()
            .find(|rule| Pattern::new(&rule.pattern).matches(path))
    }

    /// The reservation for `path`: that of the first matching rule.
    #[must_use]
    pub fn reservation(&self, path: &[u8]) -> Reservation {
        self.rule_for(path)
            .map_or(Reservation::Unset, |rule| rule.reservation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Reservation::{NotReserved as Free, Reserved as Res, Unset};

    const SPEC_EXAMPLE: &str = r#"[
      {"location": "/directory-a/", "tdm-reservation": 1},
      {"location": "/directory-b/html/", "tdm-reservation": 1,
       "tdm-policy": "https://provider.com/policies/policy.json"},
      {"location": "/directory-b/images/*.jpg", "tdm-reservation": 0}
    ]"#;

    fn at(file: &TdmRepFile, path: &str) -> Reservation {
        let mut scratch = Vec::new();
        file.reservation(normalize::normalize(
            path.as_bytes(),
            Side::Url,
            &mut scratch,
        ))
    }

    #[test]
    fn the_spec_example() {
        let file = TdmRepFile::parse(SPEC_EXAMPLE.as_bytes());
        assert!(file.invalid.is_none());
        assert_eq!(at(&file, "/directory-a/x.html"), Res);
        assert_eq!(at(&file, "/directory-b/html/page"), Res);
        assert_eq!(
            file.rule_for(b"/directory-b/html/page")
                .unwrap()
                .policy
                .as_deref(),
            Some("https://provider.com/policies/policy.json")
        );
        assert_eq!(at(&file, "/directory-b/images/cat.jpg"), Free);
        assert_eq!(at(&file, "/elsewhere"), Unset, "no match: unset");
        assert_eq!(at(&file, "/Directory-A/x"), Unset, "case-sensitive");
    }

    #[test]
    fn first_match_wins_not_longest() {
        // SIGNALS §6.8 case 3.
        let file = TdmRepFile::parse(
            br#"[{"location": "/a/", "tdm-reservation": 1},
                 {"location": "/a/public/", "tdm-reservation": 0}]"#,
        );
        assert_eq!(at(&file, "/a/public/x"), Res);
    }

    /// (reservation as JSON, result, nonstandard, source)
    const VALUES: &[(&str, Reservation, bool, &str)] = &[
        ("1", Res, false, "spec"),
        ("0", Free, false, "spec"),
        ("\"1\"", Res, true, "§6.8 case 1: string accepted, flagged"),
        ("\"0\"", Free, true, "§6.8 case 1"),
        ("2", Unset, false, "§6.8 case 1: protocol error"),
        ("true", Unset, false, "§6.8 case 1"),
        ("\"yes\"", Unset, false, "§6.8 case 1"),
        ("1.0", Unset, false, "not the integer 1"),
        ("null", Unset, false, "protocol error"),
    ];

    #[test]
    fn reservation_values() {
        for &(json, expected, nonstandard, source) in VALUES {
            let body = format!(r#"[{{"location": "/", "tdm-reservation": {json}}}]"#);
            let file = TdmRepFile::parse(body.as_bytes());
            let rule = &file.rules[0];
            assert_eq!(
                (rule.reservation, rule.nonstandard),
                (expected, nonstandard),
                "{json} ({source})"
            );
            assert_eq!(rule.error.is_some(), expected == Unset, "{json}");
        }
        let missing =
            TdmRepFile::parse(br#"[{"location": "/"}, {"location": "/", "tdm-reservation": 1}]"#);
        assert_eq!(
            at(&missing, "/x"),
            Unset,
            "the first match decides, even when unset"
        );
    }

    #[test]
    fn invalid_files_reserve_nothing() {
        for body in [
            &br#"{"location": "/", "tdm-reservation": 1}"#[..],
            b"not json",
            br#"[{"tdm-reservation": 1}]"#,
            br#"[1]"#,
            b"",
        ] {
            let file = TdmRepFile::parse(body);
            assert!(file.invalid.is_some(), "{}", String::from_utf8_lossy(body));
            assert_eq!(file.reservation(b"/"), Unset);
        }
        let bom = TdmRepFile::parse(b"\xEF\xBB\xBF[{\"location\": \"/\", \"tdm-reservation\": 1}]");
        assert_eq!(bom.reservation(b"/x"), Res);
    }

    #[test]
    fn policy_is_ignored_without_a_reservation() {
        // SIGNALS §6.8 case 7.
        let file = TdmRepFile::parse(
            br#"[{"location": "/", "tdm-reservation": 0, "tdm-policy": "https://p/policy.json"}]"#,
        );
        assert_eq!(file.rules[0].policy, None);
    }

    #[test]
    fn wildcards_and_anchors_follow_robots_txt() {
        let file = TdmRepFile::parse(
            br#"[{"location": "/*.pdf$", "tdm-reservation": 1},
                 {"location": "/%7Euser/", "tdm-reservation": 1}]"#,
        );
        assert_eq!(at(&file, "/docs/a.pdf"), Res);
        assert_eq!(at(&file, "/docs/a.pdf?x=1"), Unset);
        assert_eq!(
            at(&file, "/~user/page"),
            Res,
            "unreserved escapes are decoded"
        );
    }

    #[test]
    fn header_and_meta_text() {
        assert_eq!(Reservation::from_text(" 1 "), Res);
        assert_eq!(Reservation::from_text("0"), Free);
        assert_eq!(Reservation::from_text("yes"), Unset);
        assert_eq!(Reservation::from_text(""), Unset);
    }
}
