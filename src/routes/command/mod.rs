//! The Command Center's pages: the day builder (`/`), the week
//! (`/command/calendar`), every block (`/command/tasks`) and goals
//! (`/command/goals`), and the views of a block and a goal they share.

pub mod calendar;
pub mod day;
pub mod goals;
pub mod planner;
pub mod shutdown;
pub mod tasks;
pub mod view;
