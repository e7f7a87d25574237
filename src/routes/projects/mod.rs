//! `/projects…`: the pipeline board (`board`), the form (`form`), the project page
//! (`show`) and `/projects.csv` (`csv`).

pub mod board;
pub mod csv;
pub mod form;
pub mod show;

use crate::db::models::projects::Project;
use crate::domain::money::MoneyFormat;

/// Budget minus what was paid, as the board and the project page show it.
pub fn outstanding(p: &Project, format: &MoneyFormat) -> String {
    p.open()
        .map_or_else(|| "—".into(), |open| format.show(open))
}
