//! HTTP handlers, grouped by feature, with their template structs. `configure` is
//! the route table.

pub mod assets;
pub mod auth;
pub mod clients;
pub mod command;
pub mod health;
pub mod projects;
#[cfg(test)]
mod properties;
pub mod settings;
pub mod static_files;
pub mod supabase_auth;
pub mod transfer;

use actix_web::web;

use crate::web::extract::form_config_limit;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .service(
            web::resource("/static/{path:.*}")
                .route(web::get().to(static_files::serve))
                .route(web::head().to(static_files::serve)),
        )
        .route("/favicon.ico", web::get().to(static_files::favicon))
        .service(
            web::resource("/login")
                .route(web::get().to(auth::login_form))
                .route(web::post().to(auth::login)),
        )
        .service(
            web::resource("/signup")
                .route(web::get().to(auth::signup_form))
                .route(web::post().to(auth::signup)),
        )
        .route("/logout", web::post().to(auth::logout))
        // Supabase mode only (404 in local mode).
        .route("/login/magic", web::post().to(supabase_auth::magic_link))
        .route(
            "/login/oauth/{provider}",
            web::get().to(supabase_auth::oauth_start),
        )
        .service(
            web::resource("/auth/confirm")
                .route(web::get().to(supabase_auth::confirm_form))
                .route(web::post().to(supabase_auth::confirm)),
        )
        .route(
            "/auth/callback",
            web::get().to(supabase_auth::oauth_callback),
        )
        .service(
            web::resource("/settings")
                .route(web::get().to(settings::show))
                .route(web::post().to(settings::save)),
        )
        .route("/settings/sessions", web::get().to(settings::sessions))
        .route(
            "/settings/sessions/others/revoke",
            web::post().to(settings::revoke_others),
        )
        .route(
            "/settings/sessions/{id}/revoke",
            web::post().to(settings::revoke),
        )
        .route("/", web::get().to(command::day::show))
        .route("/command/calendar", web::get().to(command::week::show))
        .route("/command/tasks", web::get().to(command::list::show))
        .route("/command/goals", web::get().to(command::goals::list))
        .route("/tasks/new", web::get().to(command::tasks::new))
        .route("/tasks", web::post().to(command::tasks::create))
        .route(
            "/tasks/carry-over",
            web::post().to(command::tasks::carry_over),
        )
        .route("/tasks/{id}/edit", web::get().to(command::tasks::edit))
        .route("/tasks/{id}", web::post().to(command::tasks::update))
        .route("/tasks/{id}/delete", web::post().to(command::tasks::delete))
        .route(
            "/tasks/{id}/status",
            web::post().to(command::tasks::set_status),
        )
        .route(
            "/tasks/{id}/move",
            web::post().to(command::tasks::move_task),
        )
        .service(
            web::resource("/activities")
                .route(web::get().to(command::activities::list))
                .route(web::post().to(command::activities::create)),
        )
        .route(
            "/activities/{id}/edit",
            web::get().to(command::activities::edit),
        )
        .route(
            "/activities/{id}",
            web::post().to(command::activities::update),
        )
        .route(
            "/activities/{id}/{action}",
            web::post().to(command::activities::arrange),
        )
        .route("/goals", web::post().to(command::goals::create))
        .route("/goals/{id}/edit", web::get().to(command::goals::edit))
        .route("/goals/{id}", web::post().to(command::goals::update))
        .route("/goals/{id}/{action}", web::post().to(command::goals::act))
        .route("/calendar.ics", web::get().to(command::feed::ics))
        .service(
            web::resource("/settings/calendar")
                .route(web::get().to(command::feed::show))
                .route(web::post().to(command::feed::regenerate)),
        )
        .route(
            "/settings/calendar/revoke",
            web::post().to(command::feed::revoke),
        )
        .service(
            web::resource("/clients")
                .route(web::get().to(clients::list))
                .route(web::post().to(clients::create)),
        )
        .route("/clients/new", web::get().to(clients::new))
        // Before /clients/{id}, which would read "import" as an id.
        .route("/clients.csv", web::get().to(transfer::export_clients))
        .route("/projects.csv", web::get().to(transfer::export_projects))
        .service(
            web::resource("/clients/import")
                .route(web::get().to(transfer::import_form))
                .route(web::post().to(transfer::import_upload)),
        )
        .service(
            web::resource("/clients/import/commit")
                .app_data(form_config_limit(256 * 1024))
                .route(web::post().to(transfer::import_commit)),
        )
        .service(
            web::resource("/clients/{id}")
                .route(web::get().to(clients::show))
                .route(web::post().to(clients::update)),
        )
        .route("/clients/{id}/edit", web::get().to(clients::edit))
        .service(
            web::resource("/clients/{id}/delete")
                .route(web::get().to(clients::confirm_delete))
                .route(web::post().to(clients::delete)),
        )
        .route(
            "/clients/{id}/contact",
            web::post().to(clients::log_contact),
        )
        .route(
            "/clients/{id}/followup-block",
            web::post().to(clients::followup_block),
        )
        .route(
            "/clients/{id}/health",
            web::post().to(clients::decide_health),
        )
        .route(
            "/clients/{id}/opportunities",
            web::post().to(clients::add_opportunity),
        )
        .route(
            "/clients/{id}/opportunities/suggest",
            web::post().to(clients::suggest_opportunities),
        )
        .route(
            "/opportunities/{id}/dismiss",
            web::post().to(clients::dismiss_opportunity),
        )
        .route(
            "/opportunities/{id}/convert",
            web::post().to(clients::convert_opportunity),
        )
        .route(
            "/clients/{id}/credentials",
            web::post().to(clients::save_credentials),
        )
        .route(
            "/clients/{id}/credentials/reveal",
            web::post().to(clients::reveal_credentials),
        )
        .service(
            web::resource("/projects")
                .route(web::get().to(projects::board))
                .route(web::post().to(projects::create)),
        )
        .route("/projects/new", web::get().to(projects::new))
        .service(
            web::resource("/projects/{id}")
                .route(web::get().to(projects::show))
                .route(web::post().to(projects::update)),
        )
        .route("/projects/{id}/edit", web::get().to(projects::edit))
        .route("/projects/{id}/move", web::post().to(projects::step))
        .route("/assets", web::get().to(assets::gallery))
        .service(
            web::resource("/assets/upload")
                .route(web::get().to(assets::upload::form))
                .route(web::post().to(assets::upload::upload)),
        )
        .route("/assets/link", web::post().to(assets::link))
        .route("/assets/unlink", web::post().to(assets::unlink))
        .service(
            web::resource("/assets/{id}")
                .route(web::get().to(assets::show))
                .route(web::post().to(assets::update)),
        )
        .route("/assets/{id}/file", web::get().to(assets::file))
        .route("/assets/{id}/thumb", web::get().to(assets::thumbnail))
        .route("/assets/{id}/delete", web::post().to(assets::delete));
}
