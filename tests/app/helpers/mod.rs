//! What every integration test stands on: the app on a fresh database (`app`),
//! a person's browser over HTTP (`browser`), an S3-compatible server (`s3`) and
//! headless Chromium for the journeys (`chrome`).

mod app;
mod browser;
pub mod chrome;
mod s3;

pub use app::*;
pub use browser::*;
pub use s3::*;
