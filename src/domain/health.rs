//! The suggested client health score (PRODUCT.md): payment 40 %, communication
//! 30 %, projects 20 %, contract renewal 10 %; ≥ 80 GREEN, 50–79 YELLOW, < 50 RED.
//! Each factor says how many points it gave and why, in plain words.

use chrono::{NaiveDate, NaiveDateTime};

use super::{ClientStatus, HealthScore, PaymentStatus, ProjectStatus};

/// What the score looks at.
#[derive(Debug, Clone)]
pub struct HealthInputs {
    pub today: NaiveDate,
    pub payment: PaymentStatus,
    pub status: ClientStatus,
    pub has_retainer: bool,
    pub last_contacted: Option<NaiveDateTime>,
    pub next_followup: Option<NaiveDateTime>,
    pub projects: Vec<ProjectSignal>,
}

#[derive(Debug, Clone, Copy)]
pub struct ProjectSignal {
    pub status: ProjectStatus,
    pub due: Option<NaiveDate>,
    pub last_change: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    pub name: &'static str,
    pub points: u32,
    pub max: u32,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub factors: Vec<Factor>,
    pub total: u32,
    pub score: HealthScore,
}

/// An open project untouched this long counts as stalled.
pub const STALLED_AFTER_DAYS: i64 = 30;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn payment(p: PaymentStatus) -> Factor {
    let (points, reason) = match p {
        PaymentStatus::Current => (40, "Payments are current."),
        PaymentStatus::Pending => (20, "A payment is pending."),
        PaymentStatus::Overdue => (0, "A payment is overdue."),
    };
    Factor {
        name: "Payment",
        points,
        max: 40,
        reason: reason.into(),
    }
}

fn communication(i: &HealthInputs) -> Factor {
    let days = i
        .last_contacted
        .map(|t| (i.today - t.date()).num_days().max(0));
    let (mut points, mut reason): (u32, String) = match days {
        None => (0, "Never contacted.".to_string()),
        Some(d @ 0..=14) => (
            30,
            format!("Last contact {} ago.", plural(d as usize, "day", "days")),
        ),
        Some(d @ 15..=30) => (20, format!("Last contact {d} days ago.")),
        Some(d @ 31..=60) => (10, format!("Last contact {d} days ago.")),
        Some(d) => (0, format!("Last contact {d} days ago.")),
    };
    if let Some(next) = i.next_followup.map(|t| t.date()).filter(|d| *d < i.today) {
        points = points.saturating_sub(10);
        reason.push_str(&format!(
            " Follow-up overdue since {} (−10).",
            next.format("%b %-d")
        ));
    }
    Factor {
        name: "Communication",
        points,
        max: 30,
        reason,
    }
}

fn projects(i: &HealthInputs) -> Factor {
    let open: Vec<&ProjectSignal> = i
        .projects
        .iter()
        .filter(|p| p.status != ProjectStatus::Launched)
        .collect();
    if open.is_empty() {
        return Factor {
            name: "Projects",
            points: 20,
            max: 20,
            reason: "No open project is late or stalled.".into(),
        };
    }
    let late = open
        .iter()
        .filter(|p| p.due.is_some_and(|d| d < i.today))
        .count();
    let stalled = open
        .iter()
        .filter(|p| (i.today - p.last_change).num_days() > STALLED_AFTER_DAYS)
        .count();
    let points = 20u32
        .saturating_sub(10 * late as u32)
        .saturating_sub(5 * stalled as u32);
    let reason = match (late, stalled) {
        (0, 0) => format!(
            "{} on schedule.",
            plural(open.len(), "open project", "open projects")
        ),
        _ => format!(
            "{} past due (−10 each), {} without changes for {STALLED_AFTER_DAYS}+ days (−5 each).",
            plural(late, "project", "projects"),
            plural(stalled, "project", "projects")
        ),
    };
    Factor {
        name: "Projects",
        points,
        max: 20,
        reason,
    }
}

fn renewal(i: &HealthInputs) -> Factor {
    let (points, reason) = match (i.status, i.has_retainer) {
        (ClientStatus::Active, true) => (10, "Active on a monthly retainer."),
        (ClientStatus::Active, false) => (5, "Active, without a retainer to renew."),
        (ClientStatus::Paused, _) => (2, "Paused: renewal is uncertain."),
        (ClientStatus::Completed | ClientStatus::Churned, _) => (0, "No active contract."),
    };
    Factor {
        name: "Contract renewal",
        points,
        max: 10,
        reason: reason.into(),
    }
}

pub fn suggest(inputs: &HealthInputs) -> Suggestion {
    let factors = vec![
        payment(inputs.payment),
        communication(inputs),
        projects(inputs),
        renewal(inputs),
    ];
    let total = factors.iter().map(|f| f.points).sum();
    let score = match total {
        80.. => HealthScore::Green,
        50..=79 => HealthScore::Yellow,
        _ => HealthScore::Red,
    };
    Suggestion {
        factors,
        total,
        score,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn base() -> HealthInputs {
        HealthInputs {
            today: d(11, 23),
            payment: PaymentStatus::Current,
            status: ClientStatus::Active,
            has_retainer: true,
            last_contacted: Some(d(11, 20).and_hms_opt(10, 0, 0).unwrap()),
            next_followup: Some(d(12, 4).and_hms_opt(9, 0, 0).unwrap()),
            projects: vec![],
        }
    }

    fn points(s: &Suggestion, name: &str) -> u32 {
        s.factors.iter().find(|f| f.name == name).unwrap().points
    }

    #[test]
    fn a_current_recently_contacted_retainer_client_is_green_with_full_marks() {
        let s = suggest(&base());
        assert_eq!((s.total, s.score), (100, HealthScore::Green));
        assert_eq!(s.factors[1].reason, "Last contact 3 days ago.");
    }

    #[test]
    fn payment_gives_40_20_or_0() {
        for (p, expected) in [
            (PaymentStatus::Current, 40),
            (PaymentStatus::Pending, 20),
            (PaymentStatus::Overdue, 0),
        ] {
            assert_eq!(
                points(
                    &suggest(&HealthInputs {
                        payment: p,
                        ..base()
                    }),
                    "Payment"
                ),
                expected
            );
        }
    }

    #[test]
    fn communication_fades_with_time_and_an_overdue_follow_up_costs_ten() {
        let at = |m, day| Some(d(m, day).and_hms_opt(9, 0, 0).unwrap());
        let case = |last, next| {
            points(
                &suggest(&HealthInputs {
                    last_contacted: last,
                    next_followup: next,
                    ..base()
                }),
                "Communication",
            )
        };
        assert_eq!(case(at(11, 9), None), 30, "14 days");
        assert_eq!(case(at(11, 3), None), 20, "20 days");
        assert_eq!(case(at(10, 10), None), 10, "44 days");
        assert_eq!(case(at(8, 1), None), 0, "over 60 days");
        assert_eq!(case(None, None), 0, "never");
        assert_eq!(
            case(at(11, 3), at(11, 17)),
            10,
            "20 days and a follow-up overdue"
        );
        assert_eq!(case(None, at(11, 1)), 0, "never below zero");
    }

    #[test]
    fn late_and_stalled_projects_cost_points() {
        let project = |status, due: Option<NaiveDate>, change| ProjectSignal {
            status,
            due,
            last_change: change,
        };
        let case = |projects| points(&suggest(&HealthInputs { projects, ..base() }), "Projects");
        assert_eq!(
            case(vec![project(
                ProjectStatus::Design,
                Some(d(12, 1)),
                d(11, 20)
            )]),
            20
        );
        assert_eq!(
            case(vec![project(
                ProjectStatus::Design,
                Some(d(11, 1)),
                d(11, 20)
            )]),
            10,
            "one late"
        );
        assert_eq!(
            case(vec![project(ProjectStatus::Review, None, d(9, 1))]),
            15,
            "one stalled"
        );
        assert_eq!(
            case(vec![
                project(ProjectStatus::Review, Some(d(10, 1)), d(9, 1)),
                project(ProjectStatus::Planning, Some(d(11, 1)), d(11, 1))
            ]),
            0
        );
        assert_eq!(
            case(vec![project(
                ProjectStatus::Launched,
                Some(d(1, 1)),
                d(1, 1)
            )]),
            20,
            "launched projects cannot slip"
        );
    }

    #[test]
    fn renewal_depends_on_status_and_retainer() {
        let case = |status, has_retainer| {
            points(
                &suggest(&HealthInputs {
                    status,
                    has_retainer,
                    ..base()
                }),
                "Contract renewal",
            )
        };
        assert_eq!(case(ClientStatus::Active, true), 10);
        assert_eq!(case(ClientStatus::Active, false), 5);
        assert_eq!(case(ClientStatus::Paused, true), 2);
        assert_eq!(case(ClientStatus::Churned, true), 0);
    }

    #[test]
    fn the_thresholds_are_80_and_50() {
        // 20 (pending) + 30 + 20 + 10 = 80: still green.
        assert_eq!(
            suggest(&HealthInputs {
                payment: PaymentStatus::Pending,
                ..base()
            })
            .score,
            HealthScore::Green
        );
        // 0 (overdue) + 30 + 20 + 5 = 55: yellow.
        let yellow = suggest(&HealthInputs {
            payment: PaymentStatus::Overdue,
            has_retainer: false,
            ..base()
        });
        assert_eq!((yellow.total, yellow.score), (55, HealthScore::Yellow));
        // 0 + 0 (never contacted) + 20 + 5 = 25: red.
        let red = suggest(&HealthInputs {
            payment: PaymentStatus::Overdue,
            has_retainer: false,
            last_contacted: None,
            ..base()
        });
        assert_eq!((red.total, red.score), (25, HealthScore::Red));
    }
}
