//! Per-frame and per-chunk cost of the measurement stages and of each
//! detector, on 720p luma and 48 kHz stereo audio.
//!
//! Run with `cargo bench -p showrunner-vqa --bench detectors`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use showrunner_core::DefectType;
use showrunner_media::ffmpeg_next::{format::Pixel, frame};
use showrunner_media::{AudioChunk, FrameErrors, Plane, VideoFrame};
use showrunner_vqa::audio_blocks::AudioBlocker;
use showrunner_vqa::features::{blockiness, frame_difference, sum_and_dark, FeatureExtractor, FrameFeatures, Motion};
use showrunner_vqa::VqaConfig;

const W: usize = 1280;
const H: usize = 720;

fn textured(seed: u32) -> Vec<u8> {
    (0..W * H).map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 24) as u8 / 2 + 40).collect()
}

fn video_frame(seed: u32, pts_s: f64) -> VideoFrame {
    showrunner_media::init();
    let mut f = frame::Video::new(Pixel::YUV420P, W as u32, H as u32);
    let data = textured(seed);
    let stride = f.stride(0);
    for y in 0..H {
        f.data_mut(0)[y * stride..y * stride + W].copy_from_slice(&data[y * W..(y + 1) * W]);
    }
    VideoFrame::new(f, pts_s, 0.04)
}

fn kernels(c: &mut Criterion) {
    let (a, b) = (textured(1), textured(2));
    let (pa, pb) = (Plane::new(&a, W, W, H).unwrap(), Plane::new(&b, W, W, H).unwrap());
    let mut sums = Vec::new();
    c.bench_function("720p sum_and_dark", |bench| bench.iter(|| sum_and_dark(black_box(&pa), 38)));
    c.bench_function("720p frame_difference", |bench| {
        bench.iter(|| frame_difference(black_box(&pa), black_box(&pb), &mut sums))
    });
    c.bench_function("720p blockiness", |bench| bench.iter(|| blockiness(black_box(&pa))));
    c.bench_function("720p FeatureExtractor::measure", |bench| {
        let mut fx = FeatureExtractor::new(VqaConfig::default().black.criteria());
        let mut i = 0u32;
        bench.iter_batched(
            || {
                i += 1;
                video_frame(i % 2, f64::from(i) * 0.04)
            },
            |f| black_box(fx.measure(f)),
            criterion::BatchSize::SmallInput,
        )
    });
}

fn features(i: usize) -> FrameFeatures {
    FrameFeatures {
        pts_s: i as f64 * 0.04,
        duration_s: 0.04,
        mean_luma: 110.0,
        dark_fraction: 0.02,
        is_black: false,
        motion: Some(Motion {
            mafd: 3.0 + (i % 7) as f64,
            max_block_mafd: 30.0,
            mean_delta: 0.1,
            changed_fraction: 0.1,
        }),
        blockiness: None,
        errors: FrameErrors::default(),
        key: i.is_multiple_of(50),
    }
}

fn video_detectors(c: &mut Criterion) {
    let config = VqaConfig::default();
    for kind in [DefectType::VideoFreeze, DefectType::Black, DefectType::BlockCorruption, DefectType::AvDesync] {
        c.bench_function(&format!("{kind} on_frame"), |bench| {
            let mut d = config.detector(kind);
            let mut out = Vec::new();
            let mut i = 0;
            bench.iter(|| {
                i += 1;
                d.on_frame(black_box(&features(i)), &mut out);
                out.clear();
            })
        });
    }
}

fn audio_detectors(c: &mut Criterion) {
    let config = VqaConfig::default();
    let samples: Vec<f32> = (0..1024).map(|i| ((i as f32) * 0.05).sin() * 0.3).collect();
    for kind in [DefectType::AudioSilence, DefectType::AudioClipping, DefectType::Loudness, DefectType::AvDesync] {
        c.bench_function(&format!("{kind} on_audio (1024 samples, stereo)"), |bench| {
            let mut d = config.detector(kind);
            let mut blocker = AudioBlocker::new(config.audio_clipping.levels());
            let mut out = Vec::new();
            let mut pts = 0.0;
            bench.iter(|| {
                let chunk =
                    AudioChunk { pts_s: pts, sample_rate: 48_000, channels: vec![samples.clone(), samples.clone()] };
                pts += 1024.0 / 48_000.0;
                let blocks = blocker.push(&chunk);
                d.on_audio(black_box(&chunk), &blocks, &mut out);
                out.clear();
            })
        });
    }
}

criterion_group!(benches, kernels, video_detectors, audio_detectors);
criterion_main!(benches);
