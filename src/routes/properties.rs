//! Property tests for the form decoders: urlencoded bodies (well formed, or raw
//! with stray `&`, `=`, `%` and `+`) decoded into every form and query type the
//! routes take, and the parsers behind the forms that have one. Each body starts
//! from a valid form and has a field or two replaced by hostile text
//! (`domain::properties::hostile_text`) or extra fields added, so both the
//! accepting and the refusing paths run. No input may panic; what a parser
//! accepts must be what the person typed (trimmed), within the limits the form
//! promises. Cases per property as in `domain::properties`.

use proptest::prelude::*;
use proptest::sample::select;
use serde::de::DeserializeOwned;

use crate::domain::Preferences;
use crate::domain::properties::{config, hostile_text};

use super::activities::ActivityForm;
use super::assets::AssetForm;
use super::assets::gallery::GalleryQuery;
use super::assets::links::LinkForm;
use super::auth::supabase::MagicForm;
use super::auth::{LoginForm, SignupForm};
use super::clients::credentials::CredentialsForm;
use super::clients::csv::Clients;
use super::clients::followup::ContactForm;
use super::clients::form::ClientForm;
use super::clients::health::HealthForm;
use super::clients::list::ListQuery;
use super::command::goals::GoalForm;
use super::import::{CommitForm, parse};
use super::opportunities::{DismissForm, OpportunityForm};
use super::projects::board::{BoardQuery, StepForm};
use super::projects::form::ProjectForm;
use super::settings::SettingsForm;
use super::tasks::actions::{MoveForm, StatusForm};
use super::tasks::form::TaskForm;

type Fields = &'static [(&'static str, &'static str)];

const TASK: Fields = &[
    ("title", "Write the proposal"),
    ("description", "Two pages, pricing last"),
    ("category", "CODE"),
    ("priority", "HIGH"),
    ("energy_level", "DEEP_WORK"),
    ("scheduled_date", "2026-11-23"),
    ("scheduled_time", "09:00"),
    ("time_block_minutes", "90"),
    ("project_id", ""),
    ("goal_id", ""),
    ("activity_id", ""),
    ("return_to", "/"),
];

const ACTIVITY: Fields = &[
    ("title", "Inbox zero"),
    ("description", "Answer or archive"),
    ("category", "ADMIN"),
    ("default_duration", "30"),
    ("energy_level", "LIGHT"),
];

const GOAL: Fields = &[
    ("title", "Ship three sites"),
    ("description", ""),
    ("goal_type", "MONTHLY"),
    ("target_value", "3"),
    ("start_date", "2026-11-01"),
    ("due_date", "2026-11-30"),
];

const CLIENT: Fields = &[
    ("name", "Acme GmbH"),
    ("email", "ana@example.com"),
    ("phone", "+49 30 1234"),
    ("company", "Acme"),
    ("industry", "Retail"),
    ("website_url", "https://acme.example"),
    ("github_url", ""),
    ("vercel_url", ""),
    ("figma_url", ""),
    ("status", "ACTIVE"),
    ("health_score", "GREEN"),
    ("payment_status", "CURRENT"),
    ("contract_value", "12,000.00"),
    ("monthly_retainer", "1500"),
    ("followup_cadence_days", "14"),
    ("next_followup", "2026-12-01"),
    ("referred_by", "Bea"),
    ("notes", "Prefers calls"),
];

const PROJECT: Fields = &[
    ("client_id", "00000000-0000-4000-8000-000000000000"),
    ("name", "Shop relaunch"),
    ("description", "New checkout"),
    ("project_type", "WEBSITE"),
    ("status", "DESIGN"),
    ("priority", "MEDIUM"),
    ("start_date", "2026-11-01"),
    ("due_date", "2027-01-31"),
    ("budget", "8000"),
    ("paid_amount", "2000.50"),
    ("repository_url", "https://github.com/acme/shop"),
    ("staging_url", ""),
    ("production_url", ""),
];

const SETTINGS: Fields = &[
    ("name", "Ana"),
    ("timezone", "Europe/Berlin"),
    ("work_start", "09:00"),
    ("work_end", "17:00"),
    ("day_start", "07:00"),
    ("day_end", "21:00"),
    ("week_starts_on", "monday"),
];

/// Import columns (as a spreadsheet might name them) with a valid cell each.
const IMPORT: Fields = &[
    ("name", "Acme GmbH"),
    ("Email", "ana@example.com"),
    ("website", "https://acme.example"),
    ("health", "YELLOW"),
    ("retainer", "1500.00"),
    ("notes", "Prefers calls"),
    ("cadence", "30"),
    ("zzz", "?"),
];

/// Field names of every other form and query, for the extra fields a body may carry.
const OTHER_FIELDS: &[&str] = &[
    "csrf_token",
    "note",
    "decision",
    "reason",
    "credentials",
    "value",
    "direction",
    "when",
    "date",
    "time",
    "keep_time",
    "status",
    "email",
    "password",
    "next",
    "csv",
    "type",
    "tag",
    "tags",
    "client",
    "project",
    "task_id",
    "q",
    "sort",
    "view",
    "page",
    "health",
    "payment",
    "zzz",
    "",
];

/// A body made from `base`: each value kept or (about one field in `base.len()`
/// / 1.5) replaced by hostile text, up to two extra fields, then either encoded
/// or joined raw.
fn body(base: Fields) -> impl Strategy<Value = String> {
    let keep = 1.0 - 1.5 / base.len() as f64;
    (
        prop::collection::vec(
            prop::option::weighted(1.0 - keep, hostile_text()),
            base.len(),
        ),
        prop::collection::vec((select(OTHER_FIELDS), hostile_text()), 0..3),
        any::<bool>(),
    )
        .prop_map(move |(replaced, extra, raw)| {
            let mut pairs: Vec<(String, String)> = base
                .iter()
                .zip(replaced)
                .map(|((k, v), r)| (k.to_string(), r.unwrap_or_else(|| v.to_string())))
                .collect();
            pairs.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
            if raw {
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("&")
            } else {
                serde_urlencoded::to_string(&pairs).unwrap_or_default()
            }
        })
}

fn decode<T: DeserializeOwned>(body: &str) -> Option<T> {
    serde_urlencoded::from_str(body).ok()
}

/// What a free-text field must hold once accepted: the input trimmed, or nothing
/// for a blank one.
fn kept(input: &str) -> Option<String> {
    Some(input.trim().to_string()).filter(|t| !t.is_empty())
}

/// Accepted text holds no control character a person cannot have typed (U+0000
/// above all, which PostgreSQL refuses to store); multi-line text keeps its breaks.
fn clean(text: Option<&str>, multiline: bool) -> bool {
    text.is_none_or(|t| crate::domain::text::stray_control(t, multiline).is_none())
}

fn in_plan_range(day: Option<chrono::NaiveDate>) -> bool {
    day.is_none_or(|d| (1900..=2199).contains(&chrono::Datelike::year(&d)))
}

fn web_link(url: &Option<String>) -> bool {
    url.as_deref().is_none_or(|u| {
        let lower = u.to_ascii_lowercase();
        (lower.starts_with("https://") || lower.starts_with("http://"))
            && !u.contains(['"', '<', '>'])
            && !u.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn block_form(body in body(TASK)) {
        let Some(form) = decode::<TaskForm>(&body) else { return Ok(()) };
        let Ok(f) = form.parse() else { return Ok(()) };
        prop_assert_eq!(Some(f.title.clone()), kept(&form.title));
        prop_assert!(f.title.chars().count() <= 200);
        prop_assert!(clean(Some(&f.title), false) && clean(f.description.as_deref(), true));
        prop_assert_eq!(f.description, kept(&form.description));
        prop_assert!(in_plan_range(f.scheduled_date));
        if let Some(start) = f.scheduled_time {
            prop_assert!(f.scheduled_date.is_some(), "a start time without a day: {:?}", body);
            prop_assert!(
                u32::from(start.minutes()) + u32::from(f.time_block_minutes.get()) <= 24 * 60,
                "past midnight: {:?}", body
            );
        }
    }

    #[test]
    fn activity_form(body in body(ACTIVITY)) {
        let Some(form) = decode::<ActivityForm>(&body) else { return Ok(()) };
        let Ok(f) = form.parse() else { return Ok(()) };
        prop_assert!(clean(Some(&f.title), false) && clean(f.description.as_deref(), true));
        prop_assert_eq!(Some(f.title), kept(&form.title));
        prop_assert_eq!(f.description, kept(&form.description));
    }

    #[test]
    fn goal_form(body in body(GOAL)) {
        let Some(form) = decode::<GoalForm>(&body) else { return Ok(()) };
        let Ok(f) = form.parse() else { return Ok(()) };
        prop_assert!(clean(Some(&f.title), false) && clean(f.description.as_deref(), true));
        prop_assert_eq!(Some(f.title), kept(&form.title));
        prop_assert_eq!(f.description, kept(&form.description));
        prop_assert!(f.target_value.is_none_or(|t| (1..=100_000).contains(&t)));
        prop_assert!(in_plan_range(f.start_date) && in_plan_range(f.due_date));
        if let (Some(start), Some(due)) = (f.start_date, f.due_date) {
            prop_assert!(start <= due);
        }
    }

    #[test]
    fn client_form(body in body(CLIENT)) {
        let Some(form) = decode::<ClientForm>(&body) else { return Ok(()) };
        let Ok(f) = form.parse() else { return Ok(()) };
        prop_assert!(clean(Some(&f.name), false) && clean(f.notes.as_deref(), true));
        for text in [&f.phone, &f.company, &f.industry, &f.referred_by] {
            prop_assert!(clean(text.as_deref(), false), "{:?}", text);
        }
        prop_assert_eq!(Some(f.name), kept(&form.name));
        for (value, input) in [
            (&f.phone, &form.phone),
            (&f.company, &form.company),
            (&f.industry, &form.industry),
            (&f.referred_by, &form.referred_by),
            (&f.notes, &form.notes),
        ] {
            prop_assert_eq!(value, &kept(input));
        }
        prop_assert!(f.email.as_deref().is_none_or(|e| e.contains('@')));
        for url in [&f.website_url, &f.github_url, &f.vercel_url, &f.figma_url] {
            prop_assert!(web_link(url), "{:?}", url);
        }
        for money in [f.contract_value, f.monthly_retainer].into_iter().flatten() {
            prop_assert!(!money.is_negative());
        }
        prop_assert!((1..=365).contains(&f.followup_cadence_days));
        prop_assert!(in_plan_range(f.next_followup.map(|t| t.date())));
    }

    #[test]
    fn project_form(body in body(PROJECT)) {
        let Some(form) = decode::<ProjectForm>(&body) else { return Ok(()) };
        let Ok(f) = form.parse() else { return Ok(()) };
        prop_assert!(clean(Some(&f.name), false) && clean(f.description.as_deref(), true));
        prop_assert_eq!(Some(f.name), kept(&form.name));
        prop_assert_eq!(f.description, kept(&form.description), "{:?}", body);
        for url in [&f.repository_url, &f.staging_url, &f.production_url] {
            prop_assert!(web_link(url), "{:?}", url);
        }
        prop_assert!(!f.paid_amount.is_negative());
        prop_assert!(f.budget.is_none_or(|b| !b.is_negative()));
        prop_assert!(in_plan_range(f.start_date) && in_plan_range(f.due_date));
        if let (Some(start), Some(due)) = (f.start_date, f.due_date) {
            prop_assert!(start <= due);
        }
    }

    #[test]
    fn settings_form(body in body(SETTINGS)) {
        let Some(form) = decode::<SettingsForm>(&body) else { return Ok(()) };
        let Ok((_, zone, prefs)) = super::settings::validate(&form, &Preferences::default()) else {
            return Ok(());
        };
        prop_assert_eq!(crate::domain::Timezone::parse(zone.name()).ok(), Some(zone));
        prop_assert!(prefs.work_start < prefs.work_end);
        prop_assert!(prefs.day_start < prefs.day_end);
    }

    /// The CSV import: some of the columns (and now and then an unknown one),
    /// then rows of valid cells with some replaced by hostile text; every row it
    /// accepts is a client the form would accept.
    #[test]
    fn client_import(
        columns in prop::sample::subsequence(IMPORT, 1..=IMPORT.len()),
        rows in prop::collection::vec(
            prop::collection::vec(prop::option::weighted(0.15, hostile_text()), IMPORT.len()),
            0..4,
        ),
    ) {
        let mut text = columns.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(",");
        for row in rows {
            text.push('\n');
            let cells: Vec<String> = columns
                .iter()
                .zip(row)
                .map(|((_, valid), cell)| cell.unwrap_or_else(|| valid.to_string()))
                .collect();
            text.push_str(&cells.join(","));
        }
        if let Ok(accepted) = parse(&Clients(Vec::new()), &text) {
            for row in accepted {
                let (preview, fields) = (&row, row.fields.clone());
                prop_assert_eq!(Some(fields.name), kept(&preview.form.name));
                prop_assert_eq!(fields.notes, kept(&preview.form.notes));
                prop_assert!(web_link(&fields.website_url));
                prop_assert!(fields.monthly_retainer.is_none_or(|m| !m.is_negative()));
                prop_assert!((1..=365).contains(&fields.followup_cadence_days));
            }
        }
    }

    /// The forms and queries whose fields are checked in their handlers (the
    /// sweep in `tests/app/bad_input.rs` sends them over HTTP): decoding any body
    /// ends in a value or an error, and the query parsers take any value.
    #[test]
    fn other_forms_and_queries_decode(body in body(&[("status", "DONE"), ("return_to", "/")])) {
        let _ = decode::<ContactForm>(&body);
        let _ = decode::<HealthForm>(&body);
        let _ = decode::<CredentialsForm>(&body);
        let _ = decode::<OpportunityForm>(&body);
        let _ = decode::<DismissForm>(&body);
        let _ = decode::<StepForm>(&body);
        let _ = decode::<StatusForm>(&body);
        let _ = decode::<MoveForm>(&body);
        let _ = decode::<LoginForm>(&body);
        let _ = decode::<SignupForm>(&body);
        let _ = decode::<MagicForm>(&body);
        let _ = decode::<CommitForm>(&body);
        let _ = decode::<AssetForm>(&body);
        let _ = decode::<LinkForm>(&body);
        if let Some(query) = decode::<ListQuery>(&body) {
            let _ = super::clients::list::parse_list(&query);
        }
        if let Some(query) = decode::<GalleryQuery>(&body) {
            let _ = super::assets::gallery::parse_gallery(&query);
        }
        let _ = decode::<BoardQuery>(&body);
    }
}
