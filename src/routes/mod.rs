//! HTTP handlers with their template structs, one file (or folder) per URL prefix;
//! `startup::configure` is the route table that maps URLs onto them.
// A form's error value is one optional message per field, built once per bad form
// and shown with it; boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub mod activities;
pub mod assets;
pub mod auth;
pub mod calendar_ics;
pub mod clients;
pub mod command;
pub mod health;
pub mod import;
pub mod onboarding;
pub mod opportunities;
pub mod projects;
#[cfg(test)]
mod properties;
pub mod review;
pub mod search;
pub mod settings;
pub mod static_files;
pub mod tasks;
pub mod undo;
