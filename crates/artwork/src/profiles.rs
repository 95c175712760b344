//! Artwork kinds (what a partner uploads) and device crop profiles (how a
//! device shows it): which part of the image survives the crop and which
//! part the device's own UI covers.

use serde::{Deserialize, Serialize};
use showrunner_vision::Rect;

/// What an artwork kind must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindSpec {
    /// Width over height.
    pub aspect: f64,
    /// Relative tolerance on the aspect ratio.
    #[serde(default = "default_aspect_tolerance")]
    pub aspect_tolerance: f64,
    /// Smallest width in pixels.
    pub min_width: u32,
    /// Smallest height in pixels.
    pub min_height: u32,
    /// Largest file, in bytes.
    pub max_bytes: usize,
    /// Whether transparent pixels are allowed (logos: yes; posters: no).
    #[serde(default)]
    pub transparency: bool,
    /// Whether artwork of this kind must carry a title (store box art does;
    /// textless backgrounds do not). When it must, finding no text fails
    /// `legibility` and reading too little of it to tell its language fails
    /// `localization`: a title nobody can read is as bad as a wrong one.
    #[serde(default)]
    pub title_required: bool,
}

fn default_aspect_tolerance() -> f64 {
    0.01
}

/// A region of a crop that the device covers with its own UI, in fractions
/// of the crop's width and height.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// What covers it (`left gradient`, `play bar`).
    pub name: String,
    /// Left edge, 0–1.
    pub x: f32,
    /// Top edge, 0–1.
    pub y: f32,
    /// Width, 0–1.
    pub w: f32,
    /// Height, 0–1.
    pub h: f32,
}

/// How one device shows one or more artwork kinds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    /// Name (`tv_hero_16x9`).
    pub name: String,
    /// The artwork kinds this device shows.
    pub kinds: Vec<String>,
    /// Aspect ratio (width over height) of the crop the device takes.
    pub aspect: f32,
    /// Where the crop sits when it must drop part of the image: 0 = left/top,
    /// 0.5 = centred, 1 = right/bottom.
    #[serde(default = "half")]
    pub anchor_x: f32,
    /// See `anchor_x`.
    #[serde(default = "half")]
    pub anchor_y: f32,
    /// Width at which the crop is drawn on the device, in device pixels;
    /// sets the rendered size of text.
    pub display_width: f32,
    /// Parts of the crop under the device's UI.
    #[serde(default)]
    pub overlays: Vec<Overlay>,
}

fn half() -> f32 {
    0.5
}

impl DeviceProfile {
    /// The part of a `width` × `height` image this device keeps, in image pixels.
    pub fn crop(&self, width: u32, height: u32) -> Rect {
        let (w, h) = (width as f32, height as f32);
        let (cw, ch) = if w / h > self.aspect { (h * self.aspect, h) } else { (w, w / self.aspect) };
        Rect { x: (w - cw) * self.anchor_x, y: (h - ch) * self.anchor_y, w: cw, h: ch }
    }

    /// The overlays in image pixels.
    pub fn overlays(&self, width: u32, height: u32) -> Vec<(&str, Rect)> {
        let crop = self.crop(width, height);
        self.overlays
            .iter()
            .map(|o| {
                let rect =
                    Rect { x: crop.x + o.x * crop.w, y: crop.y + o.y * crop.h, w: o.w * crop.w, h: o.h * crop.h };
                (o.name.as_str(), rect)
            })
            .collect()
    }

    /// Device pixels per image pixel.
    pub fn display_scale(&self, width: u32, height: u32) -> f32 {
        self.display_width / self.crop(width, height).w
    }
}

/// The shipped kinds: `hero` (16:9), `poster` (2:3, must carry its title,
/// as store box art does), `tile` (1:1), `logo` (any shape, transparency
/// allowed). Heroes are often delivered textless, so by default they need not.
pub fn default_kinds() -> Vec<(String, KindSpec)> {
    let kind = |aspect, min_width, min_height, max_bytes| KindSpec {
        aspect,
        aspect_tolerance: default_aspect_tolerance(),
        min_width,
        min_height,
        max_bytes,
        transparency: false,
        title_required: false,
    };
    vec![
        ("hero".into(), kind(16.0 / 9.0, 960, 540, 10_000_000)),
        ("poster".into(), KindSpec { title_required: true, ..kind(2.0 / 3.0, 400, 600, 10_000_000) }),
        ("tile".into(), kind(1.0, 400, 400, 5_000_000)),
        (
            "logo".into(),
            KindSpec { aspect_tolerance: f64::INFINITY, transparency: true, ..kind(1.0, 200, 80, 2_000_000) },
        ),
    ]
}

/// The shipped device profiles: a TV 16:9 hero with a left-side gradient
/// under the title UI, a tablet 4:3, a 21:9 web banner, a phone in
/// portrait with a play bar at the bottom, and a small square tile.
pub fn default_profiles() -> Vec<DeviceProfile> {
    let overlay = |name: &str, x, y, w, h| Overlay { name: name.into(), x, y, w, h };
    let profile = |name: &str, kinds: &[&str], aspect, display_width, overlays| DeviceProfile {
        name: name.into(),
        kinds: kinds.iter().map(|k| k.to_string()).collect(),
        aspect,
        anchor_x: 0.5,
        anchor_y: 0.5,
        display_width,
        overlays,
    };
    vec![
        profile("tv_hero_16x9", &["hero"], 16.0 / 9.0, 1920.0, vec![overlay("left gradient", 0.0, 0.0, 0.3, 1.0)]),
        profile("tablet_4x3", &["hero"], 4.0 / 3.0, 1024.0, vec![]),
        profile("web_banner_21x9", &["hero"], 21.0 / 9.0, 1440.0, vec![]),
        profile("mobile_portrait", &["poster"], 9.0 / 16.0, 360.0, vec![overlay("play bar", 0.0, 0.82, 1.0, 0.18)]),
        profile("square_tile", &["hero", "poster", "tile"], 1.0, 240.0, vec![]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_keep_the_centre_and_overlays_follow_the_crop() {
        let profiles = default_profiles();
        let square = profiles.iter().find(|p| p.name == "square_tile").unwrap();
        assert_eq!(square.crop(960, 540), Rect { x: 210.0, y: 0.0, w: 540.0, h: 540.0 });
        assert_eq!(square.crop(480, 720), Rect { x: 0.0, y: 120.0, w: 480.0, h: 480.0 });
        assert!((square.display_scale(960, 540) - 240.0 / 540.0).abs() < 1e-6);
        let phone = profiles.iter().find(|p| p.name == "mobile_portrait").unwrap();
        let (name, bar) = phone.overlays(480, 720)[0];
        assert_eq!(name, "play bar");
        // 9:16 of a 480×720 poster is 405×720, centred: x from 37.5.
        assert!((bar.x - 37.5).abs() < 1e-3 && (bar.y - 590.4).abs() < 1e-3 && (bar.w - 405.0).abs() < 1e-3);
    }
}
