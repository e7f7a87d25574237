//! CSV downloads: rows written with the `csv` crate, every cell a spreadsheet
//! would read as a formula defused with a leading `'`.

use actix_web::HttpResponse;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};

use crate::error::AppError;

/// A spreadsheet must not read a cell as a formula: such cells get a leading `'`.
pub fn defuse(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    }
}

/// A cell as it was before `defuse`, for an import: the apostrophe goes again
/// unless what follows is a formula (`'+49 30 …` is a phone number; `'=SUM(…)`
/// stays as written).
pub fn undefuse(value: &str) -> String {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['+', '-', '@', '\t', '\r']) => rest.to_string(),
        _ => value.to_string(),
    }
}

/// `header` and `rows` as a CSV document, every cell defused.
pub fn write_rows(header: &[&str], rows: Vec<Vec<String>>) -> Result<Vec<u8>, AppError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(header).map_err(AppError::internal)?;
    for row in rows {
        out.write_record(row.iter().map(|v| defuse(v)))
            .map_err(AppError::internal)?;
    }
    out.into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))
}

/// A CSV file the browser saves as `filename`.
pub fn download(filename: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exported_value_comes_back_as_it_was_unless_a_formula() {
        for value in ["+49 30 1234567", "-12", "@handle", "plain", "'quoted"] {
            assert_eq!(undefuse(&defuse(value)), value);
        }
        assert_eq!(undefuse(&defuse("=SUM(A1)")), "'=SUM(A1)");
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(defuse("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(defuse("@cmd"), "'@cmd");
        assert_eq!(defuse("Acme"), "Acme");
    }
}
