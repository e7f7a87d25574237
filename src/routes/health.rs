//! Probes: `/healthz` (the process answers) and `/readyz` (the database answers and,
//! in Supabase mode, the project's signing keys are usable).

use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;

use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let checked = state
        .db(|conn| Ok(diesel::sql_query("SELECT 1").execute(conn)?))
        .await;
    if let Some(supabase) = &state.supabase {
        use crate::auth::supabase::verify::KeysHealth;
        let now = state.clock.now();
        supabase.verifier.jwks.refresh_if_due(now).await;
        if supabase.verifier.jwks.health(now) == KeysHealth::Unavailable {
            return HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "5"))
                .content_type("text/plain; charset=utf-8")
                .body("Supabase signing keys unavailable");
        }
    }
    match checked {
        Ok(_) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "5"))
                .content_type("text/plain; charset=utf-8")
                .body("database unavailable")
        }
    }
}
