//! Pages of the map that later issues fill (assets); until then each says plainly
//! what is not built yet.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::{PageContext, html};
use crate::auth::CurrentUser;
use crate::error::AppError;

#[derive(Template)]
#[template(path = "workspace/coming.html")]
pub struct ComingPage {
    ctx: PageContext,
    title: &'static str,
    what: &'static str,
}

fn coming(
    user: &CurrentUser,
    nav: &'static str,
    title: &'static str,
    what: &'static str,
) -> Result<HttpResponse, AppError> {
    html(
        StatusCode::OK,
        &ComingPage {
            ctx: PageContext::for_user(user, nav),
            title,
            what,
        },
    )
}

pub async fn assets(user: CurrentUser) -> Result<HttpResponse, AppError> {
    coming(
        &user,
        "assets",
        "Assets",
        "Uploading and browsing files is not built yet.",
    )
}
