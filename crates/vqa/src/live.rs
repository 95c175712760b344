//! The defect lifecycle of a live stream: a defect is announced when it is
//! confirmed (long enough to report) and again when it ends, instead of
//! once at its end as a file report has it.
//!
//! [`LiveAnalysis`] wraps the same [`Analysis`] a file goes through and
//! turns what it reports into [`DefectChange`]s: `Opened` the first time a
//! detector's defect under way is confirmed, `Closed` with the whole event
//! when it ends. A detector that judges only at the end (A/V desync) gives
//! both at once. Closed events are handed over and not kept, so a stream
//! that runs for months holds no growing list.

use showrunner_core::{DefectEvent, DefectType};
use showrunner_media::MediaItem;

use crate::analysis::{Analysis, InputStats};
use crate::config::VqaConfig;

/// What changed in a stream's defects.
#[derive(Debug, Clone, PartialEq)]
pub enum DefectChange {
    /// A defect is confirmed and still under way.
    Opened {
        /// Its type.
        kind: DefectType,
        /// Media time it started, seconds.
        start_s: f64,
    },
    /// A defect ended (always after its `Opened`).
    Closed(DefectEvent),
}

/// One live input's detectors with the defects announced so far.
pub struct LiveAnalysis {
    analysis: Analysis,
    announced: Vec<DefectType>,
}

impl LiveAnalysis {
    /// The detectors for `enabled` with `config`.
    pub fn new(config: &VqaConfig, enabled: &[DefectType]) -> Self {
        LiveAnalysis { analysis: Analysis::new(config, enabled), announced: Vec::new() }
    }

    /// Whether any enabled detector looks at pictures.
    pub fn needs_video(&self) -> bool {
        self.analysis.needs_video()
    }

    /// Whether any enabled detector listens to audio.
    pub fn needs_audio(&self) -> bool {
        self.analysis.needs_audio()
    }

    /// Counts of what was decoded so far.
    pub fn stats(&self) -> &InputStats {
        self.analysis.stats()
    }

    /// Feeds one decoded item; returns what changed, closings first.
    pub fn push(&mut self, item: MediaItem) -> Vec<DefectChange> {
        self.analysis.push(item);
        let mut changes = close(&mut self.announced, self.analysis.take_events());
        for (kind, start_s) in self.analysis.confirmed_open() {
            if !self.announced.contains(&kind) {
                self.announced.push(kind);
                changes.push(DefectChange::Opened { kind, start_s });
            }
        }
        changes
    }

    /// Ends the input (the stream stopped or dropped): closes whatever is
    /// under way.
    pub fn finish(self) -> Vec<DefectChange> {
        let LiveAnalysis { analysis, mut announced } = self;
        close(&mut announced, analysis.finish().events)
    }
}

/// The changes of `events` closing: each closes its announced defect, or
/// is announced and closed at once.
fn close(announced: &mut Vec<DefectType>, events: Vec<DefectEvent>) -> Vec<DefectChange> {
    let mut changes = Vec::new();
    for event in events {
        match announced.iter().position(|&k| k == event.kind) {
            Some(i) => {
                announced.remove(i);
            }
            None => changes.push(DefectChange::Opened { kind: event.kind, start_s: event.start_s }),
        }
        changes.push(DefectChange::Closed(event));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{tone, RATE};
    use showrunner_media::AudioChunk;

    /// Feeds a mono signal in 1024-sample chunks; returns each change with
    /// the media time reached when it was announced.
    fn feed(live: &mut LiveAnalysis, samples: &[f32]) -> Vec<(f64, DefectChange)> {
        let mut out = Vec::new();
        for (i, chunk) in samples.chunks(1024).enumerate() {
            let pts_s = i as f64 * 1024.0 / f64::from(RATE);
            let item = MediaItem::Audio(AudioChunk { pts_s, sample_rate: RATE, channels: vec![chunk.to_vec()] });
            let reached = pts_s + chunk.len() as f64 / f64::from(RATE);
            out.extend(live.push(item).into_iter().map(|c| (reached, c)));
        }
        out
    }

    #[test]
    fn a_dropout_is_announced_once_confirmed_and_closed_when_sound_returns() {
        let mut live = LiveAnalysis::new(&VqaConfig::default(), &[DefectType::AudioSilence]);
        // Sound for 5 s, silence for 4 s, sound again.
        let changes = feed(&mut live, &tone(12.0, |t| if (5.0..9.0).contains(&t) { 0.0 } else { 0.5 }));
        assert_eq!(changes.len(), 2, "{changes:?}");
        let (opened_at, DefectChange::Opened { kind, start_s }) = &changes[0] else { panic!("{changes:?}") };
        assert_eq!(*kind, DefectType::AudioSilence);
        assert!((start_s - 5.0).abs() < 0.05, "starts at 5 s: {start_s}");
        // Announced half a second (the minimum duration) into the dropout,
        // not when it ends.
        assert!((5.45..5.65).contains(opened_at), "announced at {opened_at}");
        let (closed_at, DefectChange::Closed(event)) = &changes[1] else { panic!("{changes:?}") };
        assert!((event.end_s - 9.0).abs() < 0.05 && (9.0..9.2).contains(closed_at), "{event:?} at {closed_at}");
        assert!(live.finish().is_empty(), "nothing left open");
    }

    #[test]
    fn a_defect_under_way_when_the_input_ends_is_closed_then() {
        let mut live = LiveAnalysis::new(&VqaConfig::default(), &[DefectType::AudioSilence]);
        let changes = feed(&mut live, &tone(8.0, |t| if t < 5.0 { 0.5 } else { 0.0 }));
        assert!(matches!(changes.as_slice(), [(_, DefectChange::Opened { .. })]), "{changes:?}");
        let last = live.finish();
        assert!(matches!(last.as_slice(), [DefectChange::Closed(e)] if (e.end_s - 8.0).abs() < 0.05), "{last:?}");
    }
}
