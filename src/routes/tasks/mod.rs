//! `/tasks/…`: a block's form and what can be done to it. Every change answers the
//! way the page that asked wants: the day page's `#day-plan` (or its editor), the
//! week's `#week-grid`, or a redirect back to where the form came from.

pub mod actions;
pub mod form;
pub mod hint;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::CurrentUser;
use crate::domain::Notice;
use crate::error::AppError;
use crate::routes::command::{calendar, day};
use crate::state::AppState;
use crate::web::notice::see_other_with;
use crate::web::{date_in, htmx_target};

/// `HX-Target: day-plan` or `editor` gets the day page's fragment, `week-grid`
/// the week's; other htmx targets and plain requests go back to `return_to`.
/// The notice says what happened, in the status region either way.
pub async fn respond(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    user: &CurrentUser,
    return_to: &str,
    notice: Option<Notice>,
) -> Result<HttpResponse, AppError> {
    let notice = notice.as_ref();
    match htmx_target(req).as_deref() {
        Some(target @ ("day-plan" | "editor")) => {
            day::fragment(state, user, date_in(return_to), target == "editor", notice).await
        }
        Some("week-grid") => calendar::fragment(state, user, date_in(return_to), notice).await,
        _ => Ok(see_other_with(
            req,
            return_to,
            notice,
            state.sessions.secure,
        )),
    }
}
