//! Server-rendered SVG charts: the geometry is computed here, the templates only draw it, so a
//! chart is readable without JavaScript (every point and bar also carries its number as text).
//! A chart is drawn at its own width in SVG units, which are pixels: the page shrinks it to a
//! narrower card but never stretches it, so its text stays at its size.

use super::rates::Rate;

/// Width of the trend chart (a full-width card).
pub const LINE_WIDTH: f64 = 1200.0;
/// Width of a bar chart in a full-width card.
pub const WIDE: f64 = 1200.0;
/// Width of a bar chart in half a row.
pub const HALF: f64 = 560.0;
const LINE_HEIGHT: f64 = 240.0;
const PAD_LEFT: f64 = 52.0;
const PAD_RIGHT: f64 = 24.0;
const PAD_TOP: f64 = 12.0;
const PAD_BOTTOM: f64 = 28.0;
/// The x-axis labels' font size, and the width one character of them takes at most.
const X_LABEL_CHAR: f64 = 7.0;
/// Space kept between two x-axis labels.
const X_LABEL_GAP: f64 = 16.0;
const BAR_HEIGHT: f64 = 18.0;
const BAR_GAP: f64 = 8.0;
/// Room for a bar's label on the left; its value on the right takes what its longest text
/// needs, at least [`BAR_VALUE_MIN`].
const BAR_LABEL: f64 = 150.0;
const BAR_VALUE_MIN: f64 = 60.0;
/// Space between a text and what it sits next to.
const TEXT_PAD: f64 = 8.0;

/// The width a text of the charts' 12-unit font takes at most: a Latin letter or digit about
/// 7 units, a Chinese character (or any other wide one) 12.
pub fn text_width(text: &str) -> f64 {
    text.chars().map(|c| if c.is_ascii() { 7.0 } else { 12.0 }).sum()
}

/// `text` cut (with `…`) to fit `room` units.
fn fit(text: &str, room: f64) -> String {
    if text_width(text) <= room {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = text_width("…");
    for c in text.chars() {
        used += text_width(c.encode_utf8(&mut [0; 4]));
        if used > room {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// A text placed on a chart.
pub struct Label {
    pub x: String,
    pub y: String,
    pub text: String,
}

/// A point of a series with its value as a tooltip.
pub struct Dot {
    pub x: String,
    pub y: String,
    pub title: String,
    /// Drawn hollow: its denominator is a small sample ([`Rate::is_small`]).
    pub hollow: bool,
}

/// One line.
pub struct Series {
    pub name: String,
    /// An SVG colour (a presentation attribute, not a style).
    pub color: &'static str,
    pub points: String,
    pub dots: Vec<Dot>,
}

/// A trend chart.
pub struct LineChart {
    pub width: String,
    pub height: String,
    pub series: Vec<Series>,
    pub x_labels: Vec<Label>,
    pub y_labels: Vec<Label>,
    /// Horizontal grid lines' y.
    pub grid: Vec<String>,
    pub x0: String,
    pub x1: String,
    pub baseline: String,
}

fn n(v: f64) -> String {
    format!("{v:.1}")
}

/// Which of `count` evenly spaced x-axis labels, `step` apart and each at most `width` wide,
/// are drawn so that none overlaps the next: every n-th from the first, and the last only when
/// it keeps its distance from the one before.
pub fn thinned_labels(count: usize, step: f64, width: f64) -> Vec<usize> {
    if count == 0 {
        return Vec::new();
    }
    let every = if step > 0.0 {
        ((width + X_LABEL_GAP) / step).ceil().max(1.0) as usize
    } else {
        count
    };
    let mut shown: Vec<usize> = (0..count).step_by(every).collect();
    let last = count - 1;
    if shown.last() != Some(&last) {
        let before = shown.last().copied().unwrap_or(0);
        if (last - before) as f64 * step >= width + X_LABEL_GAP {
            shown.push(last);
        }
    }
    shown
}

/// A line chart of rates over labelled buckets (`2025-03-01`; shown without the year). A point
/// whose denominator is a small sample is drawn hollow.
pub fn line_chart(labels: &[String], series: Vec<(String, &'static str, Vec<Option<Rate>>)>) -> LineChart {
    let max = series
        .iter()
        .flat_map(|(_, _, rates)| rates.iter().flatten().filter_map(|r| r.value))
        .fold(0.0f64, f64::max);
    // A round top: the next whole percent step above the largest value (at least 1 %).
    let step = if max > 0.2 {
        0.1
    } else if max > 0.05 {
        0.05
    } else {
        0.01
    };
    let top = ((max / step).ceil().max(1.0)) * step;
    let plot_w = LINE_WIDTH - PAD_LEFT - PAD_RIGHT;
    let plot_h = LINE_HEIGHT - PAD_TOP - PAD_BOTTOM;
    let count = labels.len().max(1);
    let x_at = |i: usize| {
        if count == 1 {
            PAD_LEFT + plot_w / 2.0
        } else {
            PAD_LEFT + plot_w * i as f64 / (count - 1) as f64
        }
    };
    let short = |text: &String| text.get(5..).unwrap_or(text).to_string();
    let widest = labels.iter().map(|l| short(l).chars().count()).max().unwrap_or(0) as f64 * X_LABEL_CHAR;
    let spacing = if count > 1 { plot_w / (count - 1) as f64 } else { plot_w };
    let x_labels = thinned_labels(labels.len(), spacing, widest)
        .into_iter()
        .map(|i| Label {
            x: n(x_at(i)),
            y: n(LINE_HEIGHT - 8.0),
            text: short(&labels[i]),
        })
        .collect();
    let y_at = |v: f64| PAD_TOP + plot_h * (1.0 - v / top);
    let ticks = 4;
    let y_labels = (0..=ticks)
        .map(|k| {
            let v = top * k as f64 / ticks as f64;
            Label {
                x: n(PAD_LEFT - 6.0),
                y: n(y_at(v) + 4.0),
                text: format!("{:.0}%", v * 100.0),
            }
        })
        .collect();
    let grid = (1..=ticks).map(|k| n(y_at(top * k as f64 / ticks as f64))).collect();
    let series = series
        .into_iter()
        .map(|(name, color, rates)| {
            let mut points = Vec::new();
            let mut dots = Vec::new();
            for (i, rate) in rates.iter().enumerate() {
                if let Some(rate) = rate
                    && let Some(v) = rate.value
                {
                    points.push(format!("{},{}", n(x_at(i)), n(y_at(v))));
                    dots.push(Dot {
                        x: n(x_at(i)),
                        y: n(y_at(v)),
                        title: format!(
                            "{} {}: {:.2}% ({})",
                            labels.get(i).map(String::as_str).unwrap_or(""),
                            name,
                            v * 100.0,
                            rate.fraction()
                        ),
                        hollow: rate.is_small(),
                    });
                }
            }
            Series {
                name,
                color,
                points: points.join(" "),
                dots,
            }
        })
        .collect();
    LineChart {
        width: n(LINE_WIDTH),
        height: n(LINE_HEIGHT),
        series,
        x_labels,
        y_labels,
        grid,
        x0: n(PAD_LEFT),
        x1: n(LINE_WIDTH - PAD_RIGHT),
        baseline: n(y_at(0.0)),
    }
}

/// One bar with its label and value written beside it.
pub struct Bar {
    pub label: String,
    /// The label uncut (the tooltip).
    pub full_label: String,
    pub value: String,
    pub y: String,
    pub text_y: String,
    pub width: String,
}

/// A horizontal bar chart.
pub struct BarChart {
    pub width: String,
    pub height: String,
    pub bar_x: String,
    pub bar_height: String,
    pub value_x: String,
    pub label_x: String,
    pub bars: Vec<Bar>,
}

/// Horizontal bars `width` wide for `(label, value, value as text)`, in the order given: the
/// values' texts get the room the longest needs, the bars the rest; a label longer than its
/// room is cut, its whole text in the bar's tooltip.
pub fn bar_chart(width: f64, rows: &[(String, f64, String)]) -> BarChart {
    let max = rows.iter().fold(0.0f64, |a, (_, v, _)| a.max(*v));
    let value_room = rows
        .iter()
        .map(|(_, _, text)| text_width(text) + 2.0 * TEXT_PAD)
        .fold(BAR_VALUE_MIN, f64::max);
    let span = (width - BAR_LABEL - value_room).max(width / 4.0);
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, (label, value, text))| {
            let y = i as f64 * (BAR_HEIGHT + BAR_GAP);
            let bar = if max > 0.0 { (value / max * span).max(1.0) } else { 1.0 };
            Bar {
                label: fit(label, BAR_LABEL - 2.0 * TEXT_PAD),
                full_label: label.clone(),
                value: text.clone(),
                y: n(y),
                text_y: n(y + BAR_HEIGHT - 4.0),
                width: n(bar),
            }
        })
        .collect();
    BarChart {
        width: n(width),
        height: n((rows.len().max(1) as f64) * (BAR_HEIGHT + BAR_GAP)),
        bar_x: n(BAR_LABEL),
        bar_height: n(BAR_HEIGHT),
        value_x: n(BAR_LABEL + span + TEXT_PAD),
        label_x: n(BAR_LABEL - TEXT_PAD),
        bars,
    }
}

#[cfg(test)]
mod tests {
    use super::super::rates::Basis;
    use super::*;

    fn rate(n: i64, d: i64) -> Option<Rate> {
        Some(Rate::new(n, d, Basis::PaymentDate))
    }

    #[test]
    fn a_trend_puts_the_largest_value_under_a_round_top() {
        let chart = line_chart(
            &["2025-03-01".into(), "2025-03-02".into()],
            vec![("r".into(), "#000", vec![rate(0, 50), rate(2, 50)])],
        );
        assert_eq!(chart.series[0].dots.len(), 2);
        // 4 % under a top of 4 %: the second point is at the top of the plot.
        assert_eq!(chart.series[0].dots[1].y, "12.0");
        assert_eq!(chart.y_labels.last().map(|l| l.text.as_str()), Some("4%"));
        assert!(!chart.series[0].dots[1].hollow, "50 orders are not a small sample");
    }

    #[test]
    fn a_point_over_a_small_denominator_is_hollow_and_says_its_parts() {
        let chart = line_chart(&["2025-03-01".into()], vec![("r".into(), "#000", vec![rate(1, 2)])]);
        let dot = &chart.series[0].dots[0];
        assert!(dot.hollow);
        assert!(dot.title.ends_with("50.00% (1 / 2)"), "{}", dot.title);
    }

    #[test]
    fn x_labels_never_come_closer_than_their_width() {
        for count in 1..120 {
            let labels: Vec<String> = (0..count)
                .map(|i| format!("2025-{:02}-{:02}", 1 + i / 28, 1 + i % 28))
                .collect();
            let chart = line_chart(&labels, vec![("r".into(), "#000", vec![rate(1, 30); count])]);
            let xs: Vec<f64> = chart.x_labels.iter().map(|l| l.x.parse().expect("x")).collect();
            assert!(!xs.is_empty());
            for pair in xs.windows(2) {
                assert!(
                    pair[1] - pair[0] >= 5.0 * X_LABEL_CHAR + X_LABEL_GAP - 0.1,
                    "{count}: {xs:?}"
                );
            }
        }
        assert_eq!(thinned_labels(5, 100.0, 35.0), vec![0, 1, 2, 3, 4]);
        // Every third of 8; the last is 1 step from the 7th (index 6): left out.
        assert_eq!(thinned_labels(8, 20.0, 35.0), vec![0, 3, 6]);
        assert_eq!(thinned_labels(0, 20.0, 35.0), Vec::<usize>::new());
    }

    #[test]
    fn the_longest_bar_fills_the_span_its_value_fits_and_long_labels_are_cut() {
        let chart = bar_chart(
            HALF,
            &[
                ("a".into(), 2.0, "2 · ¥1,000.00".into()),
                ("一个非常非常非常长的商品编码名称".into(), 1.0, "1".into()),
                ("BT-CHELSEA-BOOT".into(), 1.0, "1".into()),
            ],
        );
        let span = HALF - BAR_LABEL - (text_width("2 · ¥1,000.00") + 2.0 * TEXT_PAD);
        assert_eq!(chart.bars[0].width, n(span));
        assert_eq!(chart.bars[1].width, n(span / 2.0));
        let value_x: f64 = chart.value_x.parse().expect("x");
        assert!(
            value_x + text_width("2 · ¥1,000.00") <= HALF,
            "the value text ends inside the chart"
        );
        assert!(chart.bars[1].label.ends_with('…'));
        assert!(text_width(&chart.bars[1].label) <= BAR_LABEL - 2.0 * TEXT_PAD);
        assert_eq!(chart.bars[1].full_label, "一个非常非常非常长的商品编码名称");
        assert_eq!(
            chart.bars[2].label, "BT-CHELSEA-BOOT",
            "a Latin label of 15 letters fits"
        );
    }
}
