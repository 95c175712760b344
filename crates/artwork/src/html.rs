//! The HTML report of an evaluation run: per-defect scores, then every
//! image as each device shows it — its crop, its UI overlays shaded, the
//! text and faces found outlined, failing regions in red — with its labels,
//! verdicts and measured values, so an engineer sees why it failed.
//!
//! One `index.html` with a downscaled JPEG per image beside it; the crops
//! are SVG views of that one picture, so the report stays small.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use showrunner_vision::Rect;

use crate::eval::{score, ImageOutcome};
use crate::{ArtworkConfig, ArtworkError, Report};

/// Longest side of the pictures embedded in the report.
const PICTURE_SIDE: u32 = 640;

/// Height at which each device view is drawn, in CSS pixels.
const VIEW_HEIGHT: f32 = 180.0;

/// What the report is about.
pub struct RunSummary<'a> {
    /// Run number in the run store.
    pub run: i64,
    /// The dataset directory (where the images are read from).
    pub dataset: &'a Path,
    /// The configuration checked with.
    pub config: &'a ArtworkConfig,
}

/// Writes `<out>/index.html` and `<out>/img/*.jpg`; returns the page's path.
pub fn write_report(
    out: &Path,
    summary: &RunSummary,
    items: &[(ImageOutcome, Option<Report>)],
) -> Result<PathBuf, ArtworkError> {
    let img_dir = out.join("img");
    std::fs::create_dir_all(&img_dir).map_err(|e| ArtworkError::io(&img_dir, e))?;
    let mut page = String::new();
    head(&mut page, summary, items);
    for (outcome, report) in items {
        match report {
            Some(report) => {
                let picture = format!("img/{}.jpg", file_stem(&outcome.image));
                write_picture(&summary.dataset.join(&outcome.image), &out.join(&picture))?;
                image_section(&mut page, outcome, report, &picture, summary.config);
            }
            None => {
                let error = outcome.error.as_deref().unwrap_or("not checked");
                let _ = write!(
                    page,
                    "<section class=\"image error\"><h2>{}</h2><p>{}</p></section>",
                    escape(&outcome.image),
                    escape(error)
                );
            }
        }
    }
    page.push_str("</body></html>\n");
    let path = out.join("index.html");
    std::fs::write(&path, page).map_err(|e| ArtworkError::io(&path, e))?;
    Ok(path)
}

fn head(page: &mut String, summary: &RunSummary, items: &[(ImageOutcome, Option<Report>)]) {
    let outcomes: Vec<ImageOutcome> = items.iter().map(|(o, _)| o.clone()).collect();
    let _ = write!(
        page,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>artwork run {run}</title><style>{STYLE}</style></head><body>\
         <h1>Artwork run {run}</h1><p>dataset <code>{dataset}</code> · config <code>{version}</code> · {n} images · \
         <label><input type=\"checkbox\" id=\"wrong\"> only images with a wrong verdict</label></p>\
         <table><tr><th>defect</th><th>precision</th><th>recall</th><th>F1</th><th>TP</th><th>FP</th><th>FN</th><th>TN</th></tr>",
        run = summary.run,
        dataset = escape(&summary.dataset.display().to_string()),
        version = summary.config.version(),
        n = items.len(),
    );
    for (defect, s) in score(&outcomes) {
        let _ = write!(
            page,
            "<tr><td>{defect}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.precision(),
            s.recall(),
            s.f_beta(1.0),
            s.true_positives,
            s.false_positives,
            s.false_negatives,
            s.true_negatives
        );
    }
    page.push_str("</table>");
}

fn image_section(page: &mut String, outcome: &ImageOutcome, report: &Report, picture: &str, config: &ArtworkConfig) {
    let wrong = outcome.results.values().any(|(label, predicted, _)| label != predicted);
    let _ = write!(
        page,
        "<section class=\"image{}\"><h2>{} <small>{}×{} {} {} · {:.0} ms</small></h2><div class=\"views\">",
        if wrong { " wrong" } else { "" },
        escape(&outcome.image),
        report.width,
        report.height,
        escape(&report.kind),
        escape(&report.locale),
        report.elapsed_ms
    );
    let (w, h) = (report.width, report.height);
    let failing: Vec<(&str, Rect)> = report
        .verdicts
        .iter()
        .flat_map(|v| v.evidence.iter().filter(|e| e.failing).filter_map(|e| e.region.map(|r| (e.message.as_str(), r))))
        .collect();
    view(page, "whole image", Rect { x: 0.0, y: 0.0, w: w as f32, h: h as f32 }, &[], report, &failing, picture);
    for profile in config.profiles_for(&report.kind) {
        view(page, &profile.name, profile.crop(w, h), &profile.overlays(w, h), report, &failing, picture);
    }
    page.push_str("</div><table class=\"verdicts\"><tr><th>check</th><th>label</th><th>verdict</th><th>score</th><th>evidence</th></tr>");
    for v in &report.verdicts {
        let label = outcome.results.get(&v.check).map(|r| r.0);
        let mismatch = label.is_some_and(|l| l == v.pass);
        let label = match label {
            Some(true) => "defect",
            Some(false) => "clean",
            None => "",
        };
        let evidence: Vec<String> = v
            .evidence
            .iter()
            .map(|e| {
                let class = if e.failing { "fail" } else { "" };
                format!("<li class=\"{class}\">{}</li>", escape(&e.message))
            })
            .collect();
        let _ = write!(
            page,
            "<tr class=\"{}\"><td>{}</td><td>{label}</td><td>{}</td><td>{:.3}</td><td><ul>{}</ul></td></tr>",
            if mismatch { "mismatch" } else { "" },
            v.check,
            if v.pass { "pass" } else { "<b>FAIL</b>" },
            v.score,
            evidence.join("")
        );
    }
    page.push_str("</table></section>");
}

/// One device's view: the picture cut to `crop`, overlays shaded, text and
/// faces outlined, failing regions in red with their reason on hover.
fn view(
    page: &mut String,
    name: &str,
    crop: Rect,
    overlays: &[(&str, Rect)],
    report: &Report,
    failing: &[(&str, Rect)],
    picture: &str,
) {
    let width = VIEW_HEIGHT * crop.w / crop.h.max(1.0);
    let stroke = (crop.h / VIEW_HEIGHT * 1.5).max(1.0);
    let _ = write!(
        page,
        "<figure><svg width=\"{width:.0}\" height=\"{VIEW_HEIGHT}\" viewBox=\"{:.1} {:.1} {:.1} {:.1}\">\
         <image href=\"{picture}\" x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\"/>",
        crop.x, crop.y, crop.w, crop.h, report.width, report.height
    );
    let rect = |page: &mut String, r: &Rect, class: &str, title: &str| {
        let _ = write!(
            page,
            "<rect class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" stroke-width=\"{stroke:.1}\"><title>{}</title></rect>",
            r.x,
            r.y,
            r.w,
            r.h,
            escape(title)
        );
    };
    for (what, r) in overlays {
        rect(page, r, "overlay", what);
    }
    for line in &report.lines {
        rect(page, &line.rect, "text", &format!("{:?} (read with {:.2})", line.text, line.confidence));
    }
    for d in report.detections.iter().filter(|d| d.label.starts_with("FACE_")) {
        rect(page, &d.rect, "face", &format!("{} {:.2}", d.label, d.score));
    }
    for (why, r) in failing {
        rect(page, r, "failing", why);
    }
    let _ = write!(page, "</svg><figcaption>{}</figcaption></figure>", escape(name));
}

fn write_picture(source: &Path, target: &Path) -> Result<(), ArtworkError> {
    let picture = image::open(source).map_err(|e| ArtworkError::invalid(source.display(), e.to_string()))?;
    let picture = picture.resize(PICTURE_SIDE, PICTURE_SIDE, image::imageops::FilterType::Triangle).to_rgb8();
    picture.save(target).map_err(|e| ArtworkError::invalid(target.display(), e.to_string()))
}

fn file_stem(image: &str) -> String {
    image.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// Text made safe for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1.5em;background:#fafafa;color:#222}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}\
section.image{background:#fff;border:1px solid #ddd;margin:1em 0;padding:.5em 1em}\
body:has(#wrong:checked) section.image:not(.wrong){display:none}\
.views{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-size:12px;color:#555}\
svg{background:#000;display:block}rect{fill:none}rect.overlay{fill:rgba(0,0,0,.55);stroke:none}\
rect.text{stroke:#3af}rect.face{stroke:#fd0}rect.failing{stroke:#f22;fill:rgba(255,0,0,.12)}\
tr.mismatch{background:#fee}li.fail{color:#c00}ul{margin:0;padding-left:1.2em}h2 small{color:#777;font-weight:normal}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(escape("<b>\"Tom & Jerry's\"</b>"), "&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;");
        assert_eq!(file_stem("poster 01.png"), "poster_01_png");
    }
}
