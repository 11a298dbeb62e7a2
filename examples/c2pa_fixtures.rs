//! Writes the C2PA fixtures of `fixtures/c2pa/` (see its SOURCES.md): the
//! base JPEG signed with a CAWG training-and-data-mining assertion, once
//! refusing generative training and once allowing every use, and a copy of
//! the allowed one whose pixels were changed after signing (its manifest no
//! longer validates). Signed with the test certificate chain beside them,
//! which is for these tests only.
//!
//! ```text
//! cargo run --example c2pa_fixtures -- fixtures/c2pa
//! ```

use std::io::Cursor;
use std::path::Path;

fn sign(dir: &Path, entries: &serde_json::Value) -> Vec<u8> {
    let chain = std::fs::read(dir.join("test-chain.pem")).expect("test-chain.pem");
    let key = std::fs::read(dir.join("test-signer.key")).expect("test-signer.key");
    let signer = c2pa::create_signer::from_keys(&chain, &key, c2pa::SigningAlg::Es256, None)
        .expect("a signer from the test chain");
    let definition = serde_json::json!({
        "title": "optout fixture",
        "claim_generator_info": [{"name": "optout fixtures", "version": env!("CARGO_PKG_VERSION")}],
    });
    let mut builder =
        c2pa::Builder::from_json(&definition.to_string()).expect("a manifest definition");
    builder
        .add_assertion_json(
            "cawg.training-mining",
            &serde_json::json!({ "entries": entries }),
        )
        .expect("the assertion");
    let base = std::fs::read(dir.join("base.jpg")).expect("base.jpg");
    let mut source = Cursor::new(base);
    let mut dest = Cursor::new(Vec::new());
    builder
        .sign(&*signer, "image/jpeg", &mut source, &mut dest)
        .expect("signing");
    dest.into_inner()
}

#[expect(clippy::print_stderr, reason = "a by-hand tool says what it wrote")]
fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fixtures/c2pa".to_owned());
    let dir = Path::new(&dir);
    let refused = sign(
        dir,
        &serde_json::json!({
            "cawg.ai_generative_training": {"use": "notAllowed"},
            "cawg.ai_training": {"use": "allowed"},
            "cawg.ai_inference": {"use": "allowed"},
        }),
    );
    let allowed = sign(
        dir,
        &serde_json::json!({
            "cawg.ai_generative_training": {"use": "allowed"},
            "cawg.ai_training": {"use": "allowed"},
            "cawg.data_mining": {"use": "allowed"},
            "cawg.ai_inference": {"use": "allowed"},
        }),
    );
    // The last byte before the end-of-image marker belongs to the scan:
    // changing it breaks the manifest's hash of the content.
    let mut tampered = allowed.clone();
    let at = tampered.len() - 3;
    tampered[at] ^= 0x01;
    for (name, bytes) in [
        ("generative-not-allowed.jpg", &refused),
        ("allowed.jpg", &allowed),
        ("allowed-tampered.jpg", &tampered),
    ] {
        std::fs::write(dir.join(name), bytes).expect("writing a fixture");
        eprintln!("wrote {} ({} bytes)", dir.join(name).display(), bytes.len());
    }
}
