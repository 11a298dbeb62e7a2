//! C2PA manifests with the CAWG training-and-data-mining assertion
//! (SIGNALS.md §14.4): what a signed manifest embedded in a JPEG, PNG,
//! WebP, MP4 (or other format the `c2pa` crate reads) says about AI
//! training, data mining and inference, and whether it validated. Parsing
//! only: the caller hands over the bytes.
//!
//! The assertion (`cawg.training-mining`; the C2PA 1.x form
//! `c2pa.training-mining` is read too) holds `entries`, each
//! `{"use": "allowed" | "notAllowed" | "constrained"}` under
//! `cawg.ai_generative_training`, `cawg.ai_training`, `cawg.data_mining`
//! and `cawg.ai_inference` (or their `c2pa.` forms).
//!
//! The `c2pa` crate reads the manifest store and validates it (the claim's
//! hashes, the COSE signature, the certificate's profile); no trust list
//! is configured, so a sound manifest is `valid`, not `trusted`. optout
//! never lets a signature's failure open the filter: `notAllowed` and
//! `constrained` (whose constraints it does not read) refuse whether or
//! not the manifest validated, while `allowed` counts only from a manifest
//! that validated. The evidence says which.

use std::io::Cursor;

/// What one entry says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Use {
    /// `allowed`.
    Allowed,
    /// `constrained`: allowed under constraints optout does not read.
    Constrained,
    /// `notAllowed`.
    NotAllowed,
}

impl Use {
    fn from_value(value: &str) -> Option<Use> {
        match value {
            "allowed" => Some(Use::Allowed),
            "constrained" => Some(Use::Constrained),
            "notAllowed" => Some(Use::NotAllowed),
            _ => None,
        }
    }

    /// The value as written.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Use::Allowed => "allowed",
            Use::Constrained => "constrained",
            Use::NotAllowed => "notAllowed",
        }
    }
}

/// The entries of the assertion, by what they cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Entry {
    /// `ai_generative_training`.
    GenerativeTraining,
    /// `ai_training`.
    Training,
    /// `data_mining`.
    DataMining,
    /// `ai_inference`.
    Inference,
}

impl Entry {
    /// The entry's name after its `cawg.` prefix.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Entry::GenerativeTraining => "ai_generative_training",
            Entry::Training => "ai_training",
            Entry::DataMining => "data_mining",
            Entry::Inference => "ai_inference",
        }
    }

    fn of(key: &str) -> Option<Entry> {
        let name = key
            .strip_prefix("cawg.")
            .or_else(|| key.strip_prefix("c2pa."))?;
        [
            Entry::GenerativeTraining,
            Entry::Training,
            Entry::DataMining,
            Entry::Inference,
        ]
        .into_iter()
        .find(|e| e.name() == name)
    }
}

/// What a file's C2PA manifest says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct C2paSignals {
    /// The training-and-data-mining entries of the active manifest.
    pub entries: Vec<(Entry, Use)>,
    /// The assertion's label, when there is one.
    pub assertion: Option<String>,
    /// The active manifest's label.
    pub manifest: Option<String>,
    /// `valid` or `trusted` when the manifest store validated, `invalid`
    /// when it did not (then the failure codes follow).
    pub validation: String,
    /// A manifest store was found but could not be read.
    pub unreadable: Option<String>,
}

impl C2paSignals {
    /// Reads the manifest store of `body`, a file of MIME type `format`;
    /// `None` when the file carries none. Never fails.
    #[must_use]
    pub fn read(format: &str, body: &[u8]) -> Option<C2paSignals> {
        // Most media carry no manifest: without a JUMBF box (`jumb`) or a
        // C2PA label anywhere in the bytes, the crate (which parses a whole
        // PDF) is not asked.
        if !has_marker(body) {
            return None;
        }
        // The crate parses hostile bytes; a panic in it is a bad file, read
        // as a manifest that cannot be read, never a crash of the run.
        let read = crate::panic_guard::guarded("the C2PA reader", || {
            c2pa::Reader::from_stream(format, Cursor::new(body))
        });
        let read = match read {
            Ok(read) => read,
            Err(panicked) => {
                return Some(C2paSignals {
                    validation: "invalid".into(),
                    unreadable: Some(panicked),
                    ..C2paSignals::default()
                });
            }
        };
        let reader = match read {
            Ok(reader) => reader,
            Err(c2pa::Error::JumbfNotFound | c2pa::Error::UnsupportedType) => return None,
            Err(e) => {
                return Some(C2paSignals {
                    validation: "invalid".into(),
                    unreadable: Some(e.to_string()),
                    ..C2paSignals::default()
                });
            }
        };
        let mut out = C2paSignals {
            validation: match reader.validation_state() {
                c2pa::ValidationState::Trusted => "trusted".into(),
                c2pa::ValidationState::Valid => "valid".into(),
                c2pa::ValidationState::Invalid => {
                    let codes: Vec<String> = reader
                        .validation_status()
                        .unwrap_or_default()
                        .iter()
                        .map(|s| s.code().to_owned())
                        .collect();
                    format!("invalid ({})", codes.join(", "))
                }
            },
            ..C2paSignals::default()
        };
        let Some(manifest) = reader.active_manifest() else {
            return Some(out);
        };
        out.manifest = manifest.label().map(str::to_owned);
        for assertion in manifest.assertions() {
            let label = assertion.label();
            if label != "cawg.training-mining" && label != "c2pa.training-mining" {
                continue;
            }
            out.assertion = Some(label.to_owned());
            let Ok(value) = assertion.value() else {
                continue;
            };
            let Some(entries) = value.get("entries").and_then(|e| e.as_object()) else {
                continue;
            };
            for (key, entry) in entries {
                let (Some(entry_kind), Some(use_)) = (
                    Entry::of(key),
                    entry
                        .get("use")
                        .and_then(|u| u.as_str())
                        .and_then(Use::from_value),
                ) else {
                    continue;
                };
                out.entries.push((entry_kind, use_));
            }
        }
        Some(out)
    }

    /// Whether the manifest validated (signature, hashes and certificate
    /// profile), trusted or not.
    #[must_use]
    pub fn validated(&self) -> bool {
        self.validation == "valid" || self.validation == "trusted"
    }

    /// The most restrictive use the entries of `kinds` state.
    #[must_use]
    pub fn use_of(&self, kinds: &[Entry]) -> Option<(Entry, Use)> {
        self.entries
            .iter()
            .filter(|(kind, _)| kinds.contains(kind))
            .max_by_key(|(_, use_)| *use_)
            .copied()
    }
}

/// Whether the bytes hold a JUMBF superbox type (`jumb`, as JPEG, PNG,
/// WebP and MP4 embed the store) or a C2PA label (`c2pa`, `C2PA`: a PDF's
/// manifest file is named in an uncompressed dictionary even when its
/// stream is compressed).
fn has_marker(body: &[u8]) -> bool {
    [&b"jumb"[..], b"c2pa", b"C2PA"]
        .iter()
        .any(|marker| memchr::memmem::find(body, marker).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_uses_are_read_by_name() {
        assert_eq!(
            Entry::of("cawg.ai_generative_training"),
            Some(Entry::GenerativeTraining)
        );
        assert_eq!(Entry::of("c2pa.ai_inference"), Some(Entry::Inference));
        assert_eq!(Entry::of("cawg.ai_dreaming"), None);
        assert_eq!(Use::from_value("notAllowed"), Some(Use::NotAllowed));
        assert_eq!(
            Use::from_value("NotAllowed"),
            None,
            "values are case-sensitive"
        );
        let signals = C2paSignals {
            entries: vec![
                (Entry::Training, Use::Allowed),
                (Entry::GenerativeTraining, Use::NotAllowed),
            ],
            validation: "valid".into(),
            ..C2paSignals::default()
        };
        assert_eq!(
            signals.use_of(&[Entry::Training, Entry::GenerativeTraining]),
            Some((Entry::GenerativeTraining, Use::NotAllowed)),
            "the most restrictive"
        );
        assert_eq!(signals.use_of(&[Entry::Inference]), None);
        assert!(signals.validated());
    }

    #[test]
    fn a_file_without_a_manifest_says_nothing() {
        assert!(!has_marker(b"%PDF-1.7 plain"));
        assert!(has_marker(b"..../AFRelationship /C2PA_Manifest"));
        assert_eq!(
            C2paSignals::read("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xD9]),
            None
        );
        assert_eq!(C2paSignals::read("image/png", b"\x89PNG\r\n\x1a\n"), None);
    }
}
