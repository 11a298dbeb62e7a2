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
//! A body that is valid JSON but not an array (a JSON API's error object
//! served for any path) is not a tdmrep.json: no file-level reservation
//! (SIGNALS.md §6.8 case 2). A body that starts as an array but is not a
//! valid one (cut at the size limit, a syntax error, a rule that is not an
//! object with a `location`) is **unreadable**: its rules before the fault
//! are kept in order and decide the paths they match, since the first
//! match decides; for any other path the file is read as a reservation,
//! because what it says there cannot be known and a broken file must never
//! open the filter. Other bodies (HTML, text) are not tdmrep.json files.

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
    /// Why the file as a whole is unusable, when it is: it states nothing.
    pub invalid: Option<String>,
    /// Why the file is unreadable past its first `rules`, when it is: it
    /// reserves every path those rules do not match.
    pub unreadable: Option<String>,
}

impl TdmRepFile {
    /// Parses a file body. Never fails: a body that is not a tdmrep.json
    /// has no rules and says why in `invalid`; a broken one keeps the
    /// rules before the fault and says why in `unreadable`; unusable
    /// values say why in a rule's `error`.
    #[must_use]
    pub fn parse(body: &[u8]) -> TdmRepFile {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let text = body.trim_ascii();
        let mut file = TdmRepFile::default();
        match serde_json::from_slice::<Value>(text) {
            Ok(Value::Array(items)) => {
                for (index, item) in items.iter().enumerate() {
                    if let Err(why) = file.push(index, item) {
                        file.unreadable = Some(why);
                        break;
                    }
                }
            }
            Ok(_) => {
                file.invalid = Some("not a JSON array (the brackets are mandatory)".into());
            }
            Err(e) if text.starts_with(b"[") => {
                file.recover(text);
                if file.unreadable.is_none() {
                    file.unreadable = Some(format!("not valid JSON: {e}"));
                }
            }
            Err(e) => file.invalid = Some(format!("not JSON: {e}")),
        }
        file
    }

    /// Reads the rules of a broken array one by one, up to the fault.
    fn recover(&mut self, text: &[u8]) {
        let mut at = 1; // past `[`
        let skip_ws = |at: &mut usize| {
            while text.get(*at).is_some_and(u8::is_ascii_whitespace) {
                *at += 1;
            }
        };
        for index in 0.. {
            skip_ws(&mut at);
            if index == 0 && text.get(at) == Some(&b']') {
                return;
            }
            let mut values = serde_json::Deserializer::from_slice(&text[at..]).into_iter::<Value>();
            let item = match values.next() {
                Some(Ok(item)) => item,
                Some(Err(e)) => {
                    self.unreadable = Some(format!("not valid JSON in rule {index}: {e}"));
                    return;
                }
                None => {
                    self.unreadable = Some(format!("the array ends before rule {index}"));
                    return;
                }
            };
            at += values.byte_offset();
            if let Err(why) = self.push(index, &item) {
                self.unreadable = Some(why);
                return;
            }
            skip_ws(&mut at);
            match text.get(at) {
                Some(b',') => at += 1,
                Some(b']') => return,
                _ => {
                    self.unreadable = Some(format!("the array is cut after rule {index}"));
                    return;
                }
            }
        }
    }

    /// Adds rule `index`, or says why it is not a rule.
    fn push(&mut self, index: usize, item: &Value) -> Result<(), String> {
        let Value::Object(rule) = item else {
            return Err(format!("rule {index} is not an object"));
        };
        let Some(Value::String(location)) = rule.get("location") else {
            return Err(format!("rule {index} has no `location` string"));
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
        self.rules.push(TdmRule {
            index,
            location: location.clone(),
            pattern,
            reservation,
            policy,
            nonstandard,
            error,
        });
        Ok(())
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

    /// The reservation for `path`: that of the first matching rule; for a
    /// path no rule matches, reserved when the file is unreadable, else
    /// unset.
    #[must_use]
    pub fn reservation(&self, path: &[u8]) -> Reservation {
        match self.rule_for(path) {
            Some(rule) => rule.reservation,
            None if self.unreadable.is_some() => Reservation::Reserved,
            None => Reservation::Unset,
        }
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
    fn files_that_are_not_tdmrep_reserve_nothing() {
        // A JSON object (SIGNALS §6.8 case 2, and the error object JSON
        // APIs serve for any path), HTML, text, nothing.
        for body in [
            &br#"{"location": "/", "tdm-reservation": 1}"#[..],
            b"not json",
            b"<!DOCTYPE html><html></html>",
            b"",
        ] {
            let file = TdmRepFile::parse(body);
            assert!(file.invalid.is_some(), "{}", String::from_utf8_lossy(body));
            assert!(file.unreadable.is_none());
            assert_eq!(file.reservation(b"/"), Unset);
        }
        let bom = TdmRepFile::parse(b"\xEF\xBB\xBF[{\"location\": \"/\", \"tdm-reservation\": 1}]");
        assert_eq!(bom.reservation(b"/x"), Res);
    }

    #[test]
    fn broken_arrays_keep_their_first_rules_and_reserve_the_rest() {
        for body in [
            &br#"[{"location": "/free/", "tdm-reservation": 0}, {"tdm-reservation": 1}]"#[..],
            br#"[{"location": "/free/", "tdm-reservation": 0}, 1]"#,
            br#"[{"location": "/free/", "tdm-reservation": 0}, {"location": "/a", "tdm-res"#,
            br#"[{"location": "/free/", "tdm-reservation": 0} {"location": "/a"}]"#,
            br#"[{"location": "/free/", "tdm-reservation": 0},"#,
        ] {
            let file = TdmRepFile::parse(body);
            let shown = String::from_utf8_lossy(body);
            assert!(
                file.unreadable.is_some() && file.invalid.is_none(),
                "{shown}"
            );
            assert_eq!(file.rules.len(), 1, "{shown}");
            assert_eq!(file.reservation(b"/free/x"), Free, "{shown}");
            assert_eq!(file.reservation(b"/other"), Res, "{shown}");
        }
        // A file cut at the size limit: its first rule still decides.
        let mut big = br#"[{"location": "/*", "tdm-reservation": 1}"#.to_vec();
        while big.len() < 600_000 {
            big.extend_from_slice(br#", {"location": "/x", "tdm-reservation": 0}"#);
        }
        big.truncate(512_000);
        let file = TdmRepFile::parse(&big);
        assert!(file.unreadable.is_some());
        assert_eq!(file.reservation(b"/x"), Res, "the first rule matches first");
        let empty = TdmRepFile::parse(b"[]");
        assert!(empty.unreadable.is_none() && empty.invalid.is_none());
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
