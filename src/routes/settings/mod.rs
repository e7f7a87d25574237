//! `/settings`: name, time zone and the planning day (work hours, day window, week
//! start), because "today" and the capacity depend on them. The other settings
//! pages live beside it: `/settings/sessions` and `/settings/calendar`.

pub mod calendar;
pub mod data;
pub mod sessions;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::Json;
use crate::db::models::users::{self, SettingsChange};
use crate::domain::account::parse_display_name;
use crate::domain::day_planner::BestHours;
use crate::domain::money::{Currency, MoneyFormat, NumberStyle};
use crate::domain::{DaySpan, Onboarding, Preferences, TimeOfDay, Timezone, WeekStart};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html, see_other};

#[derive(Debug, Default, Clone, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    work_start: String,
    #[serde(default)]
    work_end: String,
    #[serde(default)]
    day_start: String,
    #[serde(default)]
    day_end: String,
    #[serde(default)]
    week_starts_on: String,
    /// Empty keeps the stored choice (a form from before the field existed).
    #[serde(default)]
    best_hours: String,
    /// ISO 4217 code; empty keeps the stored one.
    #[serde(default)]
    currency: String,
    /// `point` or `comma`; empty keeps the stored one.
    #[serde(default)]
    number_style: String,
}

#[derive(Debug, Default)]
pub struct SettingsErrors {
    name: Option<String>,
    timezone: Option<String>,
    work_hours: Option<String>,
    day_window: Option<String>,
    week_starts_on: Option<String>,
    currency: Option<String>,
}

#[derive(Template)]
#[template(path = "settings/profile.html")]
pub struct SettingsPage {
    ctx: PageContext,
    email: String,
    form: SettingsForm,
    errors: SettingsErrors,
    zones: Vec<&'static str>,
    saved: bool,
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

fn form_from(user: &CurrentUser) -> SettingsForm {
    let prefs = &user.user.preferences.0;
    SettingsForm {
        name: user.user.name.clone().unwrap_or_default(),
        timezone: user.user.timezone.name().to_string(),
        work_start: prefs.work_start.to_string(),
        work_end: prefs.work_end.to_string(),
        day_start: prefs.day_start.to_string(),
        day_end: prefs.day_end.to_string(),
        week_starts_on: prefs.week_starts_on.as_str().to_string(),
        best_hours: prefs.best_hours.as_str().to_string(),
        currency: prefs.money.currency.code().to_string(),
        number_style: prefs.money.style.as_str().to_string(),
    }
}

impl SettingsPage {
    pub fn zone_choices(&self) -> Vec<(String, String)> {
        self.zones
            .iter()
            .map(|z| (z.to_string(), z.to_string()))
            .collect()
    }

    pub fn best_hours_choices(&self) -> Vec<(String, String)> {
        vec![
            ("morning".into(), "Mornings".into()),
            ("afternoon".into(), "Afternoons".into()),
        ]
    }

    pub fn currency_choices(&self) -> Vec<(String, String)> {
        Currency::ALL
            .iter()
            .map(|c| {
                (
                    c.code().to_string(),
                    format!("{} ({})", c.code(), c.symbol()),
                )
            })
            .collect()
    }

    pub fn style_choices(&self) -> Vec<(String, String)> {
        let sample = rust_decimal::Decimal::new(1_205_000, 2);
        let currency = Currency::parse(&self.form.currency).unwrap_or_default();
        [NumberStyle::Point, NumberStyle::Comma]
            .iter()
            .map(|style| {
                let shown = MoneyFormat {
                    currency,
                    style: *style,
                }
                .show(sample);
                (style.as_str().to_string(), shown)
            })
            .collect()
    }

    pub fn week_choices(&self) -> Vec<(String, String)> {
        [("monday", "Monday"), ("sunday", "Sunday")]
            .map(|(v, l)| (v.to_string(), l.to_string()))
            .to_vec()
    }

    fn new(user: &CurrentUser, form: SettingsForm, errors: SettingsErrors, saved: bool) -> Self {
        SettingsPage {
            ctx: PageContext::for_user(user, "settings"),
            email: user.user.email.clone(),
            form,
            errors,
            zones: Timezone::all_names().collect(),
            saved,
        }
    }
}

pub async fn show(
    user: CurrentUser,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    let page = SettingsPage::new(
        &user,
        form_from(&user),
        SettingsErrors::default(),
        query.saved.is_some(),
    );
    html(StatusCode::OK, &page)
}

fn span(start: &str, end: &str) -> Result<DaySpan, String> {
    let start = TimeOfDay::parse(start).map_err(|e| e.to_string())?;
    let end = TimeOfDay::parse(end).map_err(|e| e.to_string())?;
    DaySpan::new(start, end).map_err(|e| e.to_string())
}

/// Parses the whole form, reporting every bad field at once.
pub(crate) fn validate(
    form: &SettingsForm,
    current: &Preferences,
) -> Result<(Option<String>, Timezone, Preferences), SettingsErrors> {
    let mut errors = SettingsErrors::default();
    let name = parse_display_name(&form.name)
        .map_err(|e| errors.name = Some(e.to_string()))
        .ok();
    let timezone = Timezone::parse(&form.timezone)
        .map_err(|e| errors.timezone = Some(e.to_string()))
        .ok();
    let work = span(&form.work_start, &form.work_end)
        .map_err(|e| errors.work_hours = Some(e))
        .ok();
    let window = span(&form.day_start, &form.day_end)
        .map_err(|e| errors.day_window = Some(e))
        .ok();
    let week = WeekStart::parse(&form.week_starts_on);
    if week.is_none() {
        errors.week_starts_on = Some("choose Monday or Sunday".into());
    }
    let currency = match form.currency.as_str() {
        "" => Some(current.money.currency),
        code => Currency::parse(code),
    };
    if currency.is_none() {
        errors.currency = Some("choose a currency from the list".into());
    }
    let style = NumberStyle::parse(&form.number_style).unwrap_or(current.money.style);
    match (name, timezone, work, window, week, currency) {
        (Some(name), Some(timezone), Some(work), Some(window), Some(week), Some(currency)) => {
            let prefs = Preferences {
                work_start: work.start,
                work_end: work.end,
                day_start: window.start,
                day_end: window.end,
                week_starts_on: week,
                best_hours: BestHours::parse(&form.best_hours).unwrap_or(current.best_hours),
                money: MoneyFormat { currency, style },
                // Saving the settings confirms the first-run step about them.
                onboarding: current.onboarding.map(|o| Onboarding { hours: true, ..o }),
                other: current.other.clone(),
            };
            Ok((name, timezone, prefs))
        }
        _ => Err(errors),
    }
}

pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (name, timezone, preferences) = match validate(&form, &user.user.preferences.0) {
        Ok(valid) => valid,
        Err(errors) => {
            let page = SettingsPage::new(&user, form, errors, false);
            return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let id = user.id().clone();
    let change = SettingsChange {
        name,
        timezone,
        preferences: Json(preferences),
        updated_at: state.clock.stamp(),
    };
    state
        .db_write_as(&user, move |conn| {
            Ok(users::update_settings_audited(conn, &id, &change)?)
        })
        .await?;
    Ok(see_other(&req, "/settings?saved=1"))
}
