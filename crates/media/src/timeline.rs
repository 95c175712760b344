//! Per-stream timestamp tracking: turns raw PTS into seconds from the start
//! of the input and notices gaps and jumps.

use crate::signal::{DecoderSignal, SignalKind, StreamKind};

/// A gap of up to this long on video is reported as dropped frames; a longer
/// one (or any step backwards) as a discontinuity. Two seconds is longer than
/// any sensible GOP-level loss and shorter than a typical input switch.
const MAX_DROP_GAP_S: f64 = 2.0;

/// Tracks one stream's timestamps.
#[derive(Debug)]
pub(crate) struct Timeline {
    stream: StreamKind,
    next_expected_s: Option<f64>,
}

impl Timeline {
    pub(crate) fn new(stream: StreamKind) -> Self {
        Timeline { stream, next_expected_s: None }
    }

    /// Records a frame at `pts_s` lasting `duration_s` without judging the
    /// step from the previous one: pictures are being skipped on purpose.
    pub(crate) fn follow(&mut self, pts_s: f64, duration_s: f64) {
        self.next_expected_s = Some(pts_s + duration_s.max(0.0));
    }

    /// Records a frame or chunk at `pts_s` lasting `duration_s` and returns
    /// a signal when it does not follow on from the previous one.
    ///
    /// Tolerance: half a frame for video (timestamps are rounded to the
    /// stream's time base), 100 ms for audio (encoder priming and container
    /// rounding move audio timestamps by a few ms; a real gap is audible at
    /// 100 ms).
    pub(crate) fn advance(&mut self, pts_s: f64, duration_s: f64) -> Option<DecoderSignal> {
        let expected = self.next_expected_s.replace(pts_s + duration_s.max(0.0));
        let expected = expected?;
        let jump = pts_s - expected;
        let tolerance = match self.stream {
            StreamKind::Video => (duration_s * 0.5).max(0.002),
            StreamKind::Audio => 0.1,
        };
        if jump.abs() <= tolerance {
            return None;
        }
        let dropped = if duration_s > 0.0 { (jump / duration_s).round() } else { 0.0 };
        if self.stream == StreamKind::Video && jump > 0.0 && jump <= MAX_DROP_GAP_S && dropped >= 1.0 {
            return Some(DecoderSignal {
                kind: SignalKind::DroppedFrames,
                stream: self.stream,
                pts_s: expected,
                amount: dropped,
                detail: format!("{dropped} frame(s) missing before {pts_s:.3}s"),
            });
        }
        Some(DecoderSignal {
            kind: SignalKind::PtsDiscontinuity,
            stream: self.stream,
            pts_s: expected,
            amount: jump,
            detail: format!("timestamp jumped by {jump:+.3}s at {expected:.3}s"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_video_gives_no_signal() {
        let mut t = Timeline::new(StreamKind::Video);
        for i in 0..100 {
            assert!(t.advance(i as f64 * 0.04, 0.04).is_none());
        }
    }

    #[test]
    fn small_video_gap_is_dropped_frames() {
        let mut t = Timeline::new(StreamKind::Video);
        t.advance(0.0, 0.04);
        t.advance(0.04, 0.04);
        let sig = t.advance(0.20, 0.04).unwrap();
        assert_eq!(sig.kind, SignalKind::DroppedFrames);
        assert_eq!(sig.amount, 3.0);
    }

    #[test]
    fn backwards_or_long_jump_is_discontinuity() {
        let mut t = Timeline::new(StreamKind::Video);
        t.advance(10.0, 0.04);
        let back = t.advance(2.0, 0.04).unwrap();
        assert_eq!(back.kind, SignalKind::PtsDiscontinuity);
        assert!(back.amount < -7.9);
        let fwd = t.advance(12.0, 0.04).unwrap();
        assert_eq!(fwd.kind, SignalKind::PtsDiscontinuity);
    }

    #[test]
    fn audio_jitter_is_tolerated_but_gap_is_not() {
        let mut t = Timeline::new(StreamKind::Audio);
        t.advance(0.0, 0.0213);
        assert!(t.advance(0.0233, 0.0213).is_none());
        let sig = t.advance(0.5, 0.0213).unwrap();
        assert_eq!(sig.kind, SignalKind::PtsDiscontinuity);
    }
}
