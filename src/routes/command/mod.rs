//! The Command Center's pages: the day builder (`/`), the week
//! (`/command/calendar`), every block (`/command/tasks`) and goals
//! (`/command/goals`), routines (`/command/routines`), and the views of a block and a goal they share.

pub mod calendar;
pub mod day;
pub mod goals;
pub mod planner;
pub mod routines;
pub mod shutdown;
pub mod tasks;
pub mod view;
