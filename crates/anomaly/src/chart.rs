//! An alarm's chart as SVG: the observed series, the expected value and
//! its band (± 3 standard deviations), and the anomaly window shaded —
//! because an operator would rather look than read.
//!
//! Plain SVG 1.1 with no script and no external resources, so it can be
//! opened from a file, embedded in a page or attached to a ticket.

use std::fmt::Write as _;

use crate::pipeline::{Chart, ChartPoint};

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 40.0;

/// Renders `chart` with the anomaly window `[window_start_ms, window_end_ms]`
/// shaded, under `title`.
pub fn render_svg(chart: &Chart, window_start_ms: i64, window_end_ms: i64, title: &str) -> String {
    let points = &chart.points;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">"#
    );
    let _ = write!(svg, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = write!(svg, r##"<text x="10" y="18" font-size="13" fill="#222">{}</text>"##, escape(&clip(title, 100)));
    let legend = format!(
        "{} on {}: observed (blue), expected (dashed) with its ±3σ band (grey), anomaly window (red)",
        chart.metric, chart.element
    );
    let _ = write!(svg, r##"<text x="10" y="32" fill="#555">{}</text>"##, escape(&clip(&legend, 120)));
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        let _ = write!(svg, r##"<text x="{LEFT}" y="{}" fill="#555">no data</text></svg>"##, HEIGHT / 2.0);
        return svg;
    };
    let (t0, t1) = (first.time_ms, last.time_ms.max(first.time_ms + 60_000));
    let (lo, hi) = value_range(points);
    let x = |t: i64| LEFT + (t - t0) as f64 / (t1 - t0) as f64 * (WIDTH - LEFT - RIGHT);
    let y = |v: f64| TOP + (hi - v) / (hi - lo) * (HEIGHT - TOP - BOTTOM);
    // The anomaly window.
    let (w0, w1) = (x(window_start_ms.clamp(t0, t1)), x(window_end_ms.clamp(t0, t1)));
    let _ = write!(
        svg,
        r##"<rect class="window" x="{w0:.1}" y="{TOP}" width="{:.1}" height="{:.1}" fill="#f6c1c1" opacity="0.6"/>"##,
        (w1 - w0).max(1.0),
        HEIGHT - TOP - BOTTOM
    );
    // Axes, with five value ticks and up to six time ticks.
    for k in 0..=4 {
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{yv:.1}" y2="{yv:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y(v) + 4.0,
            tick(v, hi - lo),
            yv = y(v)
        );
    }
    let step = ((t1 - t0) / 6).max(60_000).div_euclid(60_000) * 60_000;
    let mut t = t0;
    while t <= t1 {
        let label = chrono::DateTime::from_timestamp_millis(t).map_or(String::new(), |d| d.format("%H:%M").to_string());
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#555">{label}</text>"##,
            x(t),
            HEIGHT - BOTTOM + 16.0
        );
        t += step;
    }
    let date = chrono::DateTime::from_timestamp_millis(t0).map_or(String::new(), |d| d.format("%Y-%m-%d").to_string());
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555">{date} UTC</text>"##,
        WIDTH - RIGHT,
        HEIGHT - 6.0
    );
    // The band, as one polygon per run of points with a forecast.
    for run in runs(points, |p| p.expected.is_finite() && p.sd.is_finite()) {
        let upper = run.iter().map(|p| format!("{:.1},{:.1}", x(p.time_ms), y(p.expected + 3.0 * p.sd)));
        let lower =
            run.iter().rev().map(|p| format!("{:.1},{:.1}", x(p.time_ms), y((p.expected - 3.0 * p.sd).max(lo))));
        let all: Vec<String> = upper.chain(lower).collect();
        let _ = write!(svg, r##"<polygon class="band" points="{}" fill="#d9d9d9" opacity="0.7"/>"##, all.join(" "));
        let line: Vec<String> = run.iter().map(|p| format!("{:.1},{:.1}", x(p.time_ms), y(p.expected))).collect();
        let _ = write!(
            svg,
            r##"<polyline class="expected" points="{}" fill="none" stroke="#666" stroke-dasharray="4 3"/>"##,
            line.join(" ")
        );
    }
    for run in runs(points, |p| p.observed.is_some_and(f64::is_finite)) {
        let line: Vec<String> =
            run.iter().map(|p| format!("{:.1},{:.1}", x(p.time_ms), y(p.observed.unwrap_or(f64::NAN)))).collect();
        let _ = write!(
            svg,
            r##"<polyline class="observed" points="{}" fill="none" stroke="#1f5fbf" stroke-width="1.8"/>"##,
            line.join(" ")
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// The value axis: from zero (or the lowest value, if negative) to a
/// little above the highest value or band edge.
fn value_range(points: &[ChartPoint]) -> (f64, f64) {
    let values = points
        .iter()
        .flat_map(|p| [p.observed.unwrap_or(f64::NAN), p.expected + 3.0 * p.sd, p.expected - 3.0 * p.sd].into_iter());
    let (min, max) = values.filter(|v| v.is_finite()).fold((0.0f64, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let max = if max > min { max } else { min + 1.0 };
    (min, max + 0.05 * (max - min))
}

/// Maximal runs of consecutive points that satisfy `keep`.
fn runs(points: &[ChartPoint], keep: impl Fn(&ChartPoint) -> bool) -> Vec<&[ChartPoint]> {
    points.split(|p| !keep(p)).filter(|r| !r.is_empty()).collect()
}

/// A tick label with as many decimals as the axis span needs.
fn tick(v: f64, span: f64) -> String {
    let decimals = if span >= 100.0 { 0 } else { (2.0 - span.log10().floor()).clamp(0.0, 6.0) as usize };
    format!("{v:.decimals$}")
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max - 1).chain(std::iter::once('…')).collect()
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart {
        let points = (0..60)
            .map(|m| {
                let observed = if (30..40).contains(&m) { 0.024 } else { 0.004 };
                ChartPoint {
                    time_ms: 1_794_000_000_000 + m * 60_000,
                    observed: if m == 10 { None } else { Some(observed) },
                    expected: 0.004,
                    sd: 0.0005,
                }
            })
            .collect();
        Chart { element: "cdn=B&country=DE".into(), metric: "rebuffering_ratio".into(), points }
    }

    fn attr(svg: &str, class: &str, name: &str) -> Vec<String> {
        svg.split(&format!(r#"class="{class}""#))
            .skip(1)
            .map(|rest| {
                let start = rest.find(&format!(r#"{name}=""#)).unwrap() + name.len() + 2;
                rest[start..start + rest[start..].find('"').unwrap()].to_string()
            })
            .collect()
    }

    #[test]
    fn the_window_the_band_and_the_series_are_drawn_where_they_belong() {
        let c = chart();
        let t0 = c.points[0].time_ms;
        let svg = render_svg(&c, t0 + 30 * 60_000, t0 + 39 * 60_000, "alarm 7 <major>");
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("alarm 7 &lt;major&gt;") && svg.contains("cdn=B&amp;country=DE"));
        let long = render_svg(&c, t0, t0, &"x".repeat(300));
        assert!(long.contains(&format!("{}…</text>", "x".repeat(99))));
        // The window starts half-way along the time axis (59 minutes wide).
        let x: f64 = attr(&svg, "window", "x")[0].parse().unwrap();
        let expect = LEFT + 30.0 / 59.0 * (WIDTH - LEFT - RIGHT);
        assert!((x - expect).abs() < 0.2, "{x} vs {expect}");
        // The missing point splits the observed line in two: 10 and 49 points.
        let lines = attr(&svg, "observed", "points");
        assert_eq!(lines.iter().map(|l| l.split(' ').count()).collect::<Vec<_>>(), [10, 49]);
        // The incident's points sit above the band's top edge (smaller y).
        let y_of = |pair: &str| pair.split(',').nth(1).unwrap().parse::<f64>().unwrap();
        let band = &attr(&svg, "band", "points")[0];
        let top_edge = y_of(band.split(' ').nth(35).unwrap());
        let incident = y_of(lines[1].split(' ').nth(35 - 11).unwrap());
        assert!(incident < top_edge - 50.0, "{incident} {top_edge}");
    }

    #[test]
    fn an_empty_chart_says_so() {
        let c = Chart { element: "total".into(), metric: "attempts".into(), points: vec![] };
        assert!(render_svg(&c, 0, 0, "t").contains("no data</text></svg>"));
    }
}
