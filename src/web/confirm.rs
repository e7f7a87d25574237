//! "Delete this?" as a page: what a delete control leads to without JavaScript
//! (with it, htmx asks in a dialog and posts straight away).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::{PageContext, html};
use crate::error::AppError;

/// What the page asks and where its button posts.
#[derive(Debug, Clone)]
pub struct Confirm {
    /// The question, also the tab title: "Delete “Write proposal”?"
    pub heading: String,
    /// What deleting does and keeps.
    pub detail: String,
    /// The POST that deletes.
    pub action: String,
    pub button: &'static str,
    /// A second way to confirm, sent as `scope=following` ("Delete this and the
    /// following blocks").
    pub also: Option<&'static str>,
    /// Where both buttons lead afterwards (a safe local path).
    pub return_to: String,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    ctx: PageContext,
    confirm: Confirm,
}

pub fn page(ctx: PageContext, confirm: Confirm) -> Result<HttpResponse, AppError> {
    html(StatusCode::OK, &ConfirmPage { ctx, confirm })
}
