//! Randomised input for every parser the forms and imports go through: random
//! bytes, strings from the alphabet these formats use (digits, separators,
//! signs, zone names, addresses, Unicode that is easy to get wrong), and mutations
//! of valid values. No input may panic, and what is accepted must hold its
//! promises (round trips, safe file names and redirect targets). The number of
//! cases per run is `LAUF_RANDOM_CASES` (default 20,000); the seed is printed so a
//! failure can be replayed with `LAUF_RANDOM_SEED`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

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

fn random_text(rng: &mut StdRng) -> String {
    match rng.random_range(0..4) {
        0 => {
            let len = rng.random_range(0..48);
            let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        1 => (0..rng.random_range(0..6))
            .map(|_| PIECES[rng.random_range(0..PIECES.len())])
            .collect(),
        2 => {
            // A valid-looking value with one character changed, dropped or added.
            let mut chars: Vec<char> = PIECES[rng.random_range(0..PIECES.len())].chars().collect();
            if !chars.is_empty() {
                let at = rng.random_range(0..chars.len());
                match rng.random_range(0..3) {
                    0 => chars[at] = char::from_u32(rng.random_range(0..0x11_0000)).unwrap_or('?'),
                    1 => {
                        chars.remove(at);
                    }
                    _ => chars.insert(at, ['0', ':', '-', '.', ' ', '@'][rng.random_range(0..6)]),
                }
            }
            chars.into_iter().collect()
        }
        _ => (0..rng.random_range(0..300))
            .map(|_| char::from_u32(rng.random_range(0..0x3000)).unwrap_or(' '))
            .collect(),
    }
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
    let next = crate::auth::safe_next(Some(text));
    assert!(
        next.starts_with('/')
            && !next.starts_with("//")
            && !next.contains('\\')
            && !next.chars().any(char::is_control),
        "next {next:?} from {text:?}"
    );
    let _ = ical::escape(text);
}

#[test]
fn random_input_never_panics_and_accepted_values_keep_their_promises() {
    let cases: u64 = std::env::var("LAUF_RANDOM_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let seed: u64 = std::env::var("LAUF_RANDOM_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    eprintln!("random input: {cases} cases, LAUF_RANDOM_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..cases {
        let text = random_text(&mut rng);
        check(&text);
    }
}
