//! Whole tables as portable rows, for backups, `lauf copy-to` and workspace exports.
//!
//! A row travels as a JSON object keyed by column name, in one canonical form
//! whatever the backend: timestamps `2026-12-04T09:30:00.500`, dates `2026-12-04`,
//! booleans `true`, money as a decimal string `"4000.00"`, JSON documents nested.
//! Each backend renders its rows to JSON in SQL (`row_to_json` on PostgreSQL,
//! `json_object` on SQLite) and loads a batch from one JSON parameter
//! (`json_populate_recordset`, `json_each`), so a batch is one statement either way
//! and no table needs a Rust struct of its own here: the columns come from the
//! database's catalog, and the kinds are checked to agree between the backends.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{AnyConnection, DbKind};

/// One row: column name → canonical value.
pub type Row = Map<String, Value>;

/// Every table of ours, each after the tables it references, so loading them in
/// this order never breaks a foreign key. A test checks this is every table the
/// migrations make, on both backends.
pub const TABLES: &[&str] = &[
    "users",
    "local_credentials",
    "sessions",
    "auth_flows",
    "login_throttle",
    "calendar_feeds",
    "audit_logs",
    "activities",
    "clients",
    "projects",
    "opportunities",
    "goals",
    "goal_periods",
    "goal_progress",
    "routines",
    "routine_skips",
    "tasks",
    "assets",
    "asset_tags",
    "task_assets",
    "payments",
    "day_closings",
    "weekly_notes",
    "business_days",
    "undo_actions",
    "storage_deletions",
];

/// Columns holding JSON documents: `jsonb` on PostgreSQL, TEXT on SQLite (where the
/// catalog cannot tell them from text).
const JSON_COLUMNS: &[(&str, &str)] = &[
    ("users", "preferences"),
    ("audit_logs", "details"),
    ("clients", "metadata"),
];

/// Counters the database moves by itself (a trigger bumps `users.data_version` for
/// every row written under the user), so a copy cannot match them and sums skip them.
const SELF_MOVING: &[(&str, &str)] = &[("users", "data_version")];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    Integer,
    BigInt,
    Bool,
    Timestamp,
    Date,
    Numeric,
    Json,
}

impl Kind {
    /// What a value of this kind is, for a message.
    pub fn words(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Integer | Kind::BigInt => "a whole number",
            Kind::Bool => "true or false",
            Kind::Timestamp => "a date and time (2026-12-04T09:30:00)",
            Kind::Date => "a date (2026-12-04)",
            Kind::Numeric => "a number",
            Kind::Json => "a JSON document",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// A table as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub table: &'static str,
    pub columns: Vec<Column>,
    /// The primary key's columns, in key order: batches are read in this order.
    pub key: Vec<String>,
}

impl Shape {
    /// The column names, sorted: two databases with the same migrations agree on
    /// them (the kinds differ only where SQLite says INTEGER for PostgreSQL's
    /// INTEGER and BIGINT alike).
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        names
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RowError {
    #[error("{0}")]
    Database(#[from] diesel::result::Error),
    #[error("table {table}: column {column} has type {declared:?}, which a copy cannot carry")]
    UnknownType {
        table: String,
        column: String,
        declared: String,
    },
    #[error("{table}: {column}: {why}")]
    Value {
        table: String,
        column: String,
        why: String,
    },
}

#[derive(QueryableByName)]
struct CatalogColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    #[diesel(sql_type = Integer)]
    key_position: i32,
}

#[derive(QueryableByName)]
struct Doc {
    #[diesel(sql_type = Text)]
    doc: String,
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    name: String,
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn kind_of(backend: DbKind, table: &str, column: &str, declared: &str) -> Option<Kind> {
    if JSON_COLUMNS.contains(&(table, column)) {
        return Some(Kind::Json);
    }
    let declared = declared.to_ascii_uppercase();
    let kind = match declared.split(['(', ' ']).next().unwrap_or_default() {
        "TEXT" | "VARCHAR" | "CHARACTER" => Kind::Text,
        // SQLite's INTEGER holds 64 bits whatever it is called.
        "INTEGER" if backend == DbKind::Sqlite => Kind::BigInt,
        "INTEGER" | "INT" | "INT4" | "SMALLINT" => Kind::Integer,
        "BIGINT" | "INT8" => Kind::BigInt,
        "BOOLEAN" | "BOOL" => Kind::Bool,
        "TIMESTAMP" => Kind::Timestamp,
        "DATE" => Kind::Date,
        "NUMERIC" | "DECIMAL" => Kind::Numeric,
        "JSON" | "JSONB" => Kind::Json,
        _ => return None,
    };
    Some(kind)
}

/// The tables of ours the connected database has (for the check that `TABLES` is
/// complete, and to refuse a database of another application).
pub fn table_names(conn: &mut AnyConnection) -> Result<Vec<String>, RowError> {
    let sql = match conn.kind() {
        DbKind::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name NOT LIKE '\\_\\_%' ORDER BY 1"
        }
        DbKind::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
             AND name NOT LIKE '\\_\\_%' ESCAPE '\\' ORDER BY 1"
        }
    };
    let names: Vec<Named> = diesel::sql_query(sql).load(conn)?;
    Ok(names.into_iter().map(|n| n.name).collect())
}

/// The columns and key of `table`, read from the catalog.
pub fn shape(conn: &mut AnyConnection, table: &'static str) -> Result<Shape, RowError> {
    let sql = match conn.kind() {
        DbKind::Postgres => format!(
            "SELECT a.attname::text AS name, format_type(a.atttypid, NULL) AS declared, \
             COALESCE(array_position(i.indkey::int2[], a.attnum) \
                      - array_lower(i.indkey::int2[], 1) + 1, 0)::int AS key_position \
             FROM pg_attribute a \
             LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary \
             WHERE a.attrelid = '{table}'::regclass AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum"
        ),
        DbKind::Sqlite => format!(
            "SELECT name, type AS declared, pk AS key_position \
             FROM pragma_table_info('{table}') ORDER BY cid"
        ),
    };
    let backend = conn.kind();
    let rows: Vec<CatalogColumn> = diesel::sql_query(sql).load(conn)?;
    let mut columns = Vec::with_capacity(rows.len());
    let mut key: Vec<(i32, String)> = Vec::new();
    for row in rows {
        let kind = kind_of(backend, table, &row.name, &row.declared).ok_or_else(|| {
            RowError::UnknownType {
                table: table.to_string(),
                column: row.name.clone(),
                declared: row.declared.clone(),
            }
        })?;
        if row.key_position > 0 {
            key.push((row.key_position, row.name.clone()));
        }
        columns.push(Column {
            name: row.name,
            kind,
        });
    }
    key.sort();
    Ok(Shape {
        table,
        columns,
        key: key.into_iter().map(|(_, name)| name).collect(),
    })
}

/// Rows of `shape`'s table, `limit` from `offset` in key order, each in canonical
/// form. `filter` is an SQL condition (no user input: built by the caller from
/// constants and a checked id) or empty for the whole table.
pub fn read_batch(
    conn: &mut AnyConnection,
    shape: &Shape,
    filter: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<Row>, RowError> {
    let table = quoted(shape.table);
    let order = shape
        .key
        .iter()
        .map(|k| quoted(k))
        .collect::<Vec<_>>()
        .join(", ");
    if order.is_empty() {
        // Every table of ours has a primary key; without one, batches could
        // overlap or skip rows.
        return Err(RowError::Value {
            table: shape.table.to_string(),
            column: "(primary key)".into(),
            why: "the table has no primary key to read it in order by".into(),
        });
    }
    let filter = if filter.is_empty() {
        String::new()
    } else {
        format!(" WHERE {filter}")
    };
    let sql = match conn.kind() {
        DbKind::Postgres => format!(
            "SELECT row_to_json(t)::text AS doc FROM \
             (SELECT * FROM {table}{filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}) t"
        ),
        DbKind::Sqlite => {
            let pairs = shape
                .columns
                .iter()
                .map(|c| format!("'{}', {}", c.name, quoted(&c.name)))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "SELECT json_object({pairs}) AS doc FROM {table}{filter} \
                 ORDER BY {order} LIMIT {limit} OFFSET {offset}"
            )
        }
    };
    let docs: Vec<Doc> = diesel::sql_query(sql).load(conn)?;
    docs.into_iter()
        .map(|doc| {
            let raw: Row = serde_json::from_str(&doc.doc).map_err(|e| RowError::Value {
                table: shape.table.to_string(),
                column: "(row)".into(),
                why: e.to_string(),
            })?;
            canonical_row(shape, raw)
        })
        .collect()
}

/// `raw` (as either backend rendered it, or as an archive holds it) in canonical
/// form, with exactly `shape`'s columns: a missing column is NULL, an unknown one an
/// error, a value of the wrong kind an error naming the column.
pub fn canonical_row(shape: &Shape, mut raw: Row) -> Result<Row, RowError> {
    let mut row = Map::with_capacity(shape.columns.len());
    for column in &shape.columns {
        let value = raw.remove(&column.name).unwrap_or(Value::Null);
        let value = canonical(column.kind, value).map_err(|why| RowError::Value {
            table: shape.table.to_string(),
            column: column.name.clone(),
            why,
        })?;
        row.insert(column.name.clone(), value);
    }
    if let Some(extra) = raw.keys().next() {
        return Err(RowError::Value {
            table: shape.table.to_string(),
            column: extra.clone(),
            why: "no such column".into(),
        });
    }
    Ok(row)
}

const TIMESTAMP_FORMATS: [&str; 2] = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"];

pub fn parse_timestamp(text: &str) -> Option<NaiveDateTime> {
    TIMESTAMP_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

fn canonical(kind: Kind, value: Value) -> Result<Value, String> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let wrong = |value: &Value| format!("{value} is not {}", kind.words());
    Ok(match kind {
        Kind::Text => match value {
            Value::String(_) => value,
            Value::Number(n) => Value::String(n.to_string()),
            other => return Err(wrong(&other)),
        },
        Kind::Integer | Kind::BigInt => {
            let n = value.as_i64().ok_or_else(|| wrong(&value))?;
            if kind == Kind::Integer && i32::try_from(n).is_err() {
                return Err(format!("{n} is out of range"));
            }
            Value::from(n)
        }
        Kind::Bool => match &value {
            Value::Bool(_) => value,
            Value::Number(n) if n.as_i64() == Some(0) => Value::Bool(false),
            Value::Number(n) if n.as_i64() == Some(1) => Value::Bool(true),
            _ => return Err(wrong(&value)),
        },
        Kind::Timestamp => {
            let at = value
                .as_str()
                .and_then(parse_timestamp)
                .ok_or_else(|| wrong(&value))?;
            Value::String(at.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
        }
        Kind::Date => {
            let day = value
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                .ok_or_else(|| wrong(&value))?;
            Value::String(day.format("%Y-%m-%d").to_string())
        }
        Kind::Numeric => Value::String(decimal(&value).ok_or_else(|| wrong(&value))?.to_string()),
        Kind::Json => match value {
            Value::String(text) => serde_json::from_str(&text).map_err(|e| e.to_string())?,
            other => other,
        },
    })
}

fn decimal(value: &Value) -> Option<Decimal> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
        .map(|d| d.normalize())
}

/// `row` as the backend stores it, for the load statement.
fn stored(kind: DbKind, shape: &Shape, row: &Row) -> Value {
    if kind == DbKind::Postgres {
        return Value::Object(row.clone());
    }
    let mut out = Map::with_capacity(row.len());
    for column in &shape.columns {
        let value = row.get(&column.name).cloned().unwrap_or(Value::Null);
        let value = match (column.kind, value) {
            (_, Value::Null) => Value::Null,
            (Kind::Timestamp, Value::String(s)) => Value::String(s.replacen('T', " ", 1)),
            (Kind::Bool, Value::Bool(b)) => Value::from(i64::from(b)),
            (Kind::Numeric, Value::String(s)) => s
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::String(s), Value::Number),
            (Kind::Json, doc) => Value::String(doc.to_string()),
            (_, other) => other,
        };
        out.insert(column.name.clone(), value);
    }
    Value::Object(out)
}

/// Inserts canonical `rows` into `shape`'s table in one statement.
pub fn insert_batch(conn: &mut AnyConnection, shape: &Shape, rows: &[Row]) -> Result<(), RowError> {
    if rows.is_empty() {
        return Ok(());
    }
    let kind = conn.kind();
    let docs = Value::Array(rows.iter().map(|r| stored(kind, shape, r)).collect()).to_string();
    let table = quoted(shape.table);
    let names = shape
        .columns
        .iter()
        .map(|c| quoted(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = match kind {
        DbKind::Postgres => format!(
            "INSERT INTO {table} ({names}) SELECT {names} \
             FROM json_populate_recordset(NULL::{table}, $1::json)"
        ),
        DbKind::Sqlite => {
            let values = shape
                .columns
                .iter()
                .map(|c| format!("json_extract(value, '$.\"{}\"')", c.name))
                .collect::<Vec<_>>()
                .join(", ");
            format!("INSERT INTO {table} ({names}) SELECT {values} FROM json_each(?)")
        }
    };
    diesel::sql_query(sql).bind::<Text, _>(docs).execute(conn)?;
    Ok(())
}

/// How many rows `table` holds (under `filter`, when given).
pub fn count(conn: &mut AnyConnection, table: &str, filter: &str) -> Result<i64, RowError> {
    let filter = if filter.is_empty() {
        String::new()
    } else {
        format!(" WHERE {filter}")
    };
    let sql = format!("SELECT COUNT(*) AS n FROM {}{filter}", quoted(table));
    let counted: Counted = diesel::sql_query(sql).get_result(conn)?;
    Ok(counted.n)
}

/// What a table held: its rows and the sum of each numeric column (money and
/// counts), so a copy can be compared with its source beyond the row count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub rows: u64,
    pub sums: BTreeMap<String, String>,
}

impl Tally {
    pub fn add(&mut self, shape: &Shape, row: &Row) {
        self.rows += 1;
        for column in &shape.columns {
            if !matches!(column.kind, Kind::Integer | Kind::BigInt | Kind::Numeric)
                || SELF_MOVING.contains(&(shape.table, column.name.as_str()))
            {
                continue;
            }
            let value = row.get(&column.name).and_then(decimal).unwrap_or_default();
            let sum = self
                .sums
                .entry(column.name.clone())
                .or_insert_with(|| "0".into());
            let total = sum.parse::<Decimal>().unwrap_or_default() + value;
            *sum = total.normalize().to_string();
        }
    }
}

/// Reads the whole of `shape`'s table (under `filter`) in batches, handing each to
/// `each`, and returns its tally.
pub fn for_each_batch(
    conn: &mut AnyConnection,
    shape: &Shape,
    filter: &str,
    batch: i64,
    mut each: impl FnMut(&[Row]) -> Result<(), RowError>,
) -> Result<Tally, RowError> {
    let mut tally = Tally::default();
    let mut offset = 0;
    loop {
        let rows = read_batch(conn, shape, filter, batch, offset)?;
        for row in &rows {
            tally.add(shape, row);
        }
        each(&rows)?;
        if (rows.len() as i64) < batch {
            return Ok(tally);
        }
        offset += batch;
    }
}

/// The latest migration applied, e.g. `20261204000016`.
pub fn migration_version(conn: &mut AnyConnection) -> Result<String, RowError> {
    let latest: Named = diesel::sql_query(
        "SELECT COALESCE(MAX(version), '') AS name FROM __diesel_schema_migrations",
    )
    .get_result(conn)?;
    Ok(latest.name)
}

/// Whether every table of ours is empty.
pub fn all_empty(conn: &mut AnyConnection) -> Result<Option<(&'static str, i64)>, RowError> {
    for table in TABLES {
        let n = count(conn, table, "")?;
        if n > 0 {
            return Ok(Some((table, n)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> Shape {
        let column = |name: &str, kind| Column {
            name: name.into(),
            kind,
        };
        Shape {
            table: "t",
            columns: vec![
                column("id", Kind::Text),
                column("at", Kind::Timestamp),
                column("on", Kind::Bool),
                column("amount", Kind::Numeric),
                column("doc", Kind::Json),
            ],
            key: vec!["id".into()],
        }
    }

    #[test]
    fn both_backends_renderings_of_a_row_are_one_canonical_row() {
        let sqlite = serde_json::json!({"id": "a", "at": "2026-12-04 09:30:00.5", "on": 1,
            "amount": 4000.0, "doc": "{\"x\":1}"});
        let postgres = serde_json::json!({"id": "a", "at": "2026-12-04T09:30:00.5", "on": true,
            "amount": 4000.00, "doc": {"x": 1}});
        let from_sqlite = canonical_row(&shape(), sqlite.as_object().unwrap().clone()).unwrap();
        let from_postgres = canonical_row(&shape(), postgres.as_object().unwrap().clone()).unwrap();
        assert_eq!(from_sqlite, from_postgres);
        assert_eq!(from_sqlite["amount"], Value::String("4000".into()));
        assert_eq!(
            from_sqlite["at"],
            Value::String("2026-12-04T09:30:00.500".into())
        );
        let back = stored(DbKind::Sqlite, &shape(), &from_sqlite);
        assert_eq!(back["at"], Value::String("2026-12-04 09:30:00.500".into()));
        assert_eq!(back["on"], Value::from(1));
        assert_eq!(back["doc"], Value::String("{\"x\":1}".into()));
    }

    #[test]
    fn a_value_of_the_wrong_kind_or_an_unknown_column_names_the_column() {
        let bad = serde_json::json!({"id": "a", "at": "yesterday"});
        let err = canonical_row(&shape(), bad.as_object().unwrap().clone()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t: at: \"yesterday\" is not a date and time (2026-12-04T09:30:00)"
        );
        let extra = serde_json::json!({"id": "a", "owner": "b"});
        let err = canonical_row(&shape(), extra.as_object().unwrap().clone()).unwrap_err();
        assert_eq!(err.to_string(), "t: owner: no such column");
    }

    #[test]
    fn a_tally_sums_money_and_counts() {
        let mut tally = Tally::default();
        for amount in ["10.50", "4000", "0.5"] {
            let row = serde_json::json!({"id": "a", "amount": amount});
            let row = canonical_row(&shape(), row.as_object().unwrap().clone()).unwrap();
            tally.add(&shape(), &row);
        }
        assert_eq!(tally.rows, 3);
        assert_eq!(tally.sums["amount"], "4011");
    }
}
