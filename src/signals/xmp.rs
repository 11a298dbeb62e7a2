//! XMP packets embedded in media files (SIGNALS.md §14.4): TDMRep's
//! `tdm:reservation` and `tdm:policy` (in PDF metadata; the EPUB package
//! form is read by [`crate::signals::media`]), and IPTC's data-mining
//! property `plus:DataMining` (IPTC Photo Metadata Standard 2023.1, PLUS
//! License Data Format vocabulary). Parsing only.
//!
//! A packet is found by its `<x:xmpmeta` element wherever it lies in the
//! bytes: a JPEG APP1 segment, a PNG `iTXt` chunk, a WebP `XMP ` chunk, an
//! MP4 box, or a PDF metadata stream (which PDF asks to be left
//! uncompressed so that tools can find it). Names are resolved by
//! namespace, not prefix; a property may be an attribute of
//! `rdf:Description`, an element with text, or an element with
//! `rdf:resource`.
//!
//! TDMRep's namespace differs between its PDF (`…/ns/tdmrep/`) and EPUB
//! (`…/ns/tdmrep#`) forms; both are read wherever they appear and the
//! other form is flagged (SIGNALS.md §6.8 case 8). Several packets (a PDF
//! holds one per object that has metadata) combine to the most
//! restrictive statement: a reservation anywhere in the file reserves it.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::signals::tdmrep::Reservation;

/// TDMRep's namespace in PDF XMP.
pub const TDMREP_PDF: &str = "http://www.w3.org/ns/tdmrep/";
/// TDMRep's namespace in EPUB package metadata.
pub const TDMREP_EPUB: &str = "http://www.w3.org/ns/tdmrep#";
/// The PLUS namespace of `plus:DataMining`.
pub const PLUS: &str = "http://ns.useplus.org/ldf/xmp/1.0/";
/// The PLUS controlled vocabulary the values are URIs of.
pub const PLUS_VOCAB: &str = "http://ns.useplus.org/ldf/vocab/";
const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// Packets read per file, and bytes per packet: a hostile file cannot make
/// a run parse without end.
const MAX_PACKETS: usize = 64;
const MAX_PACKET: usize = 1 << 20;

/// The values of `plus:DataMining` (the PLUS `DMI-` vocabulary), from the
/// most permissive to the most restrictive for training.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DataMining {
    /// `DMI-UNSPECIFIED`: nothing stated.
    Unspecified,
    /// `DMI-ALLOWED`.
    Allowed,
    /// A value outside the vocabulary, as written: nothing stated.
    Other(String),
    /// `DMI-PROHIBITED-GENAIMLTRAINING`: generative AI/ML training.
    ProhibitedGenAiTraining,
    /// `DMI-PROHIBITED-AIMLTRAINING`: any AI/ML training.
    ProhibitedAiTraining,
    /// `DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING`: all but search
    /// indexing.
    ProhibitedExceptSearch,
    /// `DMI-PROHIBITED-SEECONSTRAINT`, `-SEEEMBEDDEDRIGHTSEXPR`,
    /// `-SEELINKEDRIGHTSEXPR`: prohibited but for what a constraint or
    /// rights expression allows, which optout does not read.
    ProhibitedSee(String),
    /// `DMI-PROHIBITED`: all data mining.
    Prohibited,
}

impl DataMining {
    /// Reads a value: a vocabulary URI, or its last segment.
    #[must_use]
    pub fn from_value(value: &str) -> DataMining {
        let value = value.trim();
        let id = value.strip_prefix(PLUS_VOCAB).unwrap_or(value);
        match id {
            "DMI-UNSPECIFIED" => DataMining::Unspecified,
            "DMI-ALLOWED" => DataMining::Allowed,
            "DMI-PROHIBITED-GENAIMLTRAINING" => DataMining::ProhibitedGenAiTraining,
            "DMI-PROHIBITED-AIMLTRAINING" => DataMining::ProhibitedAiTraining,
            "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING" => DataMining::ProhibitedExceptSearch,
            "DMI-PROHIBITED" => DataMining::Prohibited,
            see @ ("DMI-PROHIBITED-SEECONSTRAINT"
            | "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR"
            | "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR") => DataMining::ProhibitedSee(see.to_owned()),
            other => DataMining::Other(other.to_owned()),
        }
    }

    /// The vocabulary identifier, as evidence shows it.
    #[must_use]
    pub fn id(&self) -> &str {
        match self {
            DataMining::Unspecified => "DMI-UNSPECIFIED",
            DataMining::Allowed => "DMI-ALLOWED",
            DataMining::ProhibitedGenAiTraining => "DMI-PROHIBITED-GENAIMLTRAINING",
            DataMining::ProhibitedAiTraining => "DMI-PROHIBITED-AIMLTRAINING",
            DataMining::ProhibitedExceptSearch => "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
            DataMining::Prohibited => "DMI-PROHIBITED",
            DataMining::ProhibitedSee(id) | DataMining::Other(id) => id,
        }
    }
}

/// What a file's XMP packets say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XmpSignals {
    /// `tdm:reservation`, combined over packets (a `1` anywhere wins).
    pub tdm_reservation: Option<Reservation>,
    /// `tdm:policy`.
    pub tdm_policy: Option<String>,
    /// The TDMRep namespace the value was read in.
    pub tdm_namespace: Option<&'static str>,
    /// `plus:DataMining`, the most restrictive over packets.
    pub data_mining: Option<DataMining>,
    /// Packets found.
    pub packets: usize,
    /// A packet that is not well-formed XML, with where: its properties
    /// before the fault are kept.
    pub unreadable: Option<String>,
}

impl XmpSignals {
    /// Finds and reads every XMP packet in `bytes`. Never fails.
    #[must_use]
    pub fn scan(bytes: &[u8]) -> XmpSignals {
        let mut out = XmpSignals::default();
        let mut at = 0;
        while out.packets < MAX_PACKETS {
            let Some(start) = memchr::memmem::find(&bytes[at..], b"<x:xmpmeta").map(|i| at + i)
            else {
                break;
            };
            let window = &bytes[start..bytes.len().min(start + MAX_PACKET)];
            let end = memchr::memmem::find(window, b"</x:xmpmeta>")
                .map_or(window.len(), |i| i + b"</x:xmpmeta>".len());
            out.packets += 1;
            out.read_packet(&window[..end], start);
            at = start + end.max(1);
        }
        out
    }

    fn read_packet(&mut self, packet: &[u8], offset: usize) {
        let mut reader = NsReader::from_reader(packet);
        // Which property an open element is, so its text can be read.
        let mut open: Option<Property> = None;
        loop {
            let event = match reader.read_resolved_event() {
                Ok((_, Event::Eof)) => break,
                Ok((ns, event)) => (namespace(&ns), event),
                Err(e) => {
                    self.unreadable.get_or_insert_with(|| {
                        format!(
                            "XMP packet at byte {offset}: {e} at byte {}",
                            reader.buffer_position()
                        )
                    });
                    break;
                }
            };
            match event {
                (ns, Event::Start(ref e)) | (ns, Event::Empty(ref e)) => {
                    let empty = matches!(event.1, Event::Empty(_));
                    for attribute in e.attributes().flatten() {
                        let (attr_ns, local) = reader.resolver().resolve_attribute(attribute.key);
                        let Ok(value) =
                            attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        else {
                            continue;
                        };
                        let attr_ns = namespace(&attr_ns);
                        if let Some(property) = Property::of(attr_ns.as_deref(), local.as_ref()) {
                            self.set(property, &value);
                        } else if attr_ns.as_deref() == Some(RDF) && local.as_ref() == b"resource" {
                            if let Some(property) =
                                Property::of(ns.as_deref(), e.local_name().as_ref())
                            {
                                self.set(property, &value);
                            }
                        }
                    }
                    open = if empty {
                        None
                    } else {
                        Property::of(ns.as_deref(), e.local_name().as_ref())
                    };
                }
                (_, Event::Text(text)) => {
                    if let (Some(property), Ok(value)) = (open, text.decode()) {
                        if !value.trim().is_empty() {
                            self.set(property, &value);
                        }
                    }
                }
                (_, Event::End(_)) => open = None,
                _ => {}
            }
        }
    }

    fn set(&mut self, property: Property, value: &str) {
        match property {
            Property::TdmReservation(ns) => {
                let read = Reservation::from_text(value);
                self.tdm_reservation = Some(match (self.tdm_reservation, read) {
                    (Some(Reservation::Reserved), _) | (_, Reservation::Reserved) => {
                        Reservation::Reserved
                    }
                    (Some(held), Reservation::Unset) => held,
                    (_, read) => read,
                });
                self.tdm_namespace = Some(ns);
            }
            Property::TdmPolicy => {
                self.tdm_policy
                    .get_or_insert_with(|| value.trim().to_owned());
            }
            Property::DataMining => {
                let read = DataMining::from_value(value);
                if self.data_mining.as_ref().is_none_or(|held| read > *held) {
                    self.data_mining = Some(read);
                }
            }
        }
    }

    /// Whether the TDMRep value was read in the EPUB namespace, not PDF's.
    #[must_use]
    pub fn tdm_namespace_flagged(&self) -> bool {
        self.tdm_namespace == Some(TDMREP_EPUB)
    }
}

/// A property optout reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Property {
    TdmReservation(&'static str),
    TdmPolicy,
    DataMining,
}

impl Property {
    fn of(namespace: Option<&str>, local: &[u8]) -> Option<Property> {
        let tdm = match namespace? {
            TDMREP_PDF => Some(TDMREP_PDF),
            TDMREP_EPUB => Some(TDMREP_EPUB),
            _ => None,
        };
        match (tdm, namespace?, local) {
            (Some(ns), _, b"reservation") => Some(Property::TdmReservation(ns)),
            (Some(_), _, b"policy") => Some(Property::TdmPolicy),
            (None, PLUS, b"DataMining") => Some(Property::DataMining),
            _ => None,
        }
    }
}

fn namespace(ns: &ResolveResult<'_>) -> Option<String> {
    match ns {
        ResolveResult::Bound(ns) => Some(String::from_utf8_lossy(ns.as_ref()).into_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(description: &str) -> String {
        format!(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\
             <x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"{RDF}\">{description}</rdf:RDF></x:xmpmeta>\
             <?xpacket end=\"w\"?>"
        )
    }

    /// TDMRep report, "TDM Reservation in PDF files" (XMP, namespace
    /// `…/ns/tdmrep/`), as attribute and element forms.
    #[test]
    fn tdmrep_in_pdf_xmp() {
        let attr = packet(&format!(
            "<rdf:Description rdf:about=\"\" xmlns:tdm=\"{TDMREP_PDF}\" tdm:reservation=\"1\" tdm:policy=\"https://e.com/policy.json\"/>"
        ));
        let body =
            format!("%PDF-1.7\n1 0 obj<</Type/Metadata/Subtype/XML>>stream\n{attr}\nendstream");
        let xmp = XmpSignals::scan(body.as_bytes());
        assert_eq!(xmp.tdm_reservation, Some(Reservation::Reserved));
        assert_eq!(xmp.tdm_policy.as_deref(), Some("https://e.com/policy.json"));
        assert!(!xmp.tdm_namespace_flagged());
        let element = packet(&format!(
            "<rdf:Description rdf:about=\"\" xmlns:t=\"{TDMREP_PDF}\"><t:reservation>0</t:reservation></rdf:Description>"
        ));
        let xmp = XmpSignals::scan(element.as_bytes());
        assert_eq!(
            xmp.tdm_reservation,
            Some(Reservation::NotReserved),
            "prefix is free"
        );
        let epub_ns = packet(&format!(
            "<rdf:Description xmlns:tdm=\"{TDMREP_EPUB}\" tdm:reservation=\"1\"/>"
        ));
        let xmp = XmpSignals::scan(epub_ns.as_bytes());
        assert_eq!(xmp.tdm_reservation, Some(Reservation::Reserved));
        assert!(
            xmp.tdm_namespace_flagged(),
            "§6.8 case 8: tolerated, flagged"
        );
    }

    /// IPTC Photo Metadata Standard 2023.1, `plus:DataMining` with the PLUS
    /// `DMI-` vocabulary: attribute, element text and `rdf:resource`.
    #[test]
    fn iptc_data_mining() {
        let cases = [
            (
                format!(
                    "<rdf:Description xmlns:plus=\"{PLUS}\" plus:DataMining=\"{PLUS_VOCAB}DMI-PROHIBITED-AIMLTRAINING\"/>"
                ),
                DataMining::ProhibitedAiTraining,
            ),
            (
                format!(
                    "<rdf:Description xmlns:plus=\"{PLUS}\"><plus:DataMining>{PLUS_VOCAB}DMI-ALLOWED</plus:DataMining></rdf:Description>"
                ),
                DataMining::Allowed,
            ),
            (
                format!(
                    "<rdf:Description xmlns:p=\"{PLUS}\"><p:DataMining rdf:resource=\"{PLUS_VOCAB}DMI-PROHIBITED-GENAIMLTRAINING\"/></rdf:Description>"
                ),
                DataMining::ProhibitedGenAiTraining,
            ),
            (
                format!(
                    "<rdf:Description xmlns:plus=\"{PLUS}\" plus:DataMining=\"DMI-PROHIBITED-SEECONSTRAINT\"/>"
                ),
                DataMining::ProhibitedSee("DMI-PROHIBITED-SEECONSTRAINT".into()),
            ),
            (
                "<rdf:Description xmlns:plus=\"http://example.com/not-plus/\" plus:DataMining=\"DMI-PROHIBITED\"/>".to_owned(),
                DataMining::Unspecified,
            ),
        ];
        for (description, expected) in cases {
            let xmp = XmpSignals::scan(packet(&description).as_bytes());
            assert_eq!(
                xmp.data_mining.unwrap_or(DataMining::Unspecified),
                expected,
                "{description}"
            );
        }
    }

    #[test]
    fn packets_combine_to_the_most_restrictive_and_bad_ones_are_named() {
        let allow = packet(&format!(
            "<rdf:Description xmlns:plus=\"{PLUS}\" plus:DataMining=\"DMI-ALLOWED\"/>"
        ));
        let prohibit = packet(&format!(
            "<rdf:Description xmlns:plus=\"{PLUS}\" plus:DataMining=\"DMI-PROHIBITED\"/>"
        ));
        let both = format!("JFIF....{allow}....{prohibit}");
        let xmp = XmpSignals::scan(both.as_bytes());
        assert_eq!(
            (xmp.packets, xmp.data_mining),
            (2, Some(DataMining::Prohibited))
        );
        let broken = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><a></b></x:xmpmeta>";
        let xmp = XmpSignals::scan(broken.as_bytes());
        assert!(xmp.unreadable.is_some());
        assert_eq!(XmpSignals::scan(b"no metadata here").packets, 0);
    }
}
