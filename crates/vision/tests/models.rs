//! The real models on real pictures: text rendered with a system font is
//! found where it was drawn and read back; NudeNet finds the face in
//! scikit-image's astronaut photograph and flags nothing on it.
//!
//! The models and photographs come from `scripts/fetch-models.sh` (run by
//! `make test`).

use std::path::PathBuf;

use ab_glyph::{FontVec, PxScale};
use image::{Rgb, RgbImage};
use showrunner_vision::ocr::DetectOptions;
use showrunner_vision::{NudeNet, Ocr};

fn cache(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache").join(dir)
}

fn font() -> FontVec {
    let bytes = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf").expect("fonts-dejavu-core");
    FontVec::try_from_vec(bytes).expect("a TrueType font")
}

/// Draws `text` in DejaVu Sans Bold with `px` glyphs, its top left at `at`.
fn write(image: &mut RgbImage, colour: Rgb<u8>, at: (i32, i32), px: f32, text: &str) {
    imageproc::drawing::draw_text_mut(image, colour, at.0, at.1, PxScale::from(px), &font(), text);
}

/// What OCR read, without spaces and in lower case (spacing and case are
/// not what these tests judge).
fn squashed(text: &str) -> String {
    text.replace(' ', "").to_lowercase()
}

#[test]
fn text_is_found_where_it_was_drawn_and_read() {
    let ocr = Ocr::load(&cache("models")).expect("make test fetches the models");
    let mut image = RgbImage::from_pixel(960, 540, Rgb([20, 30, 60]));
    write(&mut image, Rgb([250, 250, 250]), (100, 80), 64.0, "Midnight Harbour");
    write(&mut image, Rgb([250, 200, 40]), (520, 400), 40.0, "Coming Soon 2027");
    let lines = ocr.read(&image, &DetectOptions::default()).unwrap();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let title = &lines[0];
    assert_eq!(squashed(&title.text), "midnightharbour", "{title:?}");
    // Drawn at x = 100, y = 80 with 64 px glyphs (cap height ≈ 47 px).
    assert!((title.rect.x - 100.0).abs() < 15.0 && (title.rect.y - 90.0).abs() < 20.0, "{title:?}");
    assert!(title.rect.h > 40.0 && title.rect.h < 90.0, "{title:?}");
    assert!(title.confidence > 0.8, "{title:?}");
    assert_eq!(squashed(&lines[1].text), "comingsoon2027", "{:?}", lines[1]);
    assert!((lines[1].rect.x - 520.0).abs() < 15.0, "{:?}", lines[1]);
}

/// Faint green text on a bright green band (contrast about 1.6:1), small,
/// in a picture the detector sees scaled down: found and read.
#[test]
fn small_text_on_a_coloured_band_is_found() {
    let ocr = Ocr::load(&cache("models")).unwrap();
    let mut image = RgbImage::from_pixel(960, 540, Rgb([90, 70, 60]));
    imageproc::drawing::draw_filled_rect_mut(
        &mut image,
        imageproc::rect::Rect::at(500, 290).of_size(190, 30),
        Rgb([40, 230, 70]),
    );
    write(&mut image, Rgb([25, 180, 40]), (508, 296), 18.0, "Chemin et le Rivage");
    let options = DetectOptions { max_side: 800, ..DetectOptions::default() };
    let lines = ocr.read(&image, &options).unwrap();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(squashed(&lines[0].text), "cheminetlerivage", "{lines:?}");
    assert!((lines[0].rect.x - 508.0).abs() < 10.0 && (lines[0].rect.y - 296.0).abs() < 10.0, "{lines:?}");
}

#[test]
fn a_blank_picture_has_no_text() {
    let ocr = Ocr::load(&cache("models")).unwrap();
    let image = RgbImage::from_pixel(640, 360, Rgb([128, 128, 128]));
    assert!(ocr.read(&image, &DetectOptions::default()).unwrap().is_empty());
}

#[test]
fn nudenet_finds_the_astronauts_face_and_flags_nothing() {
    let model = NudeNet::load(&cache("models")).expect("make test fetches the models");
    let photo = image::open(cache("photos").join("astronaut.png")).expect("make test fetches the photos").to_rgb8();
    let found = model.detect(&photo).unwrap();
    let face = found.iter().find(|d| d.label.starts_with("FACE_")).unwrap_or_else(|| panic!("no face in {found:#?}"));
    assert!(face.score > 0.4, "{face:?}");
    // Eileen Collins' face is in the upper middle of the 512×512 photograph.
    let (cx, cy) = (face.rect.x + face.rect.w / 2.0, face.rect.y + face.rect.h / 2.0);
    assert!((150.0..300.0).contains(&cx) && (40.0..200.0).contains(&cy), "{face:?}");
    assert!(!found.iter().any(|d| d.label.ends_with("_EXPOSED") && d.score > 0.5), "{found:#?}");
}

#[test]
fn a_missing_model_names_the_file() {
    let Err(error) = Ocr::load(std::path::Path::new("/nonexistent")) else { panic!("loaded nothing") };
    let message = error.to_string();
    assert!(
        message.contains("/nonexistent/ch_PP-OCRv4_det_infer.onnx") && message.contains("fetch-models"),
        "{message}"
    );
}
