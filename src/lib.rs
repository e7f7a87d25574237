//! LAUF OS: a freelancer's Command Center and Client CRM in one binary.

pub mod db;
pub mod domain;
