//! The starter activity catalog every new account begins with (PRODUCT.md: routine,
//! design, development, client work, admin, learning, fitness, breaks…).

use super::{BlockMinutes, EnergyLevel, TaskCategory};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StarterActivity {
    pub title: &'static str,
    pub description: &'static str,
    pub category: TaskCategory,
    pub minutes: u16,
    pub energy: EnergyLevel,
    pub icon: &'static str,
}

impl StarterActivity {
    pub fn duration(&self) -> BlockMinutes {
        BlockMinutes::new(self.minutes.into()).unwrap_or_default()
    }
}

const fn a(
    title: &'static str,
    description: &'static str,
    category: TaskCategory,
    minutes: u16,
    energy: EnergyLevel,
    icon: &'static str,
) -> StarterActivity {
    StarterActivity {
        title,
        description,
        category,
        minutes,
        energy,
        icon,
    }
}

use EnergyLevel::{DeepWork, Light, Moderate};
use TaskCategory as C;

pub const STARTER_SET: &[StarterActivity] = &[
    a(
        "Morning routine",
        "Coffee, plan the day, inbox to zero",
        C::Routine,
        30,
        Light,
        "sunrise",
    ),
    a(
        "Deep design session",
        "Focused UI/UX work on one screen or flow",
        C::Design,
        90,
        DeepWork,
        "pen",
    ),
    a(
        "Deep coding session",
        "Build one feature end to end",
        C::Code,
        90,
        DeepWork,
        "code",
    ),
    a(
        "Code review & fixes",
        "Review PRs, fix small bugs",
        C::Code,
        60,
        Moderate,
        "check",
    ),
    a(
        "Client call",
        "Scheduled call or check-in with a client",
        C::Client,
        45,
        Moderate,
        "phone",
    ),
    a(
        "Client follow-ups",
        "Emails, proposals and status updates",
        C::Client,
        30,
        Light,
        "mail",
    ),
    a(
        "Admin & invoicing",
        "Invoices, bookkeeping, contracts",
        C::Admin,
        45,
        Light,
        "receipt",
    ),
    a(
        "Learning",
        "Course, docs or a new tool",
        C::Learning,
        60,
        Moderate,
        "book",
    ),
    a(
        "SaaS side project",
        "Work on your own product",
        C::Saas,
        90,
        DeepWork,
        "rocket",
    ),
    a(
        "Networking",
        "Community, outreach, portfolio posts",
        C::Networking,
        30,
        Light,
        "users",
    ),
    a(
        "Workout",
        "Gym, run or yoga",
        C::Fitness,
        60,
        Moderate,
        "dumbbell",
    ),
    a(
        "Lunch break",
        "Away from the screen",
        C::Leisure,
        60,
        Light,
        "coffee",
    ),
    a(
        "Short break",
        "Walk, stretch, water",
        C::Leisure,
        15,
        Light,
        "pause",
    ),
    a(
        "Personal errands",
        "Life admin",
        C::Personal,
        30,
        Light,
        "home",
    ),
    a(
        "Weekly review",
        "Review goals, plan next week",
        C::Routine,
        45,
        Moderate,
        "calendar",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_set_has_valid_durations_and_covers_the_basics() {
        for activity in STARTER_SET {
            assert_eq!(
                activity.duration().get(),
                activity.minutes,
                "{}",
                activity.title
            );
        }
        for category in [
            C::Routine,
            C::Design,
            C::Code,
            C::Client,
            C::Admin,
            C::Learning,
            C::Fitness,
            C::Leisure,
        ] {
            assert!(
                STARTER_SET.iter().any(|a| a.category == category),
                "{category}"
            );
        }
    }
}
