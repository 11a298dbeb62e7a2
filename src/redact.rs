//! Redaction of the URLs written as evidence. A corpus URL may carry
//! credentials (`user:password@host`) or personal data in its query
//! string; a removed-rows file is handed to auditors and rightsholders.
//! By default the userinfo is redacted; the query can be too. The manifest
//! records which redactions were applied, and `verify` applies the same.

use std::borrow::Cow;

use crate::error::{Error, Result};

/// What is redacted from evidence URLs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redaction {
    /// `user:password@` becomes `REDACTED@`.
    pub userinfo: bool,
    /// `?query` becomes `?REDACTED`.
    pub query: bool,
}

impl Default for Redaction {
    /// Userinfo only.
    fn default() -> Self {
        Redaction {
            userinfo: true,
            query: false,
        }
    }
}

impl Redaction {
    /// Nothing redacted.
    pub const NONE: Redaction = Redaction {
        userinfo: false,
        query: false,
    };

    /// Reads a comma-separated list: `userinfo`, `query`, or `none`.
    ///
    /// # Errors
    ///
    /// An unknown name.
    pub fn parse(list: &str) -> Result<Redaction> {
        let mut redaction = Redaction::NONE;
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "userinfo" => redaction.userinfo = true,
                "query" => redaction.query = true,
                "none" => {}
                other => {
                    return Err(Error::config(format!(
                        "--redact `{other}`: expected userinfo, query or none"
                    )));
                }
            }
        }
        Ok(redaction)
    }

    /// The names applied, as the manifest records them.
    #[must_use]
    pub fn names(self) -> Vec<String> {
        [("userinfo", self.userinfo), ("query", self.query)]
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    /// Reads the names [`Redaction::names`] gives.
    ///
    /// # Errors
    ///
    /// An unknown name.
    pub fn from_names(names: &[String]) -> Result<Redaction> {
        Redaction::parse(&names.join(","))
    }

    /// `url` with the redactions applied; borrowed when nothing changes.
    #[must_use]
    pub fn apply(self, url: &str) -> Cow<'_, str> {
        if !self.userinfo && !self.query {
            return Cow::Borrowed(url);
        }
        let authority_start = url.find("://").map_or(0, |at| at + 3);
        let authority_end = url[authority_start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |at| authority_start + at);
        let at_sign = url[authority_start..authority_end]
            .rfind('@')
            .map(|at| authority_start + at)
            .filter(|_| self.userinfo);
        let fragment = url[authority_end..]
            .find('#')
            .map_or(url.len(), |at| authority_end + at);
        let query = url[authority_end..fragment]
            .find('?')
            .map(|at| authority_end + at)
            .filter(|_| self.query);
        if at_sign.is_none() && query.is_none() {
            return Cow::Borrowed(url);
        }
        let mut out = String::with_capacity(url.len());
        match at_sign {
            Some(at) => {
                out.push_str(&url[..authority_start]);
                out.push_str("REDACTED");
                out.push_str(&url[at..authority_end]);
            }
            None => out.push_str(&url[..authority_end]),
        }
        match query {
            Some(q) => {
                out.push_str(&url[authority_end..q]);
                out.push_str("?REDACTED");
                out.push_str(&url[fragment..]);
            }
            None => out.push_str(&url[authority_end..]),
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_and_query() {
        let both = Redaction::parse("userinfo,query").unwrap();
        let cases = [
            (
                "https://u:p@a.example/x?t=1#f",
                Redaction::default(),
                "https://REDACTED@a.example/x?t=1#f",
            ),
            (
                "https://u:p@a.example/x?t=1#f",
                both,
                "https://REDACTED@a.example/x?REDACTED#f",
            ),
            (
                "https://a.example/x?t=1",
                Redaction::default(),
                "https://a.example/x?t=1",
            ),
            (
                "https://a.example/x?t=1",
                both,
                "https://a.example/x?REDACTED",
            ),
            (
                "https://a.example/p@x",
                Redaction::default(),
                "https://a.example/p@x",
            ),
            (
                "https://u@p@a.example:8080",
                Redaction::default(),
                "https://REDACTED@a.example:8080",
            ),
            (
                "https://u:p@a.example/",
                Redaction::NONE,
                "https://u:p@a.example/",
            ),
            ("https://a.example/x#a?b", both, "https://a.example/x#a?b"),
        ];
        for (url, redaction, expected) in cases {
            assert_eq!(redaction.apply(url), expected, "{url} {redaction:?}");
        }
        assert!(Redaction::parse("password").is_err());
        assert_eq!(Redaction::parse("none").unwrap(), Redaction::NONE);
        assert_eq!(Redaction::from_names(&both.names()).unwrap(), both);
    }
}
