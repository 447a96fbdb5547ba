//! The report's charts as inline SVG, drawn with plotters' SVG backend (text is left to
//! the browser: no font files are read). Each function returns one `<svg>` element
//! without the `xmlns` attribute, which inline SVG in HTML does not need, with a
//! `<title>` and a `<desc>` saying what it shows for screen readers. Legends sit in a
//! band below the plot (`<g class="legend">`), never over a mark; text is at least
//! 14.5 px in a 640 px wide chart, so at least 12.7 px where the page shows it 560 px wide.

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figures::Histogram;
use crate::error::Error;

const SIZE: (u32, u32) = (640, 300);
const FONT: &str = "sans-serif";
/// Font sizes as plotters takes them: its SVG backend writes `font-size` as the size
/// divided by 1.24, so 18 is 14.5 px in the chart (12.7 px at 560 of its 640 px).
/// Tick labels and bar labels:
const TEXT_SIZE: u32 = 18;
/// Axis descriptions, and the title.
const DESC_SIZE: u32 = 19;
const TITLE_SIZE: u32 = 22;
/// The legend's text, written by hand: the `font-size` of the tick labels.
const LEGEND_PX: f64 = TEXT_SIZE as f64 / 1.24;
/// One line of the legend band below a plot.
const LEGEND_ROW_PX: u32 = 26;
/// Colour-blind-safe (Okabe–Ito) colours, one per corpus.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
];

pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn failed<E: std::fmt::Debug>(e: E) -> Error {
    Error::Other(format!("cannot draw a chart: {e:?}"))
}

/// Draws one chart of `size` on a white SVG and returns the `<svg>` element, with
/// `title` and `desc` as its `<title>` and `<desc>`.
fn with_svg(
    size: (u32, u32),
    title: &str,
    desc: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), Error>,
) -> Result<String, Error> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        draw(&root)?;
        root.present().map_err(failed)?;
    }
    let svg = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    let Some(open_end) = svg.find('>') else {
        return Err(failed("no <svg> element"));
    };
    Ok(format!(
        "<svg role=\"img\"{}><title>{}</title><desc>{}</desc>{}",
        &svg[4..open_end],
        escape(title),
        escape(desc),
        &svg[open_end + 1..]
    ))
}

/// Text for SVG: `&`, `<`, `>` and `"` escaped.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How a legend entry marks its series.
#[derive(Clone, Copy)]
enum Marker {
    Line,
    Dot,
}

/// The legend's entries laid out in rows that fit the chart's width: per row, each
/// entry's series index, name and x position.
fn legend_rows(names: &[&str]) -> Vec<Vec<(usize, String, u32)>> {
    let mut rows: Vec<Vec<(usize, String, u32)>> = vec![Vec::new()];
    let mut x = 16;
    for (i, name) in names.iter().enumerate() {
        // A generous width per character of 14.5 px sans-serif, so entries never touch.
        let width = 28 + (name.chars().count() as u32) * 9 + 20;
        if x + width > SIZE.0 - 12 && x > 16 {
            rows.push(Vec::new());
            x = 16;
        }
        if let Some(row) = rows.last_mut() {
            row.push((i, name.to_string(), x));
        }
        x += width;
    }
    rows
}

/// The legend band's height for `names`.
fn legend_height(names: &[&str]) -> u32 {
    legend_rows(names).len() as u32 * LEGEND_ROW_PX + 12
}

/// The legend as an SVG group in the band that starts at `top`, below the plot.
fn legend(names: &[&str], marker: Marker, top: u32) -> String {
    let rows = legend_rows(names);
    let height = rows.len() as u32 * LEGEND_ROW_PX + 4;
    let mut group = format!(
        "<g class=\"legend\"><rect class=\"legend-box\" x=\"8\" y=\"{top}\" width=\"{}\" \
         height=\"{height}\" fill=\"#ffffff\" stroke=\"#b3b3b3\"/>",
        SIZE.0 - 16
    );
    for (r, row) in rows.iter().enumerate() {
        let y = top + 2 + r as u32 * LEGEND_ROW_PX + LEGEND_ROW_PX / 2;
        for (i, name, x) in row {
            let RGBColor(red, green, blue) = colour(*i);
            let fill = format!("#{red:02x}{green:02x}{blue:02x}");
            match marker {
                Marker::Line => group.push_str(&format!(
                    "<line x1=\"{x}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{fill}\" stroke-width=\"2\"/>",
                    x + 20
                )),
                Marker::Dot => group.push_str(&format!(
                    "<circle cx=\"{}\" cy=\"{y}\" r=\"5\" fill=\"{fill}\"/>",
                    x + 10
                )),
            }
            group.push_str(&format!(
                "<text x=\"{}\" y=\"{y}\" dy=\"0.35em\" font-family=\"{FONT}\" \
                 font-size=\"{LEGEND_PX:.1}\">{}</text>",
                x + 28,
                escape(name)
            ));
        }
    }
    group.push_str("</g>");
    group
}

/// A chart of `SIZE` drawn by `draw` on the upper part of a taller SVG, with the legend
/// of `names` in the band below it.
fn with_legend_band(
    title: &str,
    desc: &str,
    names: &[&str],
    marker: Marker,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), Error>,
) -> Result<String, Error> {
    let size = (SIZE.0, SIZE.1 + legend_height(names));
    let svg = with_svg(size, title, desc, |root| {
        let (plot, _legend) = root.split_vertically(SIZE.1);
        draw(&plot)
    })?;
    let legend = legend(names, marker, SIZE.1);
    Ok(match svg.rfind("</svg>") {
        Some(end) => format!("{}{legend}{}", &svg[..end], &svg[end..]),
        None => svg,
    })
}

/// The frame every chart shares: title, margins, room for the axis labels.
fn frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    y_label_width: u32,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, (FONT, TITLE_SIZE))
        .margin(12)
        .margin_right(28)
        .x_label_area_size(44)
        .y_label_area_size(y_label_width);
    builder
}

/// The page's axis style on a chart's mesh: no light grid lines, the page's fonts.
fn page_style<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.light_line_style(TRANSPARENT)
        .axis_desc_style((FONT, DESC_SIZE))
        .label_style((FONT, TEXT_SIZE))
}

/// A histogram over the bins of `histogram` (its axis spans `low..high`, a corpus's
/// published MOS range when it has one).
pub fn histogram(
    title: &str,
    x_desc: &str,
    histogram: &Histogram,
    colour_index: usize,
) -> Result<String, Error> {
    let desc = format!(
        "Histogram of {x_desc}: {} clips in {} bins from {} to {}.",
        histogram.counts.iter().sum::<u64>(),
        histogram.counts.len(),
        histogram.low,
        histogram.high
    );
    with_svg(SIZE, title, &desc, |root| {
        let top = histogram.counts.iter().copied().max().unwrap_or(0).max(1);
        let mut chart = frame(root, title, 64)
            .build_cartesian_2d(histogram.low..histogram.high, 0u64..top + top / 10 + 1)
            .map_err(failed)?;
        page_style(chart.configure_mesh().disable_x_mesh())
            .x_desc(x_desc)
            .y_desc("clips")
            .draw()
            .map_err(failed)?;
        let fill = colour(colour_index).mix(0.75).filled();
        chart
            .draw_series(histogram.counts.iter().enumerate().map(|(i, &count)| {
                let (x0, x1) = histogram.edges(i);
                Rectangle::new([(x0, 0), (x1, count)], fill)
            }))
            .map_err(failed)?;
        Ok(())
    })
}

/// Several histograms on one axis, as lines of the share of each corpus's clips per
/// bin; the legend below the plot.
pub fn overlaid(
    title: &str,
    x_desc: &str,
    series: &[(String, &Histogram)],
) -> Result<String, Error> {
    let names: Vec<&str> = series.iter().map(|(name, _)| name.as_str()).collect();
    let desc = format!(
        "Share of each corpus's clips per bin of {x_desc}, one line per corpus: {}.",
        names.join(", ")
    );
    with_legend_band(title, &desc, &names, Marker::Line, |plot| {
        let shares: Vec<Vec<(f64, f64)>> = series
            .iter()
            .map(|(_, h)| {
                let total = h.counts.iter().sum::<u64>().max(1) as f64;
                (0..h.counts.len())
                    .map(|i| {
                        let (x0, x1) = h.edges(i);
                        ((x0 + x1) / 2.0, 100.0 * h.counts[i] as f64 / total)
                    })
                    .collect()
            })
            .collect();
        let top = shares.iter().flatten().map(|(_, y)| *y).fold(1.0, f64::max);
        let (low, high) = series
            .first()
            .map_or((0.0, 100.0), |(_, h)| (h.low, h.high));
        let mut chart = frame(plot, title, 64)
            .build_cartesian_2d(low..high, 0.0..top * 1.1)
            .map_err(failed)?;
        page_style(chart.configure_mesh().disable_x_mesh())
            .x_desc(x_desc)
            .y_desc("% of its clips")
            .draw()
            .map_err(failed)?;
        for (i, points) in shares.iter().enumerate() {
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour(i).stroke_width(2),
                ))
                .map_err(failed)?;
        }
        Ok(())
    })
}

/// Horizontal bars, one per category, largest first from the top; each bar carries its
/// name and count.
pub fn bars(title: &str, x_desc: &str, counts: &[(String, u64)]) -> Result<String, Error> {
    let rows = counts.len().max(1);
    let height = 96 + 30 * rows as u32;
    let listed: Vec<String> = counts
        .iter()
        .map(|(name, n)| format!("{name}: {n}"))
        .collect();
    let desc = format!(
        "Bars of {x_desc} per category, largest first: {}.",
        listed.join("; ")
    );
    with_svg((SIZE.0, height), title, &desc, |root| {
        let top = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
        let mut chart = frame(root, title, 8)
            .build_cartesian_2d(0.0..top * 1.1, 0.0..rows as f64)
            .map_err(failed)?;
        page_style(chart.configure_mesh().disable_y_mesh().disable_y_axis())
            .x_labels((top as usize + 1).min(8))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .x_desc(x_desc)
            .draw()
            .map_err(failed)?;
        // Largest first, from the top: row 0 of `counts` is drawn highest.
        let y_of = |i: usize| (rows - 1 - i) as f64;
        let fill = colour(0).mix(0.35).filled();
        chart
            .draw_series(counts.iter().enumerate().map(|(i, (_, count))| {
                let y = y_of(i);
                Rectangle::new([(0.0, y + 0.12), (*count as f64, y + 0.88)], fill)
            }))
            .map_err(failed)?;
        let label = TextStyle::from((FONT, TEXT_SIZE).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        chart
            .draw_series(counts.iter().enumerate().map(|(i, (name, count))| {
                Text::new(
                    format!("{name}  ({count})"),
                    (top * 0.01, y_of(i) + 0.5),
                    label.clone(),
                )
            }))
            .map_err(failed)?;
        Ok(())
    })
}

/// Mean MOS per picture height, one point per height, one colour per corpus; the
/// legend below the plot.
pub fn mos_by_height(
    title: &str,
    y_desc: &str,
    series: &[(String, Vec<(u64, f64)>)],
    y_range: (f64, f64),
) -> Result<String, Error> {
    let names: Vec<&str> = series.iter().map(|(name, _)| name.as_str()).collect();
    let points: usize = series.iter().map(|(_, p)| p.len()).sum();
    let desc = format!(
        "Scatter of {y_desc} per picture height: {points} heights, one colour per corpus: {}.",
        names.join(", ")
    );
    with_legend_band(title, &desc, &names, Marker::Dot, |plot| {
        let tallest = series
            .iter()
            .flat_map(|(_, points)| points.iter().map(|(h, _)| *h))
            .max()
            .unwrap_or(1)
            .max(1);
        let mut chart = frame(plot, title, 64)
            .build_cartesian_2d(0u64..tallest + tallest / 10 + 1, y_range.0..y_range.1)
            .map_err(failed)?;
        page_style(&mut chart.configure_mesh())
            .x_desc("picture height (pixels)")
            .y_desc(y_desc)
            .draw()
            .map_err(failed)?;
        for (i, (_, points)) in series.iter().enumerate() {
            chart
                .draw_series(
                    points
                        .iter()
                        .map(move |(h, mos)| Circle::new((*h, *mos), 4, colour(i).filled())),
                )
                .map_err(failed)?;
        }
        Ok(())
    })
}
