//! Server-rendered SVG charts: the geometry is computed here, the templates only draw it, so a
//! chart is readable without JavaScript (every point and bar also carries its number as text).

/// Width of every chart in SVG units (it scales to the card).
pub const WIDTH: f64 = 640.0;
const LINE_HEIGHT: f64 = 220.0;
const PAD_LEFT: f64 = 52.0;
const PAD_RIGHT: f64 = 12.0;
const PAD_TOP: f64 = 12.0;
const PAD_BOTTOM: f64 = 28.0;
const BAR_HEIGHT: f64 = 18.0;
const BAR_GAP: f64 = 8.0;
const BAR_LABEL: f64 = 180.0;
const BAR_VALUE: f64 = 110.0;

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

/// A line chart of percentages over labelled buckets. Values are fractions (0.1 = 10 %).
pub fn line_chart(labels: &[String], series: Vec<(String, &'static str, Vec<Option<f64>>)>) -> LineChart {
    let max = series
        .iter()
        .flat_map(|(_, _, values)| values.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    // A round top: the next whole percent step above the largest value (at least 1 %).
    let step = if max > 0.2 {
        0.1
    } else if max > 0.05 {
        0.05
    } else {
        0.01
    };
    let top = ((max / step).ceil().max(1.0)) * step;
    let plot_w = WIDTH - PAD_LEFT - PAD_RIGHT;
    let plot_h = LINE_HEIGHT - PAD_TOP - PAD_BOTTOM;
    let count = labels.len().max(1);
    let x_at = |i: usize| {
        if count == 1 {
            PAD_LEFT + plot_w / 2.0
        } else {
            PAD_LEFT + plot_w * i as f64 / (count - 1) as f64
        }
    };
    let y_at = |v: f64| PAD_TOP + plot_h * (1.0 - v / top);
    let every = count.div_ceil(8).max(1);
    let x_labels = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || *i == count - 1)
        .map(|(i, text)| Label {
            x: n(x_at(i)),
            y: n(LINE_HEIGHT - 8.0),
            text: text.get(5..).unwrap_or(text).to_string(),
        })
        .collect();
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
        .map(|(name, color, values)| {
            let mut points = Vec::new();
            let mut dots = Vec::new();
            for (i, value) in values.iter().enumerate() {
                if let Some(v) = value {
                    points.push(format!("{},{}", n(x_at(i)), n(y_at(*v))));
                    dots.push(Dot {
                        x: n(x_at(i)),
                        y: n(y_at(*v)),
                        title: format!(
                            "{} {}: {:.2}%",
                            labels.get(i).map(String::as_str).unwrap_or(""),
                            name,
                            v * 100.0
                        ),
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
        width: n(WIDTH),
        height: n(LINE_HEIGHT),
        series,
        x_labels,
        y_labels,
        grid,
        x0: n(PAD_LEFT),
        x1: n(WIDTH - PAD_RIGHT),
        baseline: n(y_at(0.0)),
    }
}

/// One bar with its label and value written beside it.
pub struct Bar {
    pub label: String,
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

/// Horizontal bars for `(label, value, value as text)`, longest first as given.
pub fn bar_chart(rows: &[(String, f64, String)]) -> BarChart {
    let max = rows.iter().fold(0.0f64, |a, (_, v, _)| a.max(*v));
    let span = WIDTH - BAR_LABEL - BAR_VALUE;
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, (label, value, text))| {
            let y = i as f64 * (BAR_HEIGHT + BAR_GAP);
            let width = if max > 0.0 { (value / max * span).max(1.0) } else { 1.0 };
            Bar {
                label: label.chars().take(14).collect(),
                value: text.clone(),
                y: n(y),
                text_y: n(y + BAR_HEIGHT - 4.0),
                width: n(width),
            }
        })
        .collect();
    BarChart {
        width: n(WIDTH),
        height: n((rows.len().max(1) as f64) * (BAR_HEIGHT + BAR_GAP)),
        bar_x: n(BAR_LABEL),
        bar_height: n(BAR_HEIGHT),
        value_x: n(WIDTH - BAR_VALUE + 6.0),
        label_x: n(BAR_LABEL - 8.0),
        bars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trend_puts_the_largest_value_under_a_round_top() {
        let chart = line_chart(
            &["2025-03-01".into(), "2025-03-02".into()],
            vec![("r".into(), "#000", vec![Some(0.0), Some(0.04)])],
        );
        assert_eq!(chart.series[0].dots.len(), 2);
        // 4 % under a top of 4 %: the second point is at the top of the plot.
        assert_eq!(chart.series[0].dots[1].y, "12.0");
        assert_eq!(chart.y_labels.last().map(|l| l.text.as_str()), Some("4%"));
    }

    #[test]
    fn the_longest_bar_fills_the_span() {
        let chart = bar_chart(&[("a".into(), 2.0, "2".into()), ("b".into(), 1.0, "1".into())]);
        assert_eq!(chart.bars[0].width, n(WIDTH - BAR_LABEL - BAR_VALUE));
        assert_eq!(chart.bars[1].width, n((WIDTH - BAR_LABEL - BAR_VALUE) / 2.0));
    }
}
