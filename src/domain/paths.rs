//! Where a form or a login may send the browser next: our own paths only.

/// A same-site path to redirect to; anything else (other hosts, scheme-relative
/// `//x`, backslashes, control characters, very long input, the login pages
/// themselves) is `/`.
pub fn safe_next(raw: Option<&str>) -> String {
    let Some(path) = raw else { return "/".into() };
    let unsafe_path = path.len() > 512
        || !path.starts_with('/')
        || path.starts_with("//")
        || path.chars().any(|c| c.is_control() || c == '\\')
        || path.starts_with("/login")
        || path.starts_with("/logout")
        || path.starts_with("/signup");
    if unsafe_path {
        "/".into()
    } else {
        path.to_string()
    }
}

/// Where a form came from (its `return_to` field), to go back to after it is
/// saved: a safe path, or `fallback` when the field is empty.
pub fn return_path(raw: &str, fallback: &str) -> String {
    match raw.trim() {
        "" => fallback.to_string(),
        given => safe_next(Some(given)),
    }
}

/// The day a return path shows (`/?date=…` or `/command/calendar?week=…`), if any.
pub fn date_in(path: &str) -> Option<chrono::NaiveDate> {
    let query = path.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == "date" || key == "week")
            .then(|| chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_only_leads_to_our_own_pages() {
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "javascript:alert(1)",
            "/\r\nSet-Cookie:x",
            "evil",
            "/logout",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(600)))), "/");
        assert_eq!(safe_next(Some("/clients/abc?tab=a")), "/clients/abc?tab=a");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn a_form_goes_back_where_it_came_from_or_to_its_fallback() {
        assert_eq!(return_path("", "/clients"), "/clients");
        assert_eq!(return_path("  ", "/clients"), "/clients");
        assert_eq!(return_path("/?date=2026-12-04", "/"), "/?date=2026-12-04");
        assert_eq!(return_path("https://evil.com", "/clients"), "/");
    }

    #[test]
    fn the_day_of_a_return_path() {
        assert_eq!(
            date_in("/?date=2026-12-04").map(|d| d.to_string()),
            Some("2026-12-04".into())
        );
        assert_eq!(
            date_in("/command/calendar?x=1&week=2026-11-30").map(|d| d.to_string()),
            Some("2026-11-30".into())
        );
        assert_eq!(date_in("/clients"), None);
        assert_eq!(date_in("/?date=garbage"), None);
    }
}
