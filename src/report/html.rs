//! The report page: one self-contained HTML file (inline CSS and SVG; no script, font,
//! image or link to anything outside it), readable on a laptop screen and printable.
//! Every chart has the numbers it was drawn from in a collapsible table below it, a note
//! when categories were summed, and a link that saves it as its own SVG file.

use std::fmt::Write as _;

use super::figures::{
    CorpusFigures, Coverage, DamageFigures, Figures, Histogram, Overlap, Totals, UnifiedHistogram,
};
use super::plots;
use crate::error::Error;
use crate::files::human_size;

const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1360px; padding: 16px 24px; color: #1b1b1b; }
h1 { font-size: 1.6em; margin: 0.2em 0; }
h2 { font-size: 1.25em; border-bottom: 2px solid #0072b2; padding-bottom: 4px; margin-top: 1.6em; }
.lede { color: #555; margin: 0 0 1em 0; }
table { border-collapse: collapse; font-size: 0.9em; margin: 6px 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 12px 20px; }
figure { margin: 0; }
figure svg { width: 100%; height: auto; min-width: 560px; max-width: 640px; }
figcaption { color: #555; font-size: 0.9em; }
a.svg { font-size: 0.85em; color: #0072b2; margin-right: 0.8em; }
details { margin: 2px 0 8px 0; font-size: 0.9em; }
summary { cursor: pointer; color: #0072b2; }
.note { color: #555; font-size: 0.9em; }
@media print { .grid { display: block; } figure { break-inside: avoid; } details, a.svg { display: none; } body { max-width: none; } }
";

/// The whole page.
pub fn page(figures: &Figures, generated_at: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(256 << 10);
    let t = &figures.totals;
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>moscorpus report: {}</title><style>{STYLE}</style></head><body>",
        escape(&t.corpora.join(", "))
    );
    let _ = writeln!(
        out,
        "<h1>moscorpus report</h1><p class=\"lede\">{} · generated {}</p>",
        escape(&t.corpora.join(", ")),
        escape(generated_at)
    );
    totals_table(&mut out, &figures.totals);
    if !figures.unified.is_empty() {
        unified_section(&mut out, &figures.unified)?;
    }
    for (i, corpus) in figures.corpora.iter().enumerate() {
        corpus_section(&mut out, i, corpus)?;
    }
    if let Some(coverage) = &figures.coverage {
        coverage_section(&mut out, coverage)?;
    }
    if let Some(damage) = &figures.damage {
        damage_section(&mut out, damage)?;
    }
    overlap_section(&mut out, &figures.overlap);
    out.push_str("\n</body></html>\n");
    Ok(out)
}

/// The table of totals under the title.
fn totals_table(out: &mut String, t: &Totals) {
    out.push_str("<table>");
    let ingested = t
        .ingested
        .as_ref()
        .map(|(a, b)| {
            if a == b {
                a.clone()
            } else {
                format!("{a} to {b}")
            }
        })
        .unwrap_or_else(|| "unknown".into());
    let inputs: Vec<String> = t.inputs.iter().map(|p| p.display().to_string()).collect();
    for (name, value) in [
        ("shards", inputs.join(", ")),
        ("corpora", t.corpora.join(", ")),
        ("rows", t.rows.to_string()),
        ("distinct clips (SHA-256)", t.clips.to_string()),
        (
            "clip bytes",
            format!("{} ({} bytes)", human_size(t.bytes), t.bytes),
        ),
        ("total duration", hours(t.duration_s)),
        ("ingested", ingested),
        ("corpus versions", t.versions.join(", ")),
        ("torn lines skipped", t.torn_lines.to_string()),
    ] {
        let _ = write!(
            out,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(name),
            escape(&value)
        );
    }
    out.push_str("</table>\n");
}

/// Every corpus's MOS histogram on the 0–100 axis, overlaid.
fn unified_section(out: &mut String, unified: &[UnifiedHistogram]) -> Result<(), Error> {
    out.push_str("<h2>MOS on the unified 0–100 axis</h2><p class=\"note\">Each corpus's MOS mapped to 0–100 with the scale table `aggregate` uses; lines are the share of the corpus's clips per bin, so corpora of different sizes compare.</p><div class=\"grid\">");
    let series: Vec<(String, &Histogram)> = unified
        .iter()
        .map(|u| (u.corpus.clone(), &u.histogram))
        .collect();
    let svg = plots::overlaid("MOS, unified 0–100", "MOS (0–100)", &series)?;
    figure(out, &svg, &histogram_table(&series), None);
    out.push_str("</div>\n");
    Ok(())
}

/// How many label rows have a row, and why the others failed.
fn coverage_section(out: &mut String, coverage: &Coverage) -> Result<(), Error> {
    out.push_str("<h2>Coverage of the labels, and failures</h2>\n");
    let files: Vec<String> = coverage
        .label_files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let _ = writeln!(
        out,
        "<p class=\"note\">Label files: {}.</p><table><tr><th>label rows</th><td class=\"n\">{}</td></tr>\
         <tr><th>with a row</th><td class=\"n\">{} ({:.1} %)</td></tr>\
         <tr><th>failed (recorded in a state file)</th><td class=\"n\">{}</td></tr>\
         <tr><th>no row, nothing recorded (not on disk, broken, or not ingested yet)</th><td class=\"n\">{}</td></tr></table>",
        escape(&files.join(", ")),
        coverage.label_rows,
        coverage.with_row,
        100.0 * coverage.with_row as f64 / coverage.label_rows.max(1) as f64,
        coverage.failed_by_kind.iter().map(|(_, n)| n).sum::<u64>(),
        coverage.missing
    );
    if !coverage.failed_by_kind.is_empty() {
        out.push_str("<div class=\"grid\">");
        let svg = plots::bars("Failures by kind", "label rows", &coverage.failed_by_kind)?;
        let note = others_note(&coverage.failed_by_kind);
        figure(
            out,
            &svg,
            &count_table("kind", &coverage.failed_by_kind),
            note,
        );
        out.push_str("</div>");
        out.push_str("<p class=\"note\">Most frequent reasons:</p>");
        out.push_str(&count_table("reason", &coverage.top_reasons));
    }
    Ok(())
}

/// Bytes held by more than one row (the first 200 in the page, all in the JSON).
fn overlap_section(out: &mut String, overlap: &[Overlap]) {
    out.push_str("<h2>Clips in more than one row</h2>\n");
    if overlap.is_empty() {
        out.push_str("<p>None: every row holds different bytes.</p>\n");
    } else {
        let across = overlap.iter().filter(|o| o.across_corpora).count();
        let _ = write!(
            out,
            "<p class=\"note\">{} clip contents appear in more than one row; {across} of them in more than one corpus. \
             Bytes shared between a training and a test corpus leak between them.</p>\
             <table><tr><th>SHA-256</th><th>rows (corpus:src)</th><th>across corpora</th></tr>",
            overlap.len()
        );
        for o in overlap.iter().take(200) {
            let _ = write!(
                out,
                "<tr><td><code>{}…</code></td><td>{}</td><td>{}</td></tr>",
                escape(o.sha256.get(..16).unwrap_or(&o.sha256)),
                escape(&o.rows.join(", ")),
                if o.across_corpora { "yes" } else { "no" }
            );
        }
        out.push_str("</table>");
        if overlap.len() > 200 {
            let _ = write!(
                out,
                "<p class=\"note\">… and {} more (all in <code>--json</code>).</p>",
                overlap.len() - 200
            );
        }
    }
}

fn corpus_section(out: &mut String, i: usize, c: &CorpusFigures) -> Result<(), Error> {
    let scale = c
        .scale
        .as_ref()
        .map(|(low, high, name)| format!("{name}, published range {low}–{high}"))
        .unwrap_or_else(|| "not in the scale table".into());
    let _ = writeln!(
        out,
        "<h2>{}</h2><p class=\"note\">{} rows · {} · {} · versions {} · MOS scale {} · MOS {:.3}–{:.3}, mean {:.3}</p><div class=\"grid\">",
        escape(&c.corpus),
        c.rows,
        escape(&human_size(c.bytes)),
        escape(&hours(c.duration_s)),
        escape(&c.versions.join(", ")),
        escape(&scale),
        c.mos_min,
        c.mos_max,
        c.mos_mean
    );
    let named = [(c.corpus.clone(), &c.mos)];
    let x_desc = if c.scale.is_some() {
        "MOS (native scale; the axis spans its published range)"
    } else {
        "MOS (native scale)"
    };
    let svg = plots::histogram(&format!("{}: MOS", c.corpus), x_desc, &c.mos, i)?;
    figure(out, &svg, &histogram_table(&named), None);
    height_figure(out, c)?;
    let durations = [(c.corpus.clone(), &c.duration)];
    let svg = plots::histogram(
        &format!("{}: duration", c.corpus),
        "duration (s)",
        &c.duration,
        i,
    )?;
    figure(out, &svg, &histogram_table(&durations), None);
    for (what, counts) in [
        ("codec", &c.codecs),
        ("pixel format", &c.pix_fmts),
        ("frame rate (fps)", &c.framerates),
        ("resolution", &c.resolutions),
    ] {
        let svg = plots::bars(&format!("{}: {what}", c.corpus), "clips", counts)?;
        figure(out, &svg, &count_table(what, counts), others_note(counts));
    }
    out.push_str("</div>\n");
    Ok(())
}

/// Mean MOS by picture height: every height of the corpus, with its rows.
fn height_figure(out: &mut String, c: &CorpusFigures) -> Result<(), Error> {
    let (low, high) = c
        .scale
        .as_ref()
        .map_or((c.mos_min, c.mos_max), |(l, h, _)| (*l, *h));
    let points = vec![(
        c.corpus.clone(),
        c.mos_by_height
            .iter()
            .map(|h| (h.height, h.mos_mean))
            .collect::<Vec<_>>(),
    )];
    let svg = plots::mos_by_height(
        &format!("{}: mean MOS by resolution", c.corpus),
        "mean MOS",
        &points,
        (low, if high > low { high } else { low + 1.0 }),
    )?;
    let mut table = String::from(
        "<table><tr><th class=\"n\">height</th><th class=\"n\">rows</th><th class=\"n\">mean MOS</th></tr>",
    );
    for h in &c.mos_by_height {
        let _ = write!(
            table,
            "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.3}</td></tr>",
            h.height, h.rows, h.mos_mean
        );
    }
    table.push_str("</table>");
    let note = format!(
        "Every picture height of the {} rows: {} heights.",
        c.rows,
        c.mos_by_height.len()
    );
    figure(out, &svg, &table, Some(note));
    Ok(())
}

/// One chart: its SVG, a note when there is one, a link saving the SVG as a file
/// (`<slug>.svg`, from its title) and its numbers. The figure's id is the slug.
fn figure(out: &mut String, svg: &str, numbers: &str, note: Option<String>) {
    let slug = slug(title_of(svg).unwrap_or("figure"));
    let caption = note
        .map(|note| format!("<figcaption>{}</figcaption>", escape(&note)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<figure id=\"{slug}\">{svg}{caption}<a class=\"svg\" download=\"{slug}.svg\" \
         href=\"data:image/svg+xml;charset=utf-8,{}\">Save as SVG</a>\
         <details><summary>Numbers</summary>{numbers}</details></figure>",
        percent_encoded(&standalone(svg))
    );
}

/// The note under a bar chart whose last bar sums the less frequent values.
fn others_note(counts: &[(String, u64)]) -> Option<String> {
    let (name, summed) = counts.last()?;
    let values: usize = name
        .strip_prefix(super::figures::OTHERS_PREFIX)?
        .strip_suffix(" values")?
        .parse()
        .ok()?;
    let shown = counts.len() - 1;
    Some(format!(
        "The {shown} most frequent of {} values; the other {values} (together {summed}) are \
         summed in the last bar, so every one is counted.",
        shown + values
    ))
}

/// A figure's SVG as a file of its own: with the SVG namespace.
pub fn standalone(svg: &str) -> String {
    svg.replacen("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" ", 1)
}

/// The text of an SVG's `<title>`.
fn title_of(svg: &str) -> Option<&str> {
    let start = svg.find("<title>")? + "<title>".len();
    let end = start + svg[start..].find("</title>")?;
    Some(&svg[start..end])
}

/// A file name from a title: lowercase letters and digits, runs of anything else as `-`.
fn slug(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

/// `text` for a `data:` URL: bytes other than unreserved ASCII as `%XX`.
fn percent_encoded(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() + text.len() / 4);
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~=;,/()'!*+".contains(&byte) {
            encoded.push(byte as char);
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// Every figure of `page` as (slug, standalone SVG), in page order (`report --figures`).
pub fn figures_of(page: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = page;
    while let Some(at) = rest.find("<figure id=\"") {
        rest = &rest[at + "<figure id=\"".len()..];
        let Some(slug_end) = rest.find('"') else {
            break;
        };
        let slug = rest[..slug_end].to_string();
        let (Some(start), Some(end)) = (rest.find("<svg "), rest.find("</svg>")) else {
            break;
        };
        found.push((slug, standalone(&rest[start..end + "</svg>".len()])));
        rest = &rest[end..];
    }
    found
}

fn histogram_table(series: &[(String, &Histogram)]) -> String {
    let mut table = String::from("<table><tr><th>bin</th>");
    for (name, _) in series {
        let _ = write!(table, "<th class=\"n\">{}</th>", escape(name));
    }
    table.push_str("</tr>");
    if let Some((_, first)) = series.first() {
        for i in 0..first.counts.len() {
            let (low, high) = first.edges(i);
            let _ = write!(table, "<tr><td>{low:.3}–{high:.3}</td>");
            for (_, h) in series {
                let _ = write!(table, "<td class=\"n\">{}</td>", h.counts[i]);
            }
            table.push_str("</tr>");
        }
    }
    table.push_str("</table>");
    table
}

/// The damaged clips (#23): counts by verdict, frames lost, the worst clips by name.
fn damage_section(out: &mut String, damage: &DamageFigures) -> Result<(), Error> {
    out.push_str("<h2>Damaged clips</h2>\n");
    let files: Vec<String> = damage
        .audit_files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let damaged: u64 = damage
        .by_verdict
        .iter()
        .filter(|(verdict, _)| verdict != "ok")
        .map(|(_, n)| n)
        .sum();
    let _ = writeln!(
        out,
        "<p class=\"note\">The last verdict on each clip in {}: {} clips checked, {damaged} damaged \
         ({} of them with a row, written by <code>--keep-damaged</code>), {} frames lost.</p>",
        escape(&files.join(", ")),
        damage.checked,
        damage.damaged_with_row,
        damage.frames_lost
    );
    out.push_str("<div class=\"grid\">");
    let svg = plots::bars("Clips by verdict", "clips", &damage.by_verdict)?;
    figure(
        out,
        &svg,
        &count_table("verdict", &damage.by_verdict),
        others_note(&damage.by_verdict),
    );
    out.push_str("</div>");
    if damage.worst.is_empty() {
        out.push_str("<p>No damaged clip.</p>\n");
        return Ok(());
    }
    out.push_str(
        "<table><tr><th>clip</th><th>verdict</th><th class=\"n\">frames lost</th>\
         <th>row</th><th>first problem</th></tr>",
    );
    for clip in &damage.worst {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&clip.src),
            escape(&clip.verdict),
            clip.frames_lost,
            if clip.has_row { "kept" } else { "none" },
            escape(&clip.problem)
        );
    }
    out.push_str("</table>\n");
    if damaged as usize > damage.worst.len() {
        let _ = writeln!(
            out,
            "<p class=\"note\">The {} with most frames lost of {damaged}; all in the audit files.</p>",
            damage.worst.len()
        );
    }
    Ok(())
}

fn count_table(what: &str, counts: &[(String, u64)]) -> String {
    let mut table = format!(
        "<table><tr><th>{}</th><th class=\"n\">count</th></tr>",
        escape(what)
    );
    for (name, n) in counts {
        let _ = write!(
            table,
            "<tr><td>{}</td><td class=\"n\">{n}</td></tr>",
            escape(name)
        );
    }
    table.push_str("</table>");
    table
}

fn hours(seconds: f64) -> String {
    if seconds >= 3600.0 {
        format!("{:.1} h of video", seconds / 3600.0)
    } else {
        format!("{:.1} min of video", seconds / 60.0)
    }
}

/// Text for HTML: `& < > "` escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}
