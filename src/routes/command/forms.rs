//! Parsing the Command Center's forms: raw strings in, validated fields or a
//! message per field out (shown next to the field, with the input kept).
// The error values are one optional message per field, built once per bad form;
// boxing them would only add noise.
#![allow(clippy::result_large_err)]

use serde::Deserialize;

use crate::db::models::activities::ActivityFields;
use crate::db::models::goals::GoalFields;
use crate::db::models::tasks::TaskFields;
use crate::domain::*;
use crate::web::forms::{date, id, required, text, time};

/// Field messages of a block form; empty means valid.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TaskErrors {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub priority: Option<String>,
    pub energy_level: Option<String>,
    pub scheduled_date: Option<String>,
    pub scheduled_time: Option<String>,
    pub time_block_minutes: Option<String>,
    pub project_id: Option<String>,
    pub goal_id: Option<String>,
}

impl TaskErrors {
    pub fn any(&self) -> bool {
        *self != TaskErrors::default()
    }
}

/// A block form as submitted (every field a string, so it can be shown again).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct TaskForm {
    pub title: String,
    pub description: String,
    pub category: String,
    pub priority: String,
    pub energy_level: String,
    pub scheduled_date: String,
    pub scheduled_time: String,
    pub time_block_minutes: String,
    pub project_id: String,
    pub goal_id: String,
    pub activity_id: String,
    pub return_to: String,
}

impl TaskForm {
    pub fn parse(&self) -> Result<TaskFields, TaskErrors> {
        let mut e = TaskErrors::default();
        let title = required(&self.title, "Title", 200)
            .map_err(|m| e.title = Some(m))
            .ok();
        let description = text(&self.description, "Notes", 5000)
            .map_err(|m| e.description = Some(m))
            .ok();
        let category = TaskCategory::parse(&self.category)
            .map_err(|_| e.category = Some("choose a category".into()))
            .ok();
        let priority = Priority::parse(&self.priority)
            .map_err(|_| e.priority = Some("choose a priority".into()))
            .ok();
        let energy_level = EnergyLevel::parse(&self.energy_level)
            .map_err(|_| e.energy_level = Some("choose an energy level".into()))
            .ok();
        let scheduled_date = date(&self.scheduled_date)
            .map_err(|m| e.scheduled_date = Some(m))
            .ok();
        let scheduled_time = time(&self.scheduled_time)
            .map_err(|m| e.scheduled_time = Some(m))
            .ok();
        let minutes = BlockMinutes::parse(&self.time_block_minutes)
            .map_err(|err| e.time_block_minutes = Some(err.to_string()))
            .ok();
        if let (Some(Some(start)), Some(length)) = (scheduled_time, minutes)
            && start.plus(length.get()).is_none()
            && start.minutes() + length.get() != 24 * 60
        {
            e.time_block_minutes = Some("the block would run past midnight".into());
        }
        if matches!(scheduled_time, Some(Some(_))) && matches!(scheduled_date, Some(None)) {
            e.scheduled_date = Some("a start time needs a day".into());
        }
        let project_id = id(&self.project_id, ProjectId::parse)
            .map_err(|m| e.project_id = Some(m))
            .ok();
        let goal_id = id(&self.goal_id, GoalId::parse)
            .map_err(|m| e.goal_id = Some(m))
            .ok();
        // The activity link is set only by the picker; a bad one is ignored, not shown.
        let activity_id = id(&self.activity_id, ActivityId::parse).unwrap_or(None);
        if e.any() {
            return Err(e);
        }
        match (
            title,
            description,
            category,
            priority,
            energy_level,
            scheduled_date,
            scheduled_time,
            minutes,
            project_id,
            goal_id,
        ) {
            (
                Some(title),
                Some(description),
                Some(category),
                Some(priority),
                Some(energy_level),
                Some(scheduled_date),
                Some(scheduled_time),
                Some(time_block_minutes),
                Some(project_id),
                Some(goal_id),
            ) => Ok(TaskFields {
                title,
                description,
                category,
                priority,
                energy_level,
                scheduled_date,
                scheduled_time,
                time_block_minutes,
                project_id,
                goal_id,
                activity_id,
            }),
            _ => Err(e),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ActivityErrors {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub default_duration: Option<String>,
    pub energy_level: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ActivityForm {
    pub title: String,
    pub description: String,
    pub category: String,
    pub default_duration: String,
    pub energy_level: String,
}

impl ActivityForm {
    pub fn parse(&self) -> Result<ActivityFields, ActivityErrors> {
        let mut e = ActivityErrors::default();
        let title = required(&self.title, "Title", 200)
            .map_err(|m| e.title = Some(m))
            .ok();
        let description = text(&self.description, "Description", 2000)
            .map_err(|m| e.description = Some(m))
            .ok();
        let category = TaskCategory::parse(&self.category)
            .map_err(|_| e.category = Some("choose a category".into()))
            .ok();
        let duration = BlockMinutes::parse(&self.default_duration)
            .map_err(|err| e.default_duration = Some(err.to_string()))
            .ok();
        let energy = EnergyLevel::parse(&self.energy_level)
            .map_err(|_| e.energy_level = Some("choose an energy level".into()))
            .ok();
        match (title, description, category, duration, energy) {
            (
                Some(title),
                Some(description),
                Some(category),
                Some(default_duration),
                Some(energy_level),
            ) => Ok(ActivityFields {
                title,
                description,
                category,
                default_duration,
                energy_level,
            }),
            _ => Err(e),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GoalErrors {
    pub title: Option<String>,
    pub description: Option<String>,
    pub goal_type: Option<String>,
    pub target_value: Option<String>,
    pub start_date: Option<String>,
    pub due_date: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct GoalForm {
    pub title: String,
    pub description: String,
    pub goal_type: String,
    pub target_value: String,
    pub start_date: String,
    pub due_date: String,
}

impl GoalForm {
    pub fn parse(&self) -> Result<GoalFields, GoalErrors> {
        let mut e = GoalErrors::default();
        let title = required(&self.title, "Title", 200)
            .map_err(|m| e.title = Some(m))
            .ok();
        let description = text(&self.description, "Description", 2000)
            .map_err(|m| e.description = Some(m))
            .ok();
        let goal_type = GoalType::parse(&self.goal_type)
            .map_err(|_| e.goal_type = Some("choose a type".into()))
            .ok();
        let target = match self.target_value.trim() {
            "" => Some(None),
            raw => match raw.parse::<i32>() {
                Ok(n) if (1..=100_000).contains(&n) => Some(Some(n)),
                _ => {
                    e.target_value =
                        Some("enter a whole number from 1 to 100000, or leave it empty".into());
                    None
                }
            },
        };
        let start = date(&self.start_date)
            .map_err(|m| e.start_date = Some(m))
            .ok();
        let due = date(&self.due_date).map_err(|m| e.due_date = Some(m)).ok();
        if let (Some(Some(s)), Some(Some(d))) = (start, due)
            && d < s
        {
            e.due_date = Some("the due date must not be before the start".into());
        }
        match (title, description, goal_type, target, start, due) {
            (
                Some(title),
                Some(description),
                Some(goal_type),
                Some(target_value),
                Some(start_date),
                Some(due_date),
            ) if e == GoalErrors::default() => Ok(GoalFields {
                title,
                description,
                goal_type,
                target_value,
                start_date,
                due_date,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task_form() -> TaskForm {
        TaskForm {
            title: "Deep work".into(),
            category: "CODE".into(),
            priority: "HIGH".into(),
            energy_level: "DEEP_WORK".into(),
            scheduled_date: "2026-11-23".into(),
            scheduled_time: "09:00".into(),
            time_block_minutes: "90".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_block_form_parses() {
        let fields = task_form().parse().unwrap();
        assert_eq!(fields.scheduled_time.unwrap().to_string(), "09:00");
        assert_eq!(fields.time_block_minutes.get(), 90);
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let form = TaskForm {
            title: " ".into(),
            category: "MEETING".into(),
            scheduled_time: "25:00".into(),
            time_block_minutes: "7".into(),
            goal_id: "not-an-id".into(),
            ..task_form()
        };
        let e = form.parse().unwrap_err();
        assert_eq!(e.title.as_deref(), Some("Title is required"));
        assert!(
            e.category.is_some()
                && e.scheduled_time.is_some()
                && e.time_block_minutes.is_some()
                && e.goal_id.is_some()
        );
    }

    #[test]
    fn blocks_may_not_run_past_midnight_but_may_end_at_it() {
        let late = TaskForm {
            scheduled_time: "23:00".into(),
            time_block_minutes: "90".into(),
            ..task_form()
        };
        assert_eq!(
            late.parse().unwrap_err().time_block_minutes.as_deref(),
            Some("the block would run past midnight")
        );
        let last = TaskForm {
            scheduled_time: "22:30".into(),
            time_block_minutes: "90".into(),
            ..task_form()
        };
        assert!(last.parse().is_ok());
    }

    #[test]
    fn goal_dates_must_be_in_order() {
        let form = GoalForm {
            title: "Ship".into(),
            goal_type: "WEEKLY".into(),
            target_value: "5".into(),
            start_date: "2026-11-23".into(),
            due_date: "2026-11-20".into(),
            ..Default::default()
        };
        assert!(form.parse().unwrap_err().due_date.is_some());
        assert!(
            GoalForm {
                target_value: "0".into(),
                due_date: String::new(),
                ..form.clone()
            }
            .parse()
            .unwrap_err()
            .target_value
            .is_some()
        );
        assert_eq!(
            GoalForm {
                due_date: String::new(),
                ..form
            }
            .parse()
            .unwrap()
            .target_value,
            Some(5)
        );
    }
}
