//! `lauf demo`: demo accounts with a realistic workspace, and larger data sets for
//! benchmarks (`--users N --scale M`). Derived figures (a goal's progress, an
//! activity's use count) are computed from the generated blocks, so the data obey
//! the same rules the app enforces.

use std::collections::HashMap;

use anyhow::{Context, bail};
use chrono::SubsecRound;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::Connection;
use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auth::local::{self, Signup, SignupOutcome};
use crate::auth::password;
use crate::db::models::activities::{self, Activity};
use crate::db::models::clients::{self, Client};
use crate::db::models::goals::{self, Goal};
use crate::db::models::opportunities::{self, Opportunity};
use crate::db::models::projects::{self, Project};
use crate::db::models::routines::{self, Routine};
use crate::db::models::tasks::{self, Task};
use crate::db::models::{insight, payments};
use crate::db::{AnyConnection, Json};
use crate::domain::*;
use rust_decimal::prelude::ToPrimitive;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub users: u32,
    pub scale: u32,
    /// The history's own scale (past blocks as `scale` would make them), for
    /// a long history without more clients and projects; `None` follows `scale`.
    pub history: Option<u32>,
    /// Files per account; `None` gives 12 per unit of scale.
    pub files: Option<u32>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub timezone: Timezone,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DemoCounts {
    pub activities: usize,
    pub goals: usize,
    pub clients: usize,
    pub projects: usize,
    pub opportunities: usize,
    pub tasks: usize,
    pub assets: usize,
}

/// An object the demo's asset rows point at, for the caller to store.
#[derive(Debug, Clone)]
pub struct DemoFile {
    pub key: crate::storage::ObjectKey,
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

#[derive(Debug)]
pub struct DemoReport {
    pub emails: Vec<String>,
    pub password: String,
    pub per_user: DemoCounts,
    /// Every file the asset rows point at: store them all (`lauf demo` does).
    pub files: Vec<DemoFile>,
}

/// The address of demo account `index` (1-based) out of `users`.
pub fn demo_email(base: Option<&str>, index: u32, users: u32) -> String {
    let base = base.unwrap_or("demo@example.com");
    if users == 1 {
        return base.to_string();
    }
    match base.split_once('@') {
        Some((local, domain)) => format!("{local}{index}@{domain}"),
        None => format!("{base}{index}"),
    }
}

/// Builds every demo account, moving `progress` one step per account.
pub fn build(
    conn: &mut AnyConnection,
    options: &DemoOptions,
    now: DateTime<Utc>,
    progress: &ProgressBar,
) -> anyhow::Result<DemoReport> {
    if options.users == 0 || options.scale == 0 {
        bail!("--users and --scale must be at least 1");
    }
    let password = options
        .password
        .clone()
        .unwrap_or_else(|| format!("lauf-{}", &crate::auth::session::random_token()[..12]));
    let mut emails = Vec::new();
    let mut files = Vec::new();
    let mut per_user = DemoCounts::default();
    progress.set_length(u64::from(options.users));
    for index in 1..=options.users {
        let email = demo_email(options.email.as_deref(), index, options.users);
        progress.set_message(email.clone());
        let signup = Signup {
            email: EmailAddress::parse(&email).map_err(|e| anyhow::anyhow!("{email}: {e}"))?,
            name: Some(if options.users == 1 {
                "Demo Freelancer".into()
            } else {
                format!("Demo Freelancer {index}")
            }),
            timezone: options.timezone,
            password: password.clone(),
        };
        let phc = password::hash(&password).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
        let stamp = now.naive_utc().trunc_subsecs(6);
        let user = match local::create_account(conn, &signup, &phc, stamp)
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            SignupOutcome::Created(user) => user,
            SignupOutcome::EmailTaken => {
                bail!(
                    "{email} already has an account; pass --email to create the demo under another address"
                )
            }
        };
        let mut rng = StdRng::seed_from_u64(u64::from(index) * 7919);
        per_user = conn
            .transaction(|conn| {
                // A demo workspace is full already: no first-run path.
                crate::db::models::users::set_preferences(
                    conn,
                    &user,
                    &crate::domain::Preferences::default(),
                    stamp,
                )?;
                let counts = fill_workspace(conn, &user, options, now, &mut rng)?;
                let assets = add_assets(conn, &user, options, now, &mut rng, &mut files)?;
                Ok::<_, anyhow::Error>(DemoCounts { assets, ..counts })
            })
            .with_context(|| format!("building the workspace of {email}"))?;
        emails.push(email);
        progress.inc(1);
    }
    Ok(DemoReport {
        emails,
        password,
        per_user,
        files,
    })
}

/// One generated file of `lauf demo`.
struct SampleFile {
    bytes: Vec<u8>,
    thumb: Option<Vec<u8>>,
    asset_type: AssetType,
    mime: &'static str,
    dims: Option<(u32, u32)>,
}

/// Distinct pictures per account: larger file counts reuse their bytes (each file
/// still has its own object), so `--files 2000` does not spend minutes encoding.
const DISTINCT_IMAGES: usize = 8;

/// Kind 0: a PNG with its thumbnail; 1: a PDF; 2: a Markdown brief; else a Rust snippet.
fn sample_file(
    kind: u8,
    name: &str,
    rng: &mut StdRng,
    images: &mut Vec<(Vec<u8>, Vec<u8>)>,
) -> anyhow::Result<SampleFile> {
    let text = |bytes: Vec<u8>, asset_type| SampleFile {
        bytes,
        thumb: None,
        asset_type,
        mime: "text/plain; charset=utf-8",
        dims: None,
    };
    Ok(match kind {
        0 => {
            let (png, jpeg) = if images.len() < DISTINCT_IMAGES {
                let made = crate::media::demo_image(rng.random(), 160, 100)?;
                images.push(made.clone());
                made
            } else {
                images[rng.random_range(0..images.len())].clone()
            };
            SampleFile {
                bytes: png,
                thumb: Some(jpeg),
                asset_type: AssetType::Image,
                mime: "image/png",
                dims: Some((160, 100)),
            }
        }
        1 => SampleFile {
            bytes: format!(
                "%PDF-1.4\n%\u{e2}\u{e3}\n1 0 obj << /Title ({name}) >> endobj\ntrailer << >>\n%%EOF\n"
            )
            .into_bytes(),
            mime: "application/pdf",
            ..text(Vec::new(), AssetType::Document)
        },
        2 => text(
            format!("# Brief\n\nGoals, audience and the pages we agreed on for {name}.\n")
                .into_bytes(),
            AssetType::Document,
        ),
        _ => text(
            b"fn price(cents: u64) -> String {\n    format!(\"{}.{:02}\", cents / 100, cents % 100)\n}\n"
                .to_vec(),
            AssetType::Code,
        ),
    })
}

/// 12 files per unit of scale unless `--files` says otherwise: screenshots and logos (small PNGs with thumbnails),
/// contracts and briefs (PDF, Markdown) and a code snippet, tagged and spread over
/// the clients and their projects; three are context for today's first blocks.
fn add_assets(
    conn: &mut AnyConnection,
    user: &UserId,
    options: &DemoOptions,
    now: DateTime<Utc>,
    rng: &mut StdRng,
    files: &mut Vec<DemoFile>,
) -> anyhow::Result<usize> {
    use crate::db::models::assets::{self, Asset};
    use crate::storage::ObjectKey;
    let clients = clients::list_for_user(conn, user)?;
    let projects = projects::list_for_user(conn, user)?;
    let today = options.timezone.today(now);
    let todays = tasks::in_range(conn, user, today, today)?;
    let stamp = now.naive_utc().trunc_subsecs(6);
    let count = options
        .files
        .map_or(12 * options.scale as usize, |n| n as usize);
    let mut images = Vec::new();
    let mut rows = Vec::with_capacity(count);
    for i in 0..count {
        let id = AssetId::generate();
        let (client, project) = match projects.get(i % projects.len().max(1)) {
            Some((p, _)) if i % 3 != 2 => (Some(p.client_id.clone()), Some(p.id.clone())),
            _ => (
                clients.get(i % clients.len().max(1)).map(|c| c.id.clone()),
                None,
            ),
        };
        let (name, kind, category, tags): (String, u8, &str, &[&str]) = match i % 6 {
            0 => (
                format!("homepage-screenshot-{i}.png"),
                0,
                "screenshot",
                &["homepage", "launch"],
            ),
            1 => (format!("logo-draft-{i}.png"), 0, "logo", &["brand"]),
            2 => (format!("contract-{i}.pdf"), 1, "contract", &["signed"]),
            3 => (format!("brief-{i}.md"), 2, "brief", &["kickoff"]),
            4 => (format!("mockup-{i}.png"), 0, "mockup", &["design", "v2"]),
            _ => (format!("snippet-{i}.rs"), 3, "export", &["code"]),
        };
        let SampleFile {
            bytes,
            thumb,
            asset_type,
            mime,
            dims,
        } = sample_file(kind, &name, rng, &mut images)?;
        let sha = {
            use sha2::Digest;
            format!("{:x}", sha2::Sha256::digest(&bytes))
        };
        let original = ObjectKey::original(&id);
        let thumb_key = thumb.as_ref().map(|_| ObjectKey::thumbnail(&id));
        let created = stamp - Duration::hours(i as i64 * 7);
        rows.push((
            Asset {
                id: id.clone(),
                user_id: user.clone(),
                project_id: project,
                client_id: client,
                asset_type,
                category: Some(category.into()),
                name: name.clone(),
                storage_path: original.to_string(),
                url: format!("/assets/{id}/file"),
                thumbnail_url: thumb_key.as_ref().map(|_| format!("/assets/{id}/thumb")),
                file_size: bytes.len() as i64,
                mime_type: mime.into(),
                created_at: created,
                updated_at: created,
                sha256: Some(sha),
                width: dims.map(|(w, _)| w as i32),
                height: dims.map(|(_, h)| h as i32),
                thumbnail_path: thumb_key.as_ref().map(ToString::to_string),
                original_name: Some(name),
            },
            tags.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        ));
        files.push(DemoFile {
            key: original,
            bytes,
            content_type: mime,
        });
        if let (Some(key), Some(jpeg)) = (thumb_key, thumb) {
            files.push(DemoFile {
                key,
                bytes: jpeg,
                content_type: "image/jpeg",
            });
        }
    }
    assets::insert_all(conn, &rows, None)?;
    for (row, asset) in todays.iter().take(3).zip(&rows) {
        assets::link_to_task(
            conn,
            &row.task.user_id,
            &row.task.id,
            &asset.0.id,
            asset.0.created_at,
        )?;
    }
    Ok(rows.len())
}

const COMPANIES: &[&str] = &[
    "Northwind Coffee",
    "Bluepeak Studio",
    "Acme Robotics",
    "Lumen Health",
    "Fjord & Pine",
    "Kite Legal",
    "Orbit Fitness",
    "Harbor Books",
    "Copper Kettle",
    "Nimbus Analytics",
    "Silverline Dental",
    "Mosaic Events",
    "Pioneer Bikes",
    "Greenleaf Market",
    "Atlas Architects",
    "Sunday Bakery",
    "Vela Travel",
    "Quarry Outdoor",
    "Juniper Yoga",
    "Tidewater Realty",
];
const FIRST: &[&str] = &[
    "Maya", "Jonas", "Priya", "Lucas", "Amara", "Theo", "Sofia", "Kenji", "Lea", "Omar", "Ines",
    "Noah",
];
const LAST: &[&str] = &[
    "Fischer",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Santos",
    "Kowalski",
    "Nakamura",
    "Haddad",
    "Brennan",
];
const INDUSTRIES: &[&str] = &[
    "Hospitality",
    "Health",
    "Retail",
    "Legal",
    "Fitness",
    "Publishing",
    "Real estate",
    "Travel",
];
const PROJECT_KINDS: &[(&str, ProjectType)] = &[
    ("Website redesign", ProjectType::Website),
    ("Booking web app", ProjectType::Webapp),
    ("Brand refresh", ProjectType::Branding),
    ("iOS companion app", ProjectType::Mobile),
    ("Landing page", ProjectType::Website),
    ("Customer portal", ProjectType::Webapp),
    ("SEO audit", ProjectType::Other),
];
const UPSELLS: &[&str] = &[
    "Monthly maintenance retainer",
    "Newsletter templates",
    "Performance audit",
    "Accessibility review",
    "Analytics dashboard",
    "Photo shoot for the new site",
    "E-commerce add-on",
    "Social media kit",
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn money(rng: &mut StdRng, low: i64, high: i64, step: i64) -> Money {
    let units = rng.random_range(low / step..=high / step) * step;
    Money::from_cents(units * 100).unwrap_or(Money::ZERO)
}

fn at(day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    day.and_hms_opt(hour, minute, 0).unwrap_or_default()
}

fn fill_workspace(
    conn: &mut AnyConnection,
    user: &UserId,
    options: &DemoOptions,
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> anyhow::Result<DemoCounts> {
    let stamp = now.naive_utc().trunc_subsecs(6);
    let today = options.timezone.today(now);
    let catalog = activities::list_active(conn, user)?;

    // Goals of every type, starting at zero; progress is counted from done blocks below.
    let week_start = today - Duration::days(today.weekday().num_days_from_monday().into());
    let month_start = today.with_day(1).unwrap_or(today);
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let goal =
        |title: &str, goal_type: GoalType, target: i32, start: NaiveDate, due: NaiveDate| Goal {
            id: GoalId::generate(),
            user_id: user.clone(),
            title: title.into(),
            description: None,
            goal_type,
            target_value: Some(target),
            current_value: 0,
            start_date: Some(start),
            due_date: Some(due),
            completed_at: None,
            // Set when its period began, so its pace counts the whole period.
            created_at: at(start, 6, 0).min(stamp),
            updated_at: stamp,
            counts_category: None,
            counts_activity_id: None,
            counts_event: None,
            recurs: false,
            period_start: None,
        };
    let mut all_goals = vec![
        // A repeating goal: it starts again each day, keeping the days before.
        Goal {
            recurs: true,
            period_start: Some(today),
            start_date: None,
            due_date: None,
            ..goal("Two deep-work blocks", GoalType::Daily, 2, today, today)
        },
        goal(
            "Ship client deliverables",
            GoalType::Weekly,
            8,
            week_start,
            week_start + Duration::days(6),
        ),
        goal(
            "Learn: 10 learning blocks",
            GoalType::Monthly,
            10,
            month_start,
            month_start + Duration::days(30),
        ),
        goal(
            "Launch the SaaS side project",
            GoalType::Yearly,
            120,
            year_start,
            year_start + Duration::days(364),
        ),
    ];

    // Clients across every status, health and payment state, with projects in every stage.
    let client_count = 15 * options.scale as usize;
    let mut all_clients = Vec::with_capacity(client_count);
    let mut all_projects = Vec::new();
    let mut all_opportunities = Vec::new();
    for i in 0..client_count {
        let company = if i < COMPANIES.len() {
            COMPANIES[i].to_string()
        } else {
            format!("{} {}", pick(rng, COMPANIES), i / COMPANIES.len() + 1)
        };
        let contact = format!("{} {}", pick(rng, FIRST), pick(rng, LAST));
        let status = ClientStatus::ALL[if i < 8 {
            0
        } else {
            i % ClientStatus::ALL.len()
        }];
        let health = HealthScore::ALL[i % HealthScore::ALL.len()];
        let payment = PaymentStatus::ALL[(i / 3) % PaymentStatus::ALL.len()];
        let last_contact_days = rng.random_range(1..40);
        let cadence = *pick(rng, &[7, 14, 14, 21, 30]);
        let last_contacted = stamp - Duration::days(last_contact_days);
        let slug: String = company
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let retainer = (status == ClientStatus::Active && rng.random_bool(0.6))
            .then(|| money(rng, 300, 3_000, 50));
        let client = Client {
            id: ClientId::generate(),
            user_id: user.clone(),
            name: contact.clone(),
            email: Some(format!(
                "{}@{slug}.example",
                contact.split(' ').next().unwrap_or("hello").to_lowercase()
            )),
            phone: Some(format!("+1 555 01{:02}", i % 100)),
            company: Some(company.clone()),
            industry: Some(pick(rng, INDUSTRIES).to_string()),
            website_url: Some(format!("https://{slug}.example")),
            github_url: None,
            vercel_url: None,
            figma_url: None,
            credentials: None,
            status,
            health_score: health,
            contract_value: Some(money(rng, 2_000, 40_000, 500)),
            monthly_retainer: retainer,
            // A retainer buys roughly a day a week at a good rate.
            retainer_hours_per_month: retainer.map(|r| {
                (r.amount() / rust_decimal::Decimal::from(95))
                    .round()
                    .to_i32()
                    .unwrap_or(8)
                    .clamp(4, 40)
            }),
            payment_status: payment,
            last_contacted: Some(last_contacted),
            next_followup: Some(last_contacted + Duration::days(cadence)),
            followup_cadence_days: cadence as i32,
            referred_by: rng
                .random_bool(0.3)
                .then(|| format!("{} {}", pick(rng, FIRST), pick(rng, LAST))),
            notes: Some(format!("Main contact for {company}.")),
            metadata: Json(serde_json::json!({})),
            created_at: stamp - Duration::days(rng.random_range(30..400)),
            updated_at: stamp,
        };
        let project_count = rng.random_range(1..=4);
        for p in 0..project_count {
            let (name, kind) = PROJECT_KINDS[(i + p) % PROJECT_KINDS.len()];
            let stage = ProjectStatus::ALL[(i * 3 + p) % ProjectStatus::ALL.len()];
            let budget = money(rng, 1_500, 25_000, 250);
            let paid_share = match stage {
                ProjectStatus::Launched => 100,
                ProjectStatus::Planning => 0,
                _ => rng.random_range(0..=3) * 25,
            };
            let paid = Money::new(
                budget.amount() * rust_decimal::Decimal::from(paid_share)
                    / rust_decimal::Decimal::from(100),
            )
            .unwrap_or(Money::ZERO);
            let start = today - Duration::days(rng.random_range(5..120));
            all_projects.push(Project {
                id: ProjectId::generate(),
                client_id: client.id.clone(),
                name: format!("{company} {}", name.to_lowercase()),
                description: Some(format!("{name} for {company}.")),
                project_type: kind,
                status: stage,
                priority: Priority::ALL[(i + p) % Priority::ALL.len()],
                start_date: Some(start),
                due_date: Some(today + Duration::days(rng.random_range(-10..60))),
                budget: Some(budget),
                paid_amount: paid,
                repository_url: matches!(kind, ProjectType::Webapp | ProjectType::Mobile)
                    .then(|| format!("https://github.com/example/{slug}-{p}")),
                staging_url: None,
                production_url: (stage == ProjectStatus::Launched)
                    .then(|| format!("https://{slug}.example")),
                created_at: stamp,
                updated_at: stamp,
                // About half a day of work per €1,000 of budget.
                estimated_hours: Some(
                    (budget.amount() / rust_decimal::Decimal::from(250))
                        .round()
                        .to_i32()
                        .unwrap_or(40)
                        .max(4),
                ),
            });
        }
        for o in 0..rng.random_range(0..=10) {
            let dismissed = o % 7 == 3;
            all_opportunities.push(Opportunity {
                id: OpportunityId::generate(),
                client_id: client.id.clone(),
                title: pick(rng, UPSELLS).to_string(),
                description: Some(format!("Suggested for {company}.")),
                value: Some(money(rng, 300, 8_000, 100)),
                is_ai_generated: o % 2 == 0,
                is_dismissed: dismissed,
                is_converted: false,
                converted_project_id: None,
                created_at: stamp - Duration::days(rng.random_range(0..60)),
                updated_at: stamp,
                dismissed_reason: dismissed
                    .then(|| "Budget frozen until next quarter.".to_string()),
            });
        }
        all_clients.push(client);
    }

    // A week of blocks around today, then history for larger scales, then a backlog.
    let mut all_tasks = Vec::new();
    // Most project work goes to a few open projects, as a freelancer's does.
    let focus: Vec<&Project> = all_projects
        .iter()
        .filter(|p| p.status != ProjectStatus::Launched)
        .take(6)
        .collect();
    let project_for = |rng: &mut StdRng| -> (Option<ProjectId>, Option<ClientId>) {
        let project = match focus.is_empty() || rng.random_bool(0.2) {
            true => &all_projects[rng.random_range(0..all_projects.len())],
            false => focus[rng.random_range(0..focus.len())],
        };
        (Some(project.id.clone()), Some(project.client_id.clone()))
    };
    // Eight weeks of history for the review's figures and the pace of
    // projects, then about 6,650 past blocks per further step of scale:
    // --scale 4 gives ~20,000 blocks.
    let history = options.history.unwrap_or(options.scale).max(1);
    let history_days = 56 + (6_650 * (history as i64 - 1)) / 7;
    for offset in (-3 - history_days)..=3 {
        let day = today + Duration::days(offset);
        let mut minute = 7 * 60 + 30;
        let blocks = if offset < -3 {
            7
        } else {
            rng.random_range(5..=7)
        };
        for _ in 0..blocks {
            let activity = pick(rng, &catalog);
            let length = activity.default_duration.get();
            if minute + length > 21 * 60 {
                break;
            }
            let start = TimeOfDay::from_minutes(minute).unwrap_or(TimeOfDay::MIDNIGHT);
            let done = offset < 0
                || (offset == 0 && minute + length <= options.timezone.time_now(now).minutes());
            let status = if done {
                if rng.random_bool(0.9) {
                    TaskStatus::Done
                } else {
                    TaskStatus::Todo
                }
            } else if offset == 0 && rng.random_bool(0.2) {
                TaskStatus::InProgress
            } else {
                TaskStatus::Todo
            };
            let (project_id, client_id) = match activity.category {
                TaskCategory::Client | TaskCategory::Code | TaskCategory::Design
                    if !all_projects.is_empty() =>
                {
                    project_for(rng)
                }
                _ => (None, None),
            };
            let goal_id = match activity.category {
                TaskCategory::Client => Some(all_goals[1].id.clone()),
                TaskCategory::Learning => Some(all_goals[2].id.clone()),
                TaskCategory::Saas => Some(all_goals[3].id.clone()),
                _ if activity.energy_level == EnergyLevel::DeepWork && offset == 0 => {
                    Some(all_goals[0].id.clone())
                }
                _ => None,
            };
            all_tasks.push(Task {
                id: TaskId::generate(),
                user_id: user.clone(),
                project_id,
                client_id,
                activity_id: Some(activity.id.clone()),
                goal_id,
                title: activity.title.clone(),
                description: activity.description.clone(),
                category: activity.category,
                priority: Priority::ALL[rng.random_range(0..3)],
                status,
                scheduled_date: Some(day),
                scheduled_time: Some(start),
                time_block_minutes: activity.default_duration,
                energy_level: activity.energy_level,
                completed_at: (status == TaskStatus::Done).then(|| {
                    at(day, u32::from(start.hour()), u32::from(start.minute()))
                        + Duration::minutes(length.into())
                }),
                created_at: stamp,
                updated_at: stamp,
                routine_id: None,
                routine_date: None,
            });
            minute += length + *pick(rng, &[0, 15, 30]);
        }
    }
    for title in [
        "Update portfolio case study",
        "Renew domain names",
        "Draft proposal template",
    ] {
        all_tasks.push(Task {
            id: TaskId::generate(),
            user_id: user.clone(),
            project_id: None,
            client_id: None,
            activity_id: None,
            goal_id: None,
            title: title.into(),
            description: None,
            category: TaskCategory::Admin,
            priority: Priority::Medium,
            status: TaskStatus::Todo,
            scheduled_date: None,
            scheduled_time: None,
            time_block_minutes: BlockMinutes::DEFAULT,
            energy_level: EnergyLevel::Light,
            completed_at: None,
            created_at: stamp,
            updated_at: stamp,
            routine_id: None,
            routine_date: None,
        });
    }

    // Derived figures, exactly as completing those blocks would have set them.
    let mut goal_done: HashMap<GoalId, i32> = HashMap::new();
    let mut goal_steps: HashMap<(GoalId, NaiveDateTime), i32> = HashMap::new();
    let mut activity_use: HashMap<ActivityId, (i32, NaiveDateTime)> = HashMap::new();
    for task in all_tasks.iter().filter(|t| t.status == TaskStatus::Done) {
        if let Some(goal) = &task.goal_id {
            *goal_done.entry(goal.clone()).or_default() += 1;
            let at = task.completed_at.unwrap_or(stamp);
            *goal_steps.entry((goal.clone(), at)).or_default() += 1;
        }
        if let (Some(activity), Some(done_at)) = (&task.activity_id, task.completed_at) {
            let entry = activity_use.entry(activity.clone()).or_insert((0, done_at));
            entry.0 += 1;
            entry.1 = entry.1.max(done_at);
        }
    }
    for goal in &mut all_goals {
        goal.current_value = goal_done.get(&goal.id).copied().unwrap_or(0);
        if goal.target_value.is_some_and(|t| goal.current_value >= t) {
            goal.completed_at = Some(stamp);
        }
        goals::insert(conn, goal)?;
    }
    // The steps those completions took, for the goals' pace charts.
    let steps: Vec<(GoalId, NaiveDateTime, i32)> = goal_steps
        .into_iter()
        .map(|((goal, at), delta)| (goal, at, delta))
        .collect();
    for chunk in steps.chunks(500) {
        goals::insert_steps(conn, chunk)?;
    }
    let used: Vec<Activity> = catalog
        .iter()
        .filter_map(|a| {
            let (times, last) = activity_use.get(&a.id)?;
            Some(Activity {
                times_used: *times,
                last_used: Some(*last),
                ..a.clone()
            })
        })
        .collect();
    for activity in &used {
        activities::record_use(
            conn,
            user,
            &activity.id,
            activity.times_used,
            activity.last_used,
        )?;
    }
    for client in &all_clients {
        clients::insert(conn, client)?;
    }
    for project in &all_projects {
        projects::insert(conn, project)?;
        // What was paid came in one or two payments since the project began.
        let paid = project.paid_amount.amount();
        if let (false, Some(start)) = (paid.is_zero(), project.start_date) {
            let began = start.and_time(chrono::NaiveTime::MIN) + Duration::hours(10);
            let span = (stamp - began).num_days().max(1);
            let first = (paid / rust_decimal::Decimal::from(2)).round_dp(2);
            let parts = [(span / 3, first), (span * 5 / 6, paid - first)];
            for (days, amount) in parts {
                let at = (began + Duration::days(days)).min(stamp);
                payments::record(
                    conn,
                    user,
                    &project.client_id,
                    Some(&project.id),
                    amount,
                    at,
                )?;
            }
        }
    }
    for opportunity in &all_opportunities {
        opportunities::insert(conn, opportunity)?;
    }
    // A year of the business at each month's end, growing to where it is now,
    // so the review's trends have history to show.
    let mrr_now: rust_decimal::Decimal = all_clients
        .iter()
        .filter(|c| c.status == ClientStatus::Active)
        .filter_map(|c| c.monthly_retainer.map(Money::amount))
        .sum();
    let pipeline_now: rust_decimal::Decimal = all_opportunities
        .iter()
        .filter(|o| !o.is_converted && !o.is_dismissed)
        .filter_map(|o| o.value.map(Money::amount))
        .sum();
    for back in 1..=12u32 {
        let month_end = crate::domain::insight::month_start(today)
            .checked_sub_months(chrono::Months::new(back - 1))
            .map_or(today, |next| next - Duration::days(1));
        let share =
            rust_decimal::Decimal::from(100 - 4 * back as i64) / rust_decimal::Decimal::from(100);
        let swing = rust_decimal::Decimal::from(80 + rng.random_range(0..40))
            / rust_decimal::Decimal::from(100);
        insight::record_business_day(
            conn,
            user,
            month_end,
            (mrr_now * share).round_dp(2),
            (pipeline_now * swing).round_dp(2),
        )?;
    }
    // Last week's review, whose intentions "Prepare tomorrow" proposes this week.
    insight::save_note(
        conn,
        user,
        week_start - Duration::days(7),
        &insight::WeeklyNote {
            went_well: Some("Shipped the onboarding flow a day early.".into()),
            to_change: Some("Fewer context switches between clients in the afternoons.".into()),
            intentions: Some(
                "- Write the case study for the onboarding flow\n- Sketch next quarter's pricing\n- Reply to every open proposal".into(),
            ),
        },
        now.naive_utc(),
    )?;
    for chunk in all_tasks.chunks(500) {
        tasks::insert_batch(conn, chunk)?;
    }
    // A routine before the day's work: its blocks are made as days are shown.
    routines::insert(
        conn,
        &Routine {
            id: RoutineId::generate(),
            user_id: user.clone(),
            title: "Plan the day".into(),
            description: Some("Inbox, calendar, the day's three things.".into()),
            category: TaskCategory::Admin,
            priority: Priority::Medium,
            energy_level: EnergyLevel::Light,
            project_id: None,
            activity_id: None,
            goal_id: None,
            start_time: TimeOfDay::parse("07:00").ok(),
            minutes: BlockMinutes::new(15).unwrap_or(BlockMinutes::DEFAULT),
            cadence: Cadence::Weekdays,
            weekdays: Weekdays::WORK.bits(),
            starts_on: today,
            until: None,
            created_at: stamp,
            updated_at: stamp,
        },
    )?;
    Ok(DemoCounts {
        activities: catalog.len(),
        goals: all_goals.len(),
        clients: all_clients.len(),
        projects: all_projects.len(),
        opportunities: all_opportunities.len(),
        tasks: all_tasks.len(),
        assets: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_demo_accounts_get_numbered_addresses() {
        assert_eq!(demo_email(None, 1, 1), "demo@example.com");
        assert_eq!(demo_email(None, 3, 50), "demo3@example.com");
        assert_eq!(demo_email(Some("me@x.io"), 2, 2), "me2@x.io");
    }
}
