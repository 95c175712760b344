//! Load shedding for a stream that cannot keep up. Decoding is most of what
//! a monitored stream costs, so a stream that falls more than `max_lag_s`
//! behind real time decodes fewer pictures: first only the pictures others
//! are predicted from (most B pictures go, the rest decode exactly as
//! before), and if it is still behind after another `max_lag_s`, only key
//! pictures. Once it is back within half of `max_lag_s` it decodes every
//! picture again.

use std::time::Instant;

use showrunner_media::{PictureSkip, SkipControl};

/// How far a connection has fallen behind real time: wall time since its
/// first media minus media time since then, less the least such value seen.
/// A fresh connection hands over what the input buffered while it was being
/// probed in a burst, so media runs ahead of the wall clock by that buffer
/// from the start; only growth beyond that offset is falling behind.
#[derive(Debug, Default)]
pub(crate) struct Lag {
    least: Option<f64>,
}

impl Lag {
    /// Takes `wall_s` and `media_s`, both since the connection's first
    /// media; returns seconds behind (never negative).
    pub(crate) fn update(&mut self, wall_s: f64, media_s: f64) -> f64 {
        let raw = wall_s - media_s;
        let least = self.least.map_or(raw, |l| l.min(raw));
        self.least = Some(least);
        raw - least
    }
}

/// Which pictures a stream decodes, decided from its lag and passed on to
/// its decoder through a [`SkipControl`].
#[derive(Debug)]
pub(crate) struct Shedding {
    max_lag_s: f64,
    level: PictureSkip,
    since: Instant,
    control: SkipControl,
}

impl Shedding {
    /// Decoding every picture, shedding beyond `max_lag_s` of lag.
    pub(crate) fn new(max_lag_s: f64) -> Self {
        Shedding { max_lag_s, level: PictureSkip::Nothing, since: Instant::now(), control: SkipControl::default() }
    }

    /// The control to open the stream's input with.
    pub(crate) fn control(&self) -> SkipControl {
        self.control.clone()
    }

    /// Back to every picture (a new connection starts afresh).
    pub(crate) fn reset(&mut self) {
        self.level = PictureSkip::Nothing;
        self.since = Instant::now();
        self.control.set(PictureSkip::Nothing);
    }

    /// Takes the lag measured at `now`; returns what to skip from here on.
    pub(crate) fn update(&mut self, lag_s: f64, now: Instant) -> PictureSkip {
        let settled = now.duration_since(self.since).as_secs_f64() >= self.max_lag_s;
        let next = if lag_s < self.max_lag_s / 2.0 {
            PictureSkip::Nothing
        } else if lag_s > self.max_lag_s {
            match self.level {
                PictureSkip::Nothing => PictureSkip::NonReference,
                PictureSkip::NonReference if settled => PictureSkip::NonKey,
                level => level,
            }
        } else {
            self.level
        };
        if next != self.level {
            self.level = next;
            self.since = now;
            self.control.set(next);
        }
        self.level
    }

    /// What is skipped now.
    pub(crate) fn level(&self) -> PictureSkip {
        self.level
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_stream_behind_skips_more_until_it_catches_up() {
        let start = Instant::now();
        let at = |s: f64| start + Duration::from_secs_f64(s);
        let mut shedding = Shedding::new(5.0);
        assert_eq!(shedding.update(4.9, at(0.0)), PictureSkip::Nothing);
        assert_eq!(shedding.update(5.1, at(1.0)), PictureSkip::NonReference);
        // Still behind, but reference-only decoding is given max_lag_s to work.
        assert_eq!(shedding.update(7.0, at(5.9)), PictureSkip::NonReference);
        assert_eq!(shedding.update(7.0, at(6.1)), PictureSkip::NonKey);
        // Between half and all of max_lag_s: no change either way.
        assert_eq!(shedding.update(3.0, at(20.0)), PictureSkip::NonKey);
        assert_eq!(shedding.update(2.4, at(21.0)), PictureSkip::Nothing);
        assert_eq!(shedding.level(), PictureSkip::Nothing);
        // Catching up within the hold also releases at once.
        assert_eq!(shedding.update(6.0, at(22.0)), PictureSkip::NonReference);
        assert_eq!(shedding.update(1.0, at(22.5)), PictureSkip::Nothing);
    }
}
