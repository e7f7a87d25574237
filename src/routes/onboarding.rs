//! `POST /onboarding`: a new account's first-run path on the day page — confirm
//! the time zone and work hours, pick the catalog's activities, plan a first block
//! (that step is done by planning one) — or skip it. Each answer lands back on the
//! day page saying what it did.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::CurrentUser;
use crate::db::models::{activities, users};
use crate::domain::{ActivityId, Notice, Onboarding, Preferences};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::notice::see_other_with;

/// What one answer changes: the preferences, the activities to keep (the step
/// about the catalog) and what to say.
fn answer(
    user: &CurrentUser,
    steps: Onboarding,
    form: &[(String, String)],
) -> Result<(Preferences, Option<Vec<ActivityId>>, String), AppError> {
    let mut prefs = user.user.preferences.0.clone();
    let said = match form
        .iter()
        .find(|(k, _)| k == "step")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
    {
        "hours" => {
            prefs.onboarding = Some(Onboarding {
                hours: true,
                ..steps
            });
            format!(
                "Work hours {}–{} in {} it is.",
                prefs.work_start,
                prefs.work_end,
                user.user.timezone.name()
            )
        }
        "catalog" => {
            let ids = form
                .iter()
                .filter(|(k, _)| k == "keep")
                .map(|(_, v)| ActivityId::parse(v).map_err(|_| AppError::NotFound))
                .collect::<Result<Vec<_>, _>>()?;
            if ids.is_empty() {
                return Err(AppError::Unprocessable(
                    "Keep at least one activity to plan from.".into(),
                ));
            }
            prefs.onboarding = Some(Onboarding {
                catalog: true,
                ..steps
            });
            let said = "Your catalog is set; the rest are archived (restore them on Activities).";
            return Ok((prefs, Some(ids), said.into()));
        }
        "skip" | "finish" => {
            prefs.onboarding = None;
            "You are all set. Press ? for the keyboard shortcuts.".into()
        }
        other => {
            return Err(AppError::Unprocessable(format!(
                "{other:?} is not a step of getting started."
            )));
        }
    };
    Ok((prefs, None, said))
}

/// `step=hours` (these are right), `step=catalog` with the kept `keep` ids (the
/// others are archived, restorable on /activities), `step=skip` or `step=finish`.
pub async fn step(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let Some(steps) = user.user.preferences.0.onboarding else {
        // Finished already (another tab): nothing to do.
        return Ok(see_other_with(&req, "/", None, state.sessions.secure));
    };
    let (prefs, keep, said) = answer(&user, steps, &form)?;
    let (id, now) = (user.id().clone(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            if let Some(keep) = &keep {
                for activity in activities::list_active(conn, &id)? {
                    if !keep.contains(&activity.id) {
                        activities::set_active(conn, &id, &activity.id, false, now)?;
                    }
                }
            }
            Ok(users::set_preferences(conn, &id, &prefs, now)?)
        })
        .await?;
    let notice = Notice::new(said);
    Ok(see_other_with(
        &req,
        "/",
        Some(&notice),
        state.sessions.secure,
    ))
}
