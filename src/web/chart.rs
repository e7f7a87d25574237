//! Charts as server-rendered SVG, drawn by Askama templates
//! (`templates/charts/`): a chart is a few rectangles and labels whose
//! geometry is computed here in whole units of a fixed `viewBox`, so the
//! markup stays small (a few KB), scales to any width, and needs no script
//! and no `style` attribute (colours come from classes, so the CSP holds).
//! Each chart has `role="img"`, a `<title>` and a `<desc>`, and the page puts
//! the same numbers in a table beside it for screen readers and no-CSS.
//!
//! Askama over a plotting crate: plotters' SVG backend writes inline `style`
//! and font attributes per element and would need a post-pass to be CSP-safe;
//! these charts are bars, which a template draws in a dozen lines.

use askama::Template;
use chrono::NaiveDateTime;

use crate::domain::plan::PaceSeries;

/// Width of every chart's `viewBox`.
pub const WIDTH: i64 = 640;

/// One row of a `PairBars`: a planned amount and the part of it done.
#[derive(Debug, Clone, PartialEq)]
pub struct PairRow {
    pub label: String,
    /// The class that colours the done bar (a category's `cat-…`).
    pub class: String,
    pub planned: i64,
    pub done: i64,
    /// The figure written after the bar ("4 h of 6 h").
    pub value: String,
}

/// A bar per row: the planned amount as a light bar, what was done over it.
#[derive(Template, Debug, Clone)]
#[template(path = "charts/pair_bars.html")]
pub struct PairBars {
    pub id: String,
    pub title: String,
    pub desc: String,
    pub rows: Vec<PairRow>,
}

/// Geometry of one `PairBars` row.
pub struct PairGeometry<'a> {
    pub row: &'a PairRow,
    pub y: i64,
    pub planned_w: i64,
    pub done_w: i64,
}

const LABEL_W: i64 = 160;
const VALUE_W: i64 = 170;
/// Tall enough for the labels' larger type on a phone.
const ROW_H: i64 = 36;

impl PairBars {
    pub fn height(&self) -> i64 {
        (self.rows.len() as i64 * ROW_H).max(ROW_H)
    }
    pub fn bar_x(&self) -> i64 {
        LABEL_W
    }
    pub fn value_x(&self) -> i64 {
        WIDTH - VALUE_W + 8
    }
    pub fn rows(&self) -> Vec<PairGeometry<'_>> {
        let max = self
            .rows
            .iter()
            .map(|r| r.planned.max(r.done))
            .max()
            .unwrap_or(0)
            .max(1);
        let span = WIDTH - LABEL_W - VALUE_W;
        self.rows
            .iter()
            .enumerate()
            .map(|(i, row)| PairGeometry {
                row,
                y: i as i64 * ROW_H,
                planned_w: row.planned * span / max,
                done_w: row.done * span / max,
            })
            .collect()
    }
}

/// One segment of a stacked column.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub class: String,
    pub label: String,
    pub amount: i64,
}

/// One column: its label, total in words and segments bottom-up.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub label: String,
    pub total: String,
    pub segments: Vec<Segment>,
    /// An amount drawn as an outline behind the stack (hours planned), if any.
    pub planned: Option<i64>,
}

/// Stacked columns (e.g. hours done per day, by category).
#[derive(Template, Debug, Clone)]
#[template(path = "charts/columns.html")]
pub struct Columns {
    pub id: String,
    pub title: String,
    pub desc: String,
    pub columns: Vec<Column>,
}

pub struct ColumnGeometry<'a> {
    pub column: &'a Column,
    pub x: i64,
    pub w: i64,
    /// Centre of the column, for its labels.
    pub mid: i64,
    /// Top of the stack, for the total above it.
    pub top: i64,
    pub rects: Vec<(&'a Segment, i64, i64)>,
    /// The outline behind the stack: (y, height).
    pub planned: Option<(i64, i64)>,
}

const PLOT_H: i64 = 200;
const TOP: i64 = 30;

impl Columns {
    pub fn height(&self) -> i64 {
        TOP + PLOT_H + 36
    }
    pub fn base(&self) -> i64 {
        TOP + PLOT_H
    }
    pub fn label_y(&self) -> i64 {
        TOP + PLOT_H + 26
    }
    pub fn columns(&self) -> Vec<ColumnGeometry<'_>> {
        let sum = |c: &Column| c.segments.iter().map(|s| s.amount).sum::<i64>();
        let max = self
            .columns
            .iter()
            .map(|c| sum(c).max(c.planned.unwrap_or(0)))
            .max()
            .unwrap_or(0)
            .max(1);
        let n = self.columns.len().max(1) as i64;
        let slot = WIDTH / n;
        let w = (slot * 3 / 5).max(8);
        self.columns
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let x = i as i64 * slot + (slot - w) / 2;
                let mut y = TOP + PLOT_H;
                let rects = column
                    .segments
                    .iter()
                    .filter(|s| s.amount > 0)
                    .map(|s| {
                        let h = (s.amount * PLOT_H / max).max(1);
                        y -= h;
                        (s, y, h)
                    })
                    .collect();
                let planned = column.planned.filter(|p| *p > 0).map(|p| {
                    let h = (p * PLOT_H / max).max(1);
                    (TOP + PLOT_H - h, h)
                });
                let top = planned.map_or(y, |(py, _)| py.min(y));
                ColumnGeometry {
                    column,
                    x,
                    w,
                    mid: x + w / 2,
                    top: top - 6,
                    rects,
                    planned,
                }
            })
            .collect()
    }
}

/// A goal's pace: its count over the period as a line, and the line it
/// would follow at an even pace (dashed), from zero at the period's start (or
/// the goal's creation) to the target at the period's end.
#[derive(Template, Debug, Clone)]
#[template(path = "charts/pace_line.html")]
pub struct PaceLine {
    pub id: String,
    pub title: String,
    pub desc: String,
    pub series: PaceSeries,
}

/// The pace chart's own `viewBox`: small, for a goal card.
pub const PACE_W: i64 = 320;
pub const PACE_H: i64 = 150;
const PACE_LEFT: i64 = 44;
const PACE_RIGHT: i64 = PACE_W - 10;
const PACE_TOP: i64 = 14;
const PACE_BASE: i64 = PACE_H - 30;

impl PaceLine {
    pub fn new(id: String, title: String, series: PaceSeries) -> PaceLine {
        let now = series.actual.last().map_or(series.from, |p| p.0);
        let count = series.actual.last().map_or(0, |p| p.1);
        let desc = format!(
            "From {} to {}: {} of {} done, {} expected by now at an even pace.",
            series.from.format("%b %-d"),
            (series.end - chrono::Duration::days(1)).format("%b %-d"),
            count,
            series.target,
            series.expected_at(now)
        );
        PaceLine {
            id,
            title,
            desc,
            series,
        }
    }
    /// The top of the scale: the target, or more when the count passed it.
    pub fn top(&self) -> i32 {
        let most = self.series.actual.iter().map(|p| p.1).max().unwrap_or(0);
        self.series.target.max(most).max(1)
    }
    fn x(&self, at: NaiveDateTime) -> i64 {
        let total = (self.series.end - self.series.from).num_seconds().max(1);
        let gone = (at - self.series.from).num_seconds().clamp(0, total);
        PACE_LEFT + gone * (PACE_RIGHT - PACE_LEFT) / total
    }
    fn y(&self, value: i32) -> i64 {
        PACE_BASE - i64::from(value) * (PACE_BASE - PACE_TOP) / i64::from(self.top())
    }
    /// The count as steps: flat until a change, then up or down.
    pub fn actual_points(&self) -> String {
        let mut points = Vec::new();
        let mut last: Option<i32> = None;
        for (at, value) in &self.series.actual {
            let x = self.x(*at);
            if let Some(before) = last.filter(|before| before != value) {
                points.push(format!("{x},{}", self.y(before)));
            }
            points.push(format!("{x},{}", self.y(*value)));
            last = Some(*value);
        }
        points.join(" ")
    }
    /// The expected line: (x1, y1, x2, y2).
    pub fn expected(&self) -> (i64, i64, i64, i64) {
        (
            self.x(self.series.expected_from),
            self.y(0),
            self.x(self.series.end),
            self.y(self.series.target),
        )
    }
    pub fn now_x(&self) -> i64 {
        self.series.actual.last().map_or(PACE_LEFT, |p| self.x(p.0))
    }
    pub fn geometry(&self) -> (i64, i64, i64, i64, i64) {
        (PACE_LEFT, PACE_RIGHT, PACE_TOP, PACE_BASE, PACE_H)
    }
    pub fn start_label(&self) -> String {
        self.series.from.format("%b %-d").to_string()
    }
    pub fn end_label(&self) -> String {
        (self.series.end - chrono::Duration::days(1))
            .format("%b %-d")
            .to_string()
    }
    /// For the table: each day the count changed (and the first and last),
    /// with the count at that day's last change and what was expected then;
    /// the last 14 of them.
    pub fn rows(&self) -> Vec<(String, i32, i32)> {
        let mut rows: Vec<(chrono::NaiveDate, NaiveDateTime, i32)> = Vec::new();
        for (at, value) in &self.series.actual {
            match rows.last_mut() {
                Some(row) if row.0 == at.date() => {
                    row.1 = *at;
                    row.2 = *value;
                }
                _ => rows.push((at.date(), *at, *value)),
            }
        }
        let skip = rows.len().saturating_sub(14);
        rows.into_iter()
            .skip(skip)
            .map(|(day, at, value)| {
                (
                    day.format("%a %b %-d").to_string(),
                    value,
                    self.series.expected_at(at),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_render_without_style_attributes() {
        let chart = PairBars {
            id: "c".into(),
            title: "Hours".into(),
            desc: "Planned and done".into(),
            rows: vec![
                PairRow {
                    label: "Code".into(),
                    class: "cat-code".into(),
                    planned: 360,
                    done: 180,
                    value: "3 h of 6 h".into(),
                },
                PairRow {
                    label: "Admin".into(),
                    class: "cat-admin".into(),
                    planned: 90,
                    done: 90,
                    value: "1 h 30 min".into(),
                },
            ],
        };
        let rows = chart.rows();
        let span = WIDTH - LABEL_W - VALUE_W;
        assert_eq!((rows[0].planned_w, rows[0].done_w), (span, span / 2));
        assert_eq!(rows[1].planned_w, span / 4);
        let svg = chart.render().unwrap();
        assert!(svg.contains("role=\"img\"") && svg.contains("<title") && svg.contains("<desc"));
        assert!(!svg.contains("style="), "{svg}");
        assert!(svg.len() < 4_000, "a few KB: {}", svg.len());
    }

    #[test]
    fn columns_stack_bottom_up() {
        let chart = Columns {
            id: "d".into(),
            title: "By day".into(),
            desc: "Done per day".into(),
            columns: vec![
                Column {
                    label: "Mon".into(),
                    total: "3 h".into(),
                    segments: vec![
                        Segment {
                            class: "cat-code".into(),
                            label: "Code".into(),
                            amount: 120,
                        },
                        Segment {
                            class: "cat-admin".into(),
                            label: "Admin".into(),
                            amount: 60,
                        },
                    ],
                    planned: Some(240),
                },
                Column {
                    label: "Tue".into(),
                    total: "0 h".into(),
                    segments: vec![],
                    planned: None,
                },
            ],
        };
        let cols = chart.columns();
        let (_, y0, h0) = cols[0].rects[0];
        let (_, y1, h1) = cols[0].rects[1];
        // Four hours planned is the scale: three done fill three quarters.
        assert_eq!(cols[0].planned, Some((chart.base() - PLOT_H, PLOT_H)));
        assert_eq!((h0, h1), (PLOT_H / 2, PLOT_H / 4));
        assert_eq!(y0 + h0, chart.base());
        assert_eq!(y1 + h1, y0);
        assert!(cols[1].rects.is_empty());
        assert!(!chart.render().unwrap().contains("style="));
    }
    #[test]
    fn a_pace_line_steps_with_the_count_and_the_expected_line_runs_to_the_target() {
        let d = |dd| chrono::NaiveDate::from_ymd_opt(2026, 12, dd).unwrap();
        let at = |dd, h| d(dd).and_hms_opt(h, 0, 0).unwrap();
        let series = PaceSeries::new(
            (d(7), d(13)),
            at(7, 0),
            4,
            2,
            &[(at(8, 12), 1), (at(10, 9), 1)],
            at(10, 12),
        )
        .unwrap();
        let chart = PaceLine::new("p".into(), "Pace".into(), series);
        assert_eq!(chart.top(), 4);
        // Monday 00:00 is the left edge, the next Monday's the right one.
        let (x1, y1, x2, y2) = chart.expected();
        assert_eq!(
            (x1, y1, x2, y2),
            (PACE_LEFT, PACE_BASE, PACE_RIGHT, PACE_TOP)
        );
        let points = chart.actual_points();
        assert_eq!(
            points.split(' ').count(),
            6,
            "start, two steps of two points, now"
        );
        assert_eq!(
            chart.rows(),
            [
                ("Mon Dec 7".to_string(), 0, 0),
                ("Tue Dec 8".to_string(), 1, 0),
                ("Thu Dec 10".to_string(), 2, 2)
            ]
        );
        assert_eq!(
            chart.desc,
            "From Dec 7 to Dec 13: 2 of 4 done, 2 expected by now at an even pace."
        );
        let svg = chart.render().unwrap();
        assert!(!svg.contains("style="));
        assert!(svg.len() < 3_000, "a few KB: {}", svg.len());
    }
}
