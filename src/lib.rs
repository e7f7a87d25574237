//! LAUF OS: a freelancer's Command Center and Client CRM in one binary.

pub mod auth;
pub mod cache;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod media;
pub mod outbound;
pub mod portable;
pub mod routes;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
pub mod vault;
pub mod web;
