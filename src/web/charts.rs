//! Accessible bar and line charts drawn on the server as inline SVG (the admin reports, a
//! learner's check-in patterns). Hand-written rather than with
//! `plotters`: a horizontal bar chart is a few dozen lines of markup, needs no extra crates or
//! fonts, and lets us put `<title>`/`<desc>` and `role="img"` exactly where screen readers look.
//! Colours come from `currentColor`, so a chart follows the page's light or dark text colour.
//! Every chart has a data table beside it on the page (the chart itself is decoration for
//! sighted readers; the table is the record).

use std::fmt::Write as _;

/// One bar: its label, the value drawn (`None`: hidden by small-cell suppression, no bar is
/// drawn so its length cannot give the number away) and the value written beside it.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: Option<i64>,
    pub shown: String,
}

/// What a chart says about itself, for its `<title>`, `<desc>` and axis labels.
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    /// Unique within the page (used for `aria-labelledby`).
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    /// The category axis (vertical): what each bar is.
    pub categories: &'a str,
    /// The value axis (horizontal): what the lengths count.
    pub values: &'a str,
}

const WIDTH: i64 = 640;
const LABEL_W: i64 = 220;
const BAR_W: i64 = 330;
const ROW_H: i64 = 26;
const TOP: i64 = 28;
const AXIS_H: i64 = 44;
const LABEL_CHARS: usize = 30;

/// `text` safe inside SVG/XML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A long label shortened for the chart (the table beside it has the whole text).
fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_owned()
    } else {
        let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
        format!("{cut}…")
    }
}

/// The `<svg>` element's opening, `<title>` and `<desc>` (named by `aria-labelledby`, so a
/// screen reader announces the chart), and the heading over the axis named `axis`.
fn opening(labels: &Labels<'_>, height: i64, axis: &str) -> String {
    let id = escape(labels.id);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" \
         viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" style=\"max-width:{WIDTH}px\" \
         aria-labelledby=\"{id}-title {id}-desc\" font-family=\"inherit\" font-size=\"13\" \
         fill=\"currentColor\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>\
         <text x=\"0\" y=\"16\" font-weight=\"bold\">{}</text>",
        escape(labels.title),
        escape(labels.desc),
        escape(axis),
    );
    svg
}

/// A horizontal bar chart of `bars` as one `<svg>` element.
pub fn bar_chart(labels: Labels<'_>, bars: &[Bar]) -> String {
    let rows = i64::try_from(bars.len()).unwrap_or(0).max(1);
    let height = TOP + rows * ROW_H + AXIS_H;
    let max = bars.iter().filter_map(|b| b.value).max().unwrap_or(0).max(1);
    let mut svg = opening(&labels, height, labels.categories);
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + i64::try_from(i).unwrap_or(0) * ROW_H;
        let length = bar.value.map_or(0, |v| v.max(0) * BAR_W / max);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LABEL_W - 8,
            y + 17,
            escape(&short(&bar.label)),
        );
        if length > 0 {
            let _ = write!(
                svg,
                "<rect x=\"{LABEL_W}\" y=\"{}\" width=\"{length}\" height=\"{}\" \
                 fill-opacity=\"0.6\"/>",
                y + 4,
                ROW_H - 8,
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            LABEL_W + length + 6,
            y + 17,
            escape(&bar.shown),
        );
    }
    let axis_y = TOP + rows * ROW_H;
    let _ = write!(
        svg,
        "<line x1=\"{LABEL_W}\" y1=\"{TOP}\" x2=\"{LABEL_W}\" y2=\"{axis_y}\" stroke=\"currentColor\"/>\
         <line x1=\"{LABEL_W}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\" stroke=\"currentColor\"/>\
         <text x=\"{LABEL_W}\" y=\"{}\" text-anchor=\"middle\">0</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{max}</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></svg>",
        LABEL_W + BAR_W,
        axis_y + 16,
        LABEL_W + BAR_W,
        axis_y + 16,
        LABEL_W + BAR_W / 2,
        axis_y + 36,
        escape(labels.values),
    );
    svg
}

/// A line chart's vertical scale: its range and what the ends are called on the axis.
#[derive(Debug, Clone, Copy)]
pub struct Scale<'a> {
    pub min: u8,
    pub max: u8,
    /// Written beside the lowest value, e.g. "1 Very low".
    pub min_label: &'a str,
    /// Written beside the highest value.
    pub max_label: &'a str,
}

const LINE_LEFT: i64 = 110;
const LINE_W: i64 = 500;
const LINE_H: i64 = 160;

/// A line chart of one value per day, oldest first, with `None` days left as gaps (the line
/// breaks; nothing is drawn as zero). `first` and `last` label the time axis.
pub fn line_chart(
    labels: Labels<'_>,
    scale: Scale<'_>,
    points: &[Option<u8>],
    (first, last): (&str, &str),
) -> String {
    let height = TOP + LINE_H + AXIS_H;
    let mut svg = opening(&labels, height, labels.values);
    let x_of = |i: usize| {
        let steps = i64::try_from(points.len().saturating_sub(1)).unwrap_or(0).max(1);
        LINE_LEFT + i64::try_from(i).unwrap_or(0) * LINE_W / steps
    };
    let span = i64::from(scale.max.saturating_sub(scale.min)).max(1);
    let y_of = |v: u8| TOP + LINE_H - (i64::from(v.saturating_sub(scale.min)) * LINE_H / span);
    let _ = write!(
        svg,
        "<path d=\"{}\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\"/>",
        path(points, x_of, y_of)
    );
    for (i, value) in points.iter().enumerate() {
        if let Some(v) = value {
            let _ = write!(svg, "<circle cx=\"{}\" cy=\"{}\" r=\"3\"/>", x_of(i), y_of(*v));
        }
    }
    let (bottom, right) = (TOP + LINE_H, LINE_LEFT + LINE_W);
    let _ = write!(
        svg,
        "<line x1=\"{LINE_LEFT}\" y1=\"{TOP}\" x2=\"{LINE_LEFT}\" y2=\"{bottom}\" stroke=\"currentColor\"/>\
         <line x1=\"{LINE_LEFT}\" y1=\"{bottom}\" x2=\"{right}\" y2=\"{bottom}\" stroke=\"currentColor\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
         <text x=\"{LINE_LEFT}\" y=\"{}\" text-anchor=\"start\">{}</text>\
         <text x=\"{right}\" y=\"{}\" text-anchor=\"end\">{}</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></svg>",
        LINE_LEFT - 6,
        bottom + 4,
        escape(scale.min_label),
        LINE_LEFT - 6,
        TOP + 4,
        escape(scale.max_label),
        bottom + 16,
        escape(first),
        bottom + 16,
        escape(last),
        LINE_LEFT + LINE_W / 2,
        bottom + 36,
        escape(labels.categories),
    );
    svg
}

/// The SVG path through the known points, starting a new segment after each gap.
fn path(points: &[Option<u8>], x_of: impl Fn(usize) -> i64, y_of: impl Fn(u8) -> i64) -> String {
    let mut d = String::new();
    let mut drawing = false;
    for (i, value) in points.iter().enumerate() {
        match value {
            Some(v) => {
                let _ = write!(d, "{}{} {} ", if drawing { "L" } else { "M" }, x_of(i), y_of(*v));
                drawing = true;
            }
            None => drawing = false,
        }
    }
    d.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels<'static> {
        Labels { id: "f", title: "Funnel", desc: "d", categories: "Stage", values: "Learners" }
    }

    #[test]
    fn a_chart_has_title_desc_axes_and_escaped_labels() {
        let bars = [
            Bar { label: "<script>alert(1)</script>".into(), value: Some(10), shown: "10".into() },
            Bar { label: "Quiet".into(), value: None, shown: "fewer than 5".into() },
        ];
        let svg = bar_chart(labels(), &bars);
        assert!(svg.contains("<title id=\"f-title\">Funnel</title>"));
        assert!(svg.contains("<desc id=\"f-desc\">d</desc>"));
        assert!(svg.contains(">Stage<") && svg.contains(">Learners<"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        // The hidden count draws no bar: one rect only.
        assert_eq!(svg.matches("<rect").count(), 1);
    }

    #[test]
    fn a_line_chart_breaks_at_gaps_and_escapes_its_words() {
        let scale = Scale { min: 1, max: 5, min_label: "1 <low>", max_label: "5 Good" };
        let points = [Some(1), Some(5), None, Some(3), None];
        let svg = line_chart(labels(), scale, &points, ("1 Dec", "5 Dec"));
        assert!(svg.contains("d=\"M110 188 L235 28 M485 108\""), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("1 &lt;low&gt;") && svg.contains(">5 Dec<"));
        assert!(svg.contains("role=\"img\"") && svg.contains("<title id=\"f-title\">"));
    }

    #[test]
    fn long_labels_are_shortened_on_the_chart() {
        assert_eq!(short("short"), "short");
        assert_eq!(short(&"x".repeat(40)).chars().count(), LABEL_CHARS);
    }
}
