//! The integration suite: one binary, every test against the real server over HTTP
//! and a real database, once on SQLite and once on PostgreSQL.

mod helpers;

mod architecture;
mod assets;
mod auth;
mod bad_input;
mod browser;
mod clients;
mod command;
mod crm;
mod data_layer;
mod demo;
mod faults;
mod feedback;
mod first_run;
mod opportunities;
mod palette;
mod planner;
mod projects;
mod review;
mod routines;
mod shell;
mod statements;
mod supabase;
mod transfer;
mod your_data;
