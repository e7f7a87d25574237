//! `GET /search?q=`: the command palette (Ctrl/⌘-K, `/`) and, without JavaScript,
//! a page of its own. Finds blocks, clients, projects and catalog activities by
//! name, and the app's actions ("New block", "Close the day") by their words.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::search;
use crate::domain::notice::place;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html, htmx_target};

/// The longest search text taken; longer is cut.
const MAX_QUERY: usize = 100;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// One thing the palette offers: where it leads and how it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: &'static str,
    pub label: String,
    pub detail: String,
    pub href: String,
}

/// The app's actions, by the words a person would type.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("New block", "plan add create task", "/tasks/new"),
    ("Plan my day", "propose fill schedule", "/command/plan"),
    (
        "Prepare tomorrow",
        "prep plan next day evening",
        "/command/plan?date=tomorrow",
    ),
    ("Today", "day plan home", "/"),
    ("Week", "calendar view", "/command/calendar"),
    ("Tasks", "list backlog all blocks", "/command/tasks"),
    ("Close the day", "shutdown end", "/command/shutdown"),
    (
        "Weekly review",
        "week review earnings per hour insight charts note",
        "/review",
    ),
    ("Goals", "targets", "/command/goals"),
    (
        "Routines",
        "repeating recurring blocks habits",
        "/command/routines",
    ),
    ("Activity catalog", "activities", "/activities"),
    ("Clients", "crm customers", "/clients"),
    ("New client", "add create customer", "/clients/new"),
    ("Import clients from CSV", "upload csv", "/clients/import"),
    (
        "Import projects from CSV",
        "upload csv pipeline",
        "/projects/import",
    ),
    ("Projects", "pipeline board", "/projects"),
    ("New project", "add create", "/projects/new"),
    ("Assets", "files uploads", "/assets"),
    ("Upload files", "assets add", "/assets/upload"),
    ("Settings", "preferences work hours time zone", "/settings"),
];

#[derive(Template)]
#[template(path = "search.html", blocks = ["results"])]
pub struct SearchPage {
    pub ctx: PageContext,
    pub query: String,
    pub hits: Vec<Hit>,
    /// `palette-results` in the palette, `search-results` on the page (the
    /// palette's dialog is on the page too).
    pub list_id: &'static str,
}

pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let text: String = query.q.trim().chars().take(MAX_QUERY).collect();
    let hits = if text.is_empty() {
        actions("")
    } else {
        let (id, needle) = (user.id().clone(), text.clone());
        let found = state
            .db(move |conn| Ok(search::find(conn, &id, &needle)?))
            .await?;
        let mut hits = actions(&text);
        hits.extend(found_hits(found, user.today(state.clock.now())));
        hits
    };
    let in_palette = htmx_target(&req).as_deref() == Some("palette-results");
    let page = SearchPage {
        ctx: PageContext::for_user(&user, "search"),
        query: text,
        hits,
        list_id: if in_palette {
            "palette-results"
        } else {
            "search-results"
        },
    };
    if in_palette {
        html(StatusCode::OK, &page.as_results())
    } else {
        html(StatusCode::OK, &page)
    }
}

/// The actions whose name or words contain every word of `text`.
fn actions(text: &str) -> Vec<Hit> {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    ACTIONS
        .iter()
        .filter(|(label, also, _)| {
            let haystack = format!("{} {also}", label.to_lowercase());
            words.iter().all(|w| haystack.contains(w.as_str()))
        })
        .map(|(label, _, href)| Hit {
            kind: "Action",
            label: (*label).to_string(),
            detail: String::new(),
            href: (*href).to_string(),
        })
        .collect()
}

fn found_hits(found: search::Found, today: chrono::NaiveDate) -> Vec<Hit> {
    let blocks = found.blocks.into_iter().map(|(id, title, date, time)| Hit {
        kind: "Block",
        label: title,
        detail: place(date, time, today),
        href: match date {
            Some(date) => format!("/?date={date}#block-{id}"),
            None => format!("/tasks/{id}/edit"),
        },
    });
    let clients = found.clients.into_iter().map(|(id, name, company)| Hit {
        kind: "Client",
        label: name,
        detail: company.unwrap_or_default(),
        href: format!("/clients/{id}"),
    });
    let projects = found.projects.into_iter().map(|(id, name, client)| Hit {
        kind: "Project",
        label: name,
        detail: client,
        href: format!("/projects/{id}"),
    });
    let activities = found.activities.into_iter().map(|(id, title)| Hit {
        kind: "Activity",
        label: title,
        detail: "plan a block from it".into(),
        href: format!("/tasks/new?activity={id}"),
    });
    blocks
        .chain(clients)
        .chain(projects)
        .chain(activities)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_match_every_word_typed() {
        let labels = |text| {
            actions(text)
                .into_iter()
                .map(|h| h.label)
                .collect::<Vec<_>>()
        };
        assert_eq!(labels("close day"), ["Close the day"]);
        assert_eq!(labels("NEW cli"), ["New client"]);
        assert!(labels("zzz").is_empty());
        assert_eq!(labels("").len(), ACTIONS.len());
    }
}
