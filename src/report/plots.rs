//! The report's charts as inline SVG, drawn with plotters' SVG backend (text is left to
//! the browser: no font files are read). Each function returns one `<svg>` element
//! without the `xmlns` attribute, which inline SVG in HTML does not need.

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figures::Histogram;
use crate::error::Error;

const SIZE: (u32, u32) = (640, 300);
const FONT: &str = "sans-serif";
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

/// Draws one chart of `size` on a white SVG and returns the `<svg>` element.
fn with_svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), Error>,
) -> Result<String, Error> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        draw(&root)?;
        root.present().map_err(failed)?;
    }
    Ok(svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1))
}

/// The frame every chart shares: title, margins, room for the axis labels.
fn frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    y_label_width: u32,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, (FONT, 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(y_label_width);
    builder
}

/// The page's axis style on a chart's mesh: no light grid lines, the page's fonts.
fn page_style<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.light_line_style(TRANSPARENT)
        .axis_desc_style((FONT, 14))
        .label_style((FONT, 12))
}

/// The legend of a chart with labelled series, in the page's style.
fn draw_legend<'a, 'svg: 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'svg>, CT>,
) -> Result<(), Error> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 12))
        .draw()
        .map_err(failed)
}

/// A histogram over the bins of `histogram` (its axis spans `low..high`, a corpus's
/// published MOS range when it has one).
pub fn histogram(
    title: &str,
    x_desc: &str,
    histogram: &Histogram,
    colour_index: usize,
) -> Result<String, Error> {
    with_svg(SIZE, |root| {
        let top = histogram.counts.iter().copied().max().unwrap_or(0).max(1);
        let mut chart = frame(root, title, 56)
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

/// Several histograms on one axis, as lines of the share of each corpus's clips per bin.
pub fn overlaid(
    title: &str,
    x_desc: &str,
    series: &[(String, &Histogram)],
) -> Result<String, Error> {
    with_svg(SIZE, |root| {
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
        let mut chart = frame(root, title, 56)
            .build_cartesian_2d(low..high, 0.0..top * 1.15)
            .map_err(failed)?;
        page_style(chart.configure_mesh().disable_x_mesh())
            .x_desc(x_desc)
            .y_desc("% of the corpus's clips")
            .draw()
            .map_err(failed)?;
        for (i, ((name, _), points)) in series.iter().zip(&shares).enumerate() {
            let style = colour(i).stroke_width(2);
            chart
                .draw_series(LineSeries::new(points.iter().copied(), style))
                .map_err(failed)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour(i).stroke_width(2))
                });
        }
        draw_legend(&mut chart)
    })
}

/// Horizontal bars, one per category, largest first from the top; each bar carries its
/// name and count.
pub fn bars(title: &str, x_desc: &str, counts: &[(String, u64)]) -> Result<String, Error> {
    let rows = counts.len().max(1);
    let height = 90 + 26 * rows as u32;
    with_svg((SIZE.0, height), |root| {
        let top = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
        let mut chart = frame(root, title, 8)
            .build_cartesian_2d(0.0..top * 1.1, 0.0..rows as f64)
            .map_err(failed)?;
        page_style(chart.configure_mesh().disable_y_mesh().disable_y_axis())
            .x_labels((top as usize + 1).min(10))
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
        let label = TextStyle::from((FONT, 12).into_font())
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

/// Mean MOS per picture height, one point per height, one colour per corpus.
pub fn mos_by_height(
    title: &str,
    y_desc: &str,
    series: &[(String, Vec<(u64, f64)>)],
    y_range: (f64, f64),
) -> Result<String, Error> {
    with_svg(SIZE, |root| {
        let tallest = series
            .iter()
            .flat_map(|(_, points)| points.iter().map(|(h, _)| *h))
            .max()
            .unwrap_or(1)
            .max(1);
        let mut chart = frame(root, title, 56)
            .build_cartesian_2d(0u64..tallest + tallest / 10 + 1, y_range.0..y_range.1)
            .map_err(failed)?;
        page_style(&mut chart.configure_mesh())
            .x_desc("picture height (pixels)")
            .y_desc(y_desc)
            .draw()
            .map_err(failed)?;
        for (i, (name, points)) in series.iter().enumerate() {
            chart
                .draw_series(
                    points
                        .iter()
                        .map(move |(h, mos)| Circle::new((*h, *mos), 4, colour(i).filled())),
                )
                .map_err(failed)?
                .label(name.as_str())
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, colour(i).filled()));
        }
        draw_legend(&mut chart)
    })
}
