//! Seeded plans for corpus clips: which content, which defects where, which
//! hard negatives. A plan is pure data; [`super::render`] turns it into
//! an FFmpeg command.

use rand::seq::SliceRandom;
use rand::Rng;
use showrunner_core::DefectType;

use super::damage::DamageMode;
use super::labels::{Role, LABELLED};

/// The content a clip is made from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Big Buck Bunny (1280×720, 25 fps, with its soundtrack), looped.
    BigBuckBunny,
    /// `bikes.mp4` (640×272, 25 fps), looped, with synthetic programme audio.
    Bikes,
    /// `carphone_pristine.mp4` (176×144, 29.97 fps), looped, with synthetic audio.
    Carphone,
    /// FFmpeg's `testsrc2` pattern at 1280×720, with synthetic audio.
    Testsrc2,
    /// A sync-test programme: `testsrc2` with a white flash and a 1 kHz
    /// beep at each of these times (seconds), the way broadcasters check
    /// lip sync.
    SyncPattern(Vec<f64>),
}

impl Source {
    /// Short name recorded in the manifest.
    pub fn name(&self) -> &'static str {
        match self {
            Source::BigBuckBunny => "bigbuckbunny",
            Source::Bikes => "bikes",
            Source::Carphone => "carphone",
            Source::Testsrc2 => "testsrc2",
            Source::SyncPattern(_) => "sync_pattern",
        }
    }

    /// Picture size and frame rate of the rendered clip.
    pub fn format(&self) -> (u32, u32, f64) {
        match self {
            Source::Bikes => (640, 272, 25.0),
            Source::Carphone => (176, 144, 30000.0 / 1001.0),
            _ => (1280, 720, 25.0),
        }
    }

    /// Whether its sound and pictures share events whose timing is known,
    /// so that an injected A/V offset has a ground truth.
    pub fn has_av_events(&self) -> bool {
        matches!(self, Source::SyncPattern(_))
    }
}

/// One injected defect.
#[derive(Debug, Clone, PartialEq)]
pub enum Injection {
    /// Frames repeated from `start_s` to `end_s`.
    Freeze { start_s: f64, end_s: f64 },
    /// Picture replaced by black.
    Black { start_s: f64, end_s: f64 },
    /// MPEG-TS video packets damaged (`rate` of them) in the range.
    BlockCorruption { start_s: f64, end_s: f64, mode: DamageMode, rate: f64 },
    /// Audio muted.
    Silence { start_s: f64, end_s: f64 },
    /// Audio driven `gain_db` into the rails.
    Clipping { start_s: f64, end_s: f64, gain_db: f64 },
    /// Audio shifted by `offset_ms` (positive = late) over the range; `whole`
    /// when the range is the whole clip.
    Desync { start_s: f64, end_s: f64, offset_ms: f64, whole: bool },
}

impl Injection {
    /// The defect type this injection produces.
    pub fn kind(&self) -> DefectType {
        match self {
            Injection::Freeze { .. } => DefectType::VideoFreeze,
            Injection::Black { .. } => DefectType::Black,
            Injection::BlockCorruption { .. } => DefectType::BlockCorruption,
            Injection::Silence { .. } => DefectType::AudioSilence,
            Injection::Clipping { .. } => DefectType::AudioClipping,
            Injection::Desync { .. } => DefectType::AvDesync,
        }
    }

    /// The labelled time range.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            Injection::Freeze { start_s, end_s }
            | Injection::Black { start_s, end_s }
            | Injection::BlockCorruption { start_s, end_s, .. }
            | Injection::Silence { start_s, end_s }
            | Injection::Clipping { start_s, end_s, .. }
            | Injection::Desync { start_s, end_s, .. } => (start_s, end_s),
        }
    }
}

/// Content placed to fool naive detectors; never labelled.
#[derive(Debug, Clone, PartialEq)]
pub enum HardNegative {
    /// A cut to still colour bars.
    StillBars { start_s: f64, end_s: f64 },
    /// A cut to a still slide (flat background with boxes).
    StillSlide { start_s: f64, end_s: f64 },
    /// A cut to still bars with live sensor noise on top.
    NoisyStill { start_s: f64, end_s: f64 },
    /// A fade to black and back, black for less than the minimum.
    FadeThroughBlack { at_s: f64 },
    /// A cut to a dark (but visible) scene.
    DarkScene { start_s: f64, end_s: f64 },
    /// Audio 18 dB quieter than the programme, above the silence threshold.
    QuietPassage { start_s: f64, end_s: f64 },
    /// The whole programme pushed +6 dB into a limiter at −1 dBFS: loud,
    /// never clipped.
    LoudUnclipped,
}

impl HardNegative {
    /// Description for the manifest.
    pub fn describe(&self) -> String {
        match self {
            HardNegative::StillBars { start_s, end_s } => format!("still colour bars {start_s:.1}-{end_s:.1}s"),
            HardNegative::StillSlide { start_s, end_s } => format!("still slide {start_s:.1}-{end_s:.1}s"),
            HardNegative::NoisyStill { start_s, end_s } => format!("noisy still {start_s:.1}-{end_s:.1}s"),
            HardNegative::FadeThroughBlack { at_s } => format!("fade through black at {at_s:.1}s"),
            HardNegative::DarkScene { start_s, end_s } => format!("dark scene {start_s:.1}-{end_s:.1}s"),
            HardNegative::QuietPassage { start_s, end_s } => format!("quiet passage {start_s:.1}-{end_s:.1}s"),
            HardNegative::LoudUnclipped => "loud programme limited at -1 dBFS".to_string(),
        }
    }
}

/// Everything needed to render one clip.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipPlan {
    /// File name, with extension (`clip-007.ts`).
    pub name: String,
    /// The content.
    pub source: Source,
    /// Length, seconds.
    pub duration_s: f64,
    /// Role in the evaluation.
    pub role: Role,
    /// Defects to inject.
    pub injections: Vec<Injection>,
    /// Hard negatives to place.
    pub hard_negatives: Vec<HardNegative>,
}

impl ClipPlan {
    /// Whether the clip is written as MPEG-TS (else MP4).
    pub fn is_ts(&self) -> bool {
        self.name.ends_with(".ts")
    }
}

/// Plans clip number `index` of a corpus. Every fifth clip is clean, every
/// fifth hard-negative; the rest carry two or three defects drawn so that
/// all types appear about equally often.
pub fn plan_clip(index: usize, rng: &mut impl Rng) -> ClipPlan {
    let role = match index % 5 {
        0 => Role::Clean,
        1 => Role::HardNegative,
        _ => Role::Defects,
    };
    let duration_s = f64::from(rng.gen_range(24u32..=44));
    let mut kinds: Vec<DefectType> = Vec::new();
    if role == Role::Defects {
        let rotation = LABELLED;
        // Walk the rotation so consecutive defect clips cover every type.
        let n = if rng.gen_bool(0.5) { 3 } else { 2 };
        let first = (index * 2 + index / 5) % rotation.len();
        kinds = (0..n).map(|k| rotation[(first + k) % rotation.len()]).collect();
    }
    let wants_desync = kinds.contains(&DefectType::AvDesync);
    let source = pick_source(role, wants_desync, duration_s, rng);
    let ts = kinds.contains(&DefectType::BlockCorruption) || rng.gen_bool(0.5);
    let name = format!("clip-{index:03}.{}", if ts { "ts" } else { "mp4" });

    let mut injections = Vec::new();
    let mut cursor = rng.gen_range(3.0..5.0);
    for kind in kinds {
        if kind == DefectType::AvDesync {
            injections.push(plan_desync(duration_s, rng));
            continue;
        }
        let length = match kind {
            DefectType::VideoFreeze => rng.gen_range(1.0..5.0),
            DefectType::Black => rng.gen_range(0.5..4.0),
            DefectType::BlockCorruption => rng.gen_range(0.5..2.0),
            DefectType::AudioSilence => rng.gen_range(0.5..4.0),
            _ => rng.gen_range(1.0..4.0),
        };
        let start_s = round(cursor);
        let end_s = round(cursor + length);
        if end_s > duration_s - 2.0 {
            break;
        }
        injections.push(match kind {
            DefectType::VideoFreeze => Injection::Freeze { start_s, end_s },
            DefectType::Black => Injection::Black { start_s, end_s },
            DefectType::BlockCorruption => Injection::BlockCorruption {
                start_s,
                end_s,
                mode: if rng.gen_bool(0.5) { DamageMode::Bitflip } else { DamageMode::Loss },
                rate: round(rng.gen_range(0.03..0.15)),
            },
            DefectType::AudioSilence => Injection::Silence { start_s, end_s },
            _ => Injection::Clipping { start_s, end_s, gain_db: round(rng.gen_range(18.0..30.0)) },
        });
        cursor = end_s + rng.gen_range(3.0..6.0);
    }

    let hard_negatives = if role == Role::HardNegative { plan_hard_negatives(duration_s, rng) } else { Vec::new() };
    ClipPlan { name, source, duration_s, role, injections, hard_negatives }
}

fn pick_source(role: Role, wants_desync: bool, duration_s: f64, rng: &mut impl Rng) -> Source {
    let sync = |rng: &mut dyn rand::RngCore| {
        let mut events = Vec::new();
        let mut t = rng.gen_range(0.5..1.5);
        while t < duration_s - 0.5 {
            events.push((t * 25.0f64).round() / 25.0);
            t += rng.gen_range(0.8..2.5);
        }
        Source::SyncPattern(events)
    };
    if wants_desync {
        // Sync can only be measured, and so only be labelled, on content
        // whose sound and pictures share events. The Big Buck Bunny excerpt
        // is not such content: its strongest sound onsets lead its cuts by
        // about 300 ms, so its true offset cannot serve as ground truth.
        return sync(rng);
    }
    let choice = rng.gen_range(0..if role == Role::HardNegative { 4 } else { 5 });
    match choice {
        0 => Source::BigBuckBunny,
        1 => Source::Bikes,
        2 => Source::Carphone,
        3 => Source::Testsrc2,
        _ => sync(rng),
    }
}

fn plan_desync(duration_s: f64, rng: &mut impl Rng) -> Injection {
    let magnitude = rng.gen_range(80.0..500.0f64).round();
    let offset_ms = if rng.gen_bool(0.5) { magnitude } else { -magnitude };
    if rng.gen_bool(0.5) {
        Injection::Desync { start_s: 0.0, end_s: duration_s, offset_ms, whole: true }
    } else {
        let length = rng.gen_range(14.0..(duration_s - 6.0).max(15.0)).min(duration_s - 4.0);
        let start_s = round(rng.gen_range(2.0..(duration_s - length - 1.0).max(2.5)));
        Injection::Desync { start_s, end_s: round(start_s + length), offset_ms, whole: false }
    }
}

fn plan_hard_negatives(duration_s: f64, rng: &mut impl Rng) -> Vec<HardNegative> {
    let mut video = [0usize, 1, 2, 3, 4];
    video.shuffle(rng);
    let mut out = Vec::new();
    let mut cursor = rng.gen_range(3.0..5.0);
    for kind in video.iter().take(2) {
        let length = rng.gen_range(3.0..6.0);
        let (start_s, end_s) = (round(cursor), round(cursor + length));
        if end_s > duration_s - 2.0 {
            break;
        }
        out.push(match kind {
            0 => HardNegative::StillBars { start_s, end_s },
            1 => HardNegative::StillSlide { start_s, end_s },
            2 => HardNegative::NoisyStill { start_s, end_s },
            3 => HardNegative::FadeThroughBlack { at_s: start_s },
            _ => HardNegative::DarkScene { start_s, end_s },
        });
        cursor = end_s + rng.gen_range(3.0..5.0);
    }
    if rng.gen_bool(0.5) {
        out.push(HardNegative::LoudUnclipped);
    } else {
        let start_s = round(rng.gen_range(3.0..duration_s - 8.0));
        out.push(HardNegative::QuietPassage { start_s, end_s: round(start_s + rng.gen_range(3.0..6.0)) });
    }
    out
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn plans_are_reproducible_and_cover_every_type() {
        let plans = |seed| {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            (0..40).map(|i| plan_clip(i, &mut rng)).collect::<Vec<_>>()
        };
        let a = plans(5);
        assert_eq!(a, plans(5));
        assert_ne!(a, plans(6));
        for kind in LABELLED {
            let n = a.iter().flat_map(|p| &p.injections).filter(|i| i.kind() == kind).count();
            assert!(n >= 6, "{kind}: {n}");
        }
        assert_eq!(a.iter().filter(|p| p.role == Role::Clean).count(), 8);
    }

    #[test]
    fn injections_fit_the_clip_and_do_not_overlap() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        for i in 0..60 {
            let plan = plan_clip(i, &mut rng);
            let mut ranges: Vec<(f64, f64)> =
                plan.injections.iter().filter(|j| j.kind() != DefectType::AvDesync).map(Injection::range).collect();
            ranges.sort_by(|a, b| a.0.total_cmp(&b.0));
            for w in ranges.windows(2) {
                assert!(w[0].1 + 2.9 < w[1].0, "{plan:?}");
            }
            for inj in &plan.injections {
                let (s, e) = inj.range();
                assert!(s >= 0.0 && e <= plan.duration_s && s < e, "{inj:?}");
                if inj.kind() == DefectType::AvDesync {
                    assert!(plan.source.has_av_events());
                }
                if inj.kind() == DefectType::BlockCorruption {
                    assert!(plan.is_ts());
                }
            }
        }
    }
}
