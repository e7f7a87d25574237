//! Property tests for every parser the forms and imports go through (the forms
//! themselves are in `routes::properties`): random bytes, strings from the
//! alphabet these formats use (digits, separators, signs, zone names, addresses,
//! Unicode that is easy to get wrong), and mutations of valid values. No input may
//! panic, and what is accepted must hold its promises (round trips, safe file
//! names and redirect targets). proptest shrinks a failure to a minimal input and
//! keeps it beside this file (`*.proptest-regressions`) to be tried first next
//! time. Cases per property: `PROPTEST_CASES`, 20,000 unless set.

use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::FileFailurePersistence;

use super::files::{classify, clean_file_name, parse_tags};
use super::*;

const PIECES: &[&str] = &[
    "0",
    "1",
    "9",
    "12",
    "59",
    "60",
    "23",
    "24",
    "99999999999999999999",
    "-",
    "+",
    ".",
    ",",
    ":",
    "::",
    "@",
    "/",
    "\\",
    " ",
    "\t",
    "\n",
    "\r",
    "\0",
    "e",
    "E",
    "1e308",
    "NaN",
    "inf",
    "€",
    "$",
    "é",
    "\u{202e}",
    "\u{feff}",
    "\u{1f600}",
    "Europe/Berlin",
    "UTC",
    "CET",
    "America/New_York",
    "a@b.io",
    "ana@example.com",
    "..",
    "%",
    "_",
    "'",
    "\"",
    "<script>",
    "DEEP_WORK",
    "DONE",
    "TODO",
    "09:30",
    "2026-11-22",
    "1,234.56",
    "-0.01",
    "12345678.91",
    "x",
    "",
    "00000000-0000-4000-8000-000000000000",
    "id,name,email\n",
    "\"a,b\"",
    "=cmd|' /C calc'!A0",
];

/// Text a parser may be handed: raw bytes (lossily decoded), pieces of valid
/// values run together, a valid piece with one character changed, dropped or
/// added, and long runs of arbitrary characters.
pub(crate) fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..48)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        4 => prop::collection::vec(select(PIECES), 0..6).prop_map(|pieces| pieces.concat()),
        4 => (select(PIECES), any::<Index>(), 0..3u8, any::<char>()).prop_map(
            |(piece, at, how, c)| {
                let mut chars: Vec<char> = piece.chars().collect();
                if !chars.is_empty() {
                    let at = at.index(chars.len());
                    match how {
                        0 => chars[at] = c,
                        1 => {
                            chars.remove(at);
                        }
                        _ => chars.insert(at, c),
                    }
                }
                chars.into_iter().collect()
            }
        ),
        4 => prop::collection::vec(any::<char>(), 0..300).prop_map(|chars| chars.into_iter().collect()),
        // Past every field's limit (the longest, notes, is 10,000 characters).
        1 => (select(PIECES), 1..12_000usize).prop_map(|(piece, n)| piece.repeat(n / piece.len().max(1))),
    ]
}

/// 20,000 cases per property unless `PROPTEST_CASES` says otherwise; failures
/// are kept beside the source file.
pub(crate) fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 20_000;
    }
    config.failure_persistence = Some(Box::new(FileFailurePersistence::WithSource(
        "proptest-regressions",
    )));
    config
}

fn check(text: &str) {
    if let Ok(m) = Money::parse(text) {
        assert_eq!(
            Money::parse(&m.to_string()).ok(),
            Some(m),
            "money round trip of {text:?}"
        );
    }
    if let Ok(t) = TimeOfDay::parse(text) {
        assert_eq!(
            TimeOfDay::parse(t.as_str()).ok(),
            Some(t),
            "time round trip of {text:?}"
        );
    }
    let _ = BlockMinutes::parse(text);
    if let Ok(zone) = Timezone::parse(text) {
        assert_eq!(Timezone::parse(zone.name()).ok(), Some(zone));
    }
    if let Ok(email) = EmailAddress::parse(text) {
        assert!(email.as_str().len() <= 254 && email.as_str().contains('@'));
    }
    let _ = account::parse_display_name(text);
    if let Ok(id) = ClientId::parse(text) {
        assert_eq!(ClientId::parse(id.as_str()).ok(), Some(id));
    }
    let _ = TaskStatus::parse(text);
    let _ = TaskCategory::parse(text);
    let _ = HealthScore::parse(text);
    let _ = PaymentStatus::parse(text);
    let _ = WeekStart::parse(text);
    if let Ok(tags) = parse_tags(text) {
        assert!(
            tags.iter()
                .all(|t| !t.is_empty() && t.chars().count() <= 50 && *t == t.to_lowercase()),
            "{tags:?}"
        );
    }
    let name = clean_file_name(text);
    assert!(
        // Empty means "no file" to the upload form.
        name.chars().count() <= 255
            && !name.contains(['/', '\\'])
            && !name.chars().any(char::is_control),
        "file name {name:?} from {text:?}"
    );
    let _ = classify(text, text.as_bytes());
    let next = crate::domain::paths::safe_next(Some(text));
    assert!(
        next.starts_with('/')
            && !next.starts_with("//")
            && !next.contains('\\')
            && !next.chars().any(char::is_control),
        "next {next:?} from {text:?}"
    );
    let _ = ical::escape(text);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parsers_never_panic_and_accepted_values_keep_their_promises(text in hostile_text()) {
        check(&text);
    }
}
