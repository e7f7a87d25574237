//! The static files (CSS, JS, icons, vendored htmx), embedded in the binary, and
//! their versioned URLs.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(rust_embed::Embed)]
#[folder = "static/"]
pub struct Embedded;

/// Short content hashes of every embedded file, computed once.
pub fn versions() -> &'static HashMap<String, String> {
    static VERSIONS: OnceLock<HashMap<String, String>> = OnceLock::new();
    VERSIONS.get_or_init(|| {
        Embedded::iter()
            .filter_map(|path| {
                let file = Embedded::get(&path)?;
                let hash: String = file.metadata.sha256_hash()[..6]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                Some((path.into_owned(), hash))
            })
            .collect()
    })
}

/// `/static/app.css?v=1a2b3c4d5e6f`.
pub fn url(path: &str) -> String {
    match versions().get(path) {
        Some(v) => format!("/static/{path}?v={v}"),
        None => format!("/static/{path}"),
    }
}
