//! Suggested upsell opportunities. A `Suggester` looks at one client's data and
//! proposes opportunities, each with the evidence behind it. The rules engine here
//! is the built-in one; a language-model provider can implement the same trait
//! behind configuration later.

use chrono::NaiveDate;

use super::{ClientStatus, HealthScore, Money, ProjectStatus, ProjectType};

/// What a suggester may look at.
#[derive(Debug, Clone)]
pub struct ClientContext {
    pub today: NaiveDate,
    pub name: String,
    pub status: ClientStatus,
    pub health: HealthScore,
    pub has_retainer: bool,
    pub last_contacted: Option<NaiveDate>,
    pub projects: Vec<ProjectFacts>,
    /// Titles of every opportunity the client already has (open, dismissed or converted).
    pub existing_titles: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ProjectFacts {
    pub name: String,
    pub project_type: ProjectType,
    pub status: ProjectStatus,
    pub created: NaiveDate,
    pub has_staging: bool,
    pub has_production: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggested {
    pub title: String,
    /// Why: the facts that triggered it, in plain words.
    pub evidence: String,
    pub value: Option<Money>,
}

pub trait Suggester: Send + Sync {
    fn suggest(&self, client: &ClientContext) -> Vec<Suggested>;
}

/// The built-in rules.
#[derive(Debug, Default, Clone, Copy)]
pub struct Rules;

fn money(units: i64) -> Option<Money> {
    Money::from_cents(units * 100).ok()
}

/// How many rules `Rules` has (for "4 rules checked").
pub const RULES: usize = 4;

impl Suggester for Rules {
    fn suggest(&self, c: &ClientContext) -> Vec<Suggested> {
        self.explained(c).0
    }
}

impl Rules {
    /// What the rules found, and for each rule that found nothing new, why, in a
    /// few words ("no launched site without a retainer").
    pub fn explained(&self, c: &ClientContext) -> (Vec<Suggested>, Vec<String>) {
        let mut out = Vec::new();
        let mut why = Vec::new();
        if c.status == ClientStatus::Churned {
            why.push(format!("{} has churned", c.name));
            return (out, why);
        }
        let launched_site = c.projects.iter().find(|p| {
            p.status == ProjectStatus::Launched
                && matches!(p.project_type, ProjectType::Website | ProjectType::Webapp)
        });
        if let Some(site) = launched_site
            && !c.has_retainer
        {
            out.push(Suggested {
                title: format!("Maintenance retainer for {}", site.name),
                evidence: format!(
                    "{} is launched and {} has no monthly retainer.",
                    site.name, c.name
                ),
                value: money(400),
            });
        } else if c.has_retainer {
            why.push("a retainer is already set".into());
        } else {
            why.push("no launched site or web app".into());
        }
        let before = out.len();
        for p in c
            .projects
            .iter()
            .filter(|p| p.has_staging && !p.has_production && p.status != ProjectStatus::Launched)
        {
            out.push(Suggested {
                title: format!("Launch {} to production", p.name),
                evidence: format!("{} has a staging URL but no production URL yet.", p.name),
                value: money(600),
            });
        }
        if out.len() == before {
            why.push("no project waits on staging only".into());
        }
        let newest = c.projects.iter().map(|p| p.created).max();
        let quiet_days = newest.map(|d| (c.today - d).num_days());
        if c.health == HealthScore::Green && quiet_days.is_none_or(|d| d > 90) {
            let since = match quiet_days {
                Some(d) => format!("no new project in {d} days"),
                None => "no project yet".to_string(),
            };
            out.push(Suggested {
                title: format!("New project proposal for {}", c.name),
                evidence: format!("{} is healthy with {since}.", c.name),
                value: money(3_000),
            });
        } else if c.health != HealthScore::Green {
            why.push(format!("health is {}", c.health.label().to_lowercase()));
        } else if let Some(d) = quiet_days {
            why.push(format!("a project started {d} days ago"));
        }
        let review_due = c
            .last_contacted
            .is_none_or(|d| (c.today - d).num_days() > 60);
        if c.has_retainer && review_due {
            let since = c
                .last_contacted
                .map(|d| format!("last contact {} days ago", (c.today - d).num_days()))
                .unwrap_or_else(|| "never contacted".into());
            out.push(Suggested {
                title: format!("Retainer review with {}", c.name),
                evidence: format!(
                    "{} pays a retainer and has had no review recently ({since}).",
                    c.name
                ),
                value: money(250),
            });
        } else if !c.has_retainer {
            why.push("no retainer to review".into());
        } else {
            why.push("contacted in the last 60 days".into());
        }
        // Never suggest again what the client already has, in any state.
        out.retain(|s| {
            let had = c
                .existing_titles
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&s.title));
            if had {
                why.push(format!("“{}” exists already", s.title));
            }
            !had
        });
        (out, why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn site(
        status: ProjectStatus,
        staging: bool,
        production: bool,
        created: NaiveDate,
    ) -> ProjectFacts {
        ProjectFacts {
            name: "Shop".into(),
            project_type: ProjectType::Website,
            status,
            created,
            has_staging: staging,
            has_production: production,
        }
    }

    fn client(projects: Vec<ProjectFacts>) -> ClientContext {
        ClientContext {
            today: d(11, 23),
            name: "Acme".into(),
            status: ClientStatus::Active,
            health: HealthScore::Yellow,
            has_retainer: false,
            last_contacted: Some(d(11, 20)),
            projects,
            existing_titles: vec![],
        }
    }

    fn titles(s: Vec<Suggested>) -> Vec<String> {
        s.into_iter().map(|s| s.title).collect()
    }

    #[test]
    fn a_launched_site_without_a_retainer_suggests_maintenance() {
        let s = Rules.suggest(&client(vec![site(
            ProjectStatus::Launched,
            true,
            true,
            d(10, 1),
        )]));
        assert_eq!(s[0].title, "Maintenance retainer for Shop");
        assert_eq!(
            s[0].evidence,
            "Shop is launched and Acme has no monthly retainer."
        );
        let with_retainer = ClientContext {
            has_retainer: true,
            ..client(vec![site(ProjectStatus::Launched, true, true, d(10, 1))])
        };
        assert!(
            !titles(Rules.suggest(&with_retainer))
                .iter()
                .any(|t| t.starts_with("Maintenance"))
        );
    }

    #[test]
    fn staging_without_production_suggests_a_launch() {
        let s = titles(Rules.suggest(&client(vec![site(
            ProjectStatus::Review,
            true,
            false,
            d(11, 1),
        )])));
        assert_eq!(s, vec!["Launch Shop to production"]);
    }

    #[test]
    fn a_healthy_quiet_client_gets_a_proposal_and_a_busy_one_does_not() {
        let quiet = ClientContext {
            health: HealthScore::Green,
            ..client(vec![site(ProjectStatus::Launched, false, true, d(6, 1))])
        };
        assert!(
            titles(Rules.suggest(&quiet)).contains(&"New project proposal for Acme".to_string())
        );
        let busy = ClientContext {
            health: HealthScore::Green,
            ..client(vec![site(ProjectStatus::Design, false, false, d(11, 1))])
        };
        assert!(
            !titles(Rules.suggest(&busy))
                .iter()
                .any(|t| t.starts_with("New project"))
        );
    }

    #[test]
    fn a_retainer_without_a_recent_review_suggests_one() {
        let c = ClientContext {
            has_retainer: true,
            last_contacted: Some(d(8, 1)),
            ..client(vec![])
        };
        let s = Rules.suggest(&c);
        assert_eq!(s.last().unwrap().title, "Retainer review with Acme");
        assert!(s.last().unwrap().evidence.contains("114 days ago"));
    }

    #[test]
    fn nothing_is_suggested_twice_or_for_churned_clients() {
        let mut c = client(vec![site(ProjectStatus::Launched, true, true, d(10, 1))]);
        c.existing_titles = vec!["maintenance retainer for shop".into()];
        assert!(Rules.suggest(&c).is_empty());
        let churned = ClientContext {
            status: ClientStatus::Churned,
            ..client(vec![site(ProjectStatus::Launched, true, true, d(10, 1))])
        };
        assert!(Rules.suggest(&churned).is_empty());
    }
}
