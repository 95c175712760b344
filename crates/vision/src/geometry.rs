//! Axis-aligned rectangles in image pixels.

use serde::{Deserialize, Serialize};

/// A rectangle in pixels of the image it was found in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl Rect {
    /// A rectangle from its left, top, right and bottom edges.
    pub fn from_edges(left: f32, top: f32, right: f32, bottom: f32) -> Rect {
        Rect { x: left, y: top, w: (right - left).max(0.0), h: (bottom - top).max(0.0) }
    }

    /// Right edge.
    pub fn right(&self) -> f32 {
        self.x + self.w
    }

    /// Bottom edge.
    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }

    /// Area in square pixels.
    pub fn area(&self) -> f32 {
        self.w * self.h
    }

    /// The overlap of two rectangles (empty when they do not touch).
    pub fn intersection(&self, other: &Rect) -> Rect {
        Rect::from_edges(
            self.x.max(other.x),
            self.y.max(other.y),
            self.right().min(other.right()),
            self.bottom().min(other.bottom()),
        )
    }

    /// Intersection over union, 0 to 1.
    pub fn iou(&self, other: &Rect) -> f32 {
        let inter = self.intersection(other).area();
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }

    /// The same rectangle clipped to a `width` × `height` image.
    pub fn clip(&self, width: u32, height: u32) -> Rect {
        Rect::from_edges(
            self.x.clamp(0.0, width as f32),
            self.y.clamp(0.0, height as f32),
            self.right().clamp(0.0, width as f32),
            self.bottom().clamp(0.0, height as f32),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_and_iou() {
        let a = Rect { x: 0.0, y: 0.0, w: 10.0, h: 10.0 };
        let b = Rect { x: 5.0, y: 5.0, w: 10.0, h: 10.0 };
        assert_eq!(a.intersection(&b), Rect { x: 5.0, y: 5.0, w: 5.0, h: 5.0 });
        assert!((a.iou(&b) - 25.0 / 175.0).abs() < 1e-6);
        let far = Rect { x: 20.0, y: 20.0, w: 1.0, h: 1.0 };
        assert_eq!(a.intersection(&far).area(), 0.0);
        assert_eq!(b.clip(12, 8), Rect { x: 5.0, y: 5.0, w: 7.0, h: 3.0 });
    }
}
