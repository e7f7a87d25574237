//! What the tests and benchmarks need from the library but the app never uses:
//! signing keys shaped like a Supabase project's, and hostile PNG files. Built
//! only for the crate's own tests and with the `test-support` feature (which the
//! integration tests and the benchmark examples turn on); never in the binary.

pub mod png;
pub mod signing;
