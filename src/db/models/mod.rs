//! Table models: row structs, insert forms and the queries on each table. Every query
//! on user data takes the owner's id and filters on it.

pub mod activities;
pub mod assets;
pub mod audit;
pub mod auth_flows;
pub mod clients;
pub mod closings;
pub mod credentials;
pub mod feeds;
pub mod goals;
pub mod insight;
pub mod opportunities;
pub mod payments;
pub mod projects;
pub mod routines;
pub mod search;
pub mod sessions;
pub mod tasks;
pub mod throttle;
pub mod undo;
pub mod users;
