//! Cutting decoded audio into 10 ms blocks with per-block level statistics,
//! computed once and shared by the silence, clipping and A/V sync detectors.

use showrunner_media::AudioChunk;

/// Length of one analysis block. 10 ms is short enough to place an onset
/// for lip-sync estimation and to time a dropout to ±10 ms.
pub const BLOCK_S: f64 = 0.010;

/// Level statistics of one 10 ms block (all channels together).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioBlock {
    /// Time of the block's first sample, seconds.
    pub start_s: f64,
    /// Block length, seconds.
    pub duration_s: f64,
    /// Mean square over all samples of all channels (full scale = 1.0).
    pub mean_square: f64,
    /// Largest absolute sample value.
    pub peak: f32,
    /// Samples, over all channels, at or beyond the rail level.
    pub clipped_samples: usize,
    /// Longest flat top ending in this block: consecutive samples of one
    /// channel above the flat level that change by no more than the
    /// tolerance (runs carry over from the previous block).
    pub flat_run: usize,
}

/// What the block statistics count as clipping evidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipLevels {
    /// Absolute sample value counted as "at the rails".
    pub rail: f32,
    /// Absolute sample value above which flat tops are looked for.
    pub flat: f32,
    /// Largest sample-to-sample change inside a flat top.
    pub flat_tolerance: f32,
}

impl AudioBlock {
    /// RMS level in dBFS (a full-scale sine reads −3 dBFS); −150 for digital silence.
    pub fn rms_dbfs(&self) -> f64 {
        if self.mean_square <= 1e-15 {
            -150.0
        } else {
            10.0 * self.mean_square.log10()
        }
    }
}

/// Accumulates chunks and emits complete blocks.
pub struct AudioBlocker {
    levels: ClipLevels,
    /// Per channel: the previous sample and the current flat-top run.
    flat: Vec<(f32, usize)>,
    pending: Vec<Vec<f32>>,
    pending_start_s: f64,
    rate: u32,
}

impl AudioBlocker {
    /// A blocker counting clipping evidence by `levels`.
    pub fn new(levels: ClipLevels) -> Self {
        AudioBlocker { levels, flat: Vec::new(), pending: Vec::new(), pending_start_s: 0.0, rate: 0 }
    }

    /// Adds a chunk and returns the blocks it completes.
    ///
    /// A change of sample rate or channel count, or a timestamp jump, drops
    /// the partial block (it is at most 10 ms) and restarts at the chunk.
    pub fn push(&mut self, chunk: &AudioChunk) -> Vec<AudioBlock> {
        let continuous = self.rate == chunk.sample_rate
            && self.pending.len() == chunk.channels.len()
            && (self.pending_start_s + self.pending_len() as f64 / f64::from(self.rate.max(1)) - chunk.pts_s).abs()
                < 0.05;
        if !continuous {
            self.rate = chunk.sample_rate;
            self.pending = vec![Vec::new(); chunk.channels.len()];
            self.flat = vec![(0.0, 0); chunk.channels.len()];
            self.pending_start_s = chunk.pts_s;
        }
        for (dst, src) in self.pending.iter_mut().zip(&chunk.channels) {
            dst.extend_from_slice(src);
        }
        let size = ((f64::from(self.rate) * BLOCK_S).round() as usize).max(1);
        let mut blocks = Vec::new();
        let mut offset = 0;
        while self.pending_len() - offset >= size {
            blocks.push(self.block(offset, size));
            offset += size;
        }
        for ch in &mut self.pending {
            ch.drain(..offset);
        }
        self.pending_start_s += offset as f64 / f64::from(self.rate.max(1));
        blocks
    }

    fn pending_len(&self) -> usize {
        self.pending.first().map_or(0, Vec::len)
    }

    fn block(&mut self, offset: usize, size: usize) -> AudioBlock {
        let mut sum_sq = 0.0f64;
        let mut peak = 0.0f32;
        let mut clipped = 0usize;
        let mut flat_run = 0usize;
        let levels = self.levels;
        for (ch, (prev, run)) in self.pending.iter().zip(self.flat.iter_mut()) {
            let s = &ch[offset..offset + size];
            sum_sq += s.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>();
            peak = s.iter().fold(peak, |m, &x| m.max(x.abs()));
            clipped += s.iter().filter(|&&x| x.abs() >= levels.rail).count();
            for &x in s {
                let flat = x.abs() >= levels.flat && (x - *prev).abs() <= levels.flat_tolerance;
                *run = if flat { *run + 1 } else { 0 };
                *prev = x;
                flat_run = flat_run.max(*run);
            }
        }
        let n = (size * self.pending.len()).max(1) as f64;
        AudioBlock {
            start_s: self.pending_start_s + offset as f64 / f64::from(self.rate),
            duration_s: size as f64 / f64::from(self.rate),
            mean_square: sum_sq / n,
            peak,
            clipped_samples: clipped,
            flat_run,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEVELS: ClipLevels = ClipLevels { rail: 0.99, flat: 0.9, flat_tolerance: 0.0005 };

    #[test]
    fn blocks_span_chunk_boundaries_and_keep_time() {
        let mut b = AudioBlocker::new(LEVELS);
        let chunk =
            |pts: f64, n: usize, v: f32| AudioChunk { pts_s: pts, sample_rate: 48_000, channels: vec![vec![v; n]; 2] };
        assert!(b.push(&chunk(0.0, 300, 0.5)).is_empty());
        let blocks = b.push(&chunk(300.0 / 48_000.0, 1024, 0.5));
        assert_eq!(blocks.len(), 2);
        assert!((blocks[1].start_s - 0.010).abs() < 1e-9);
        assert!((blocks[0].rms_dbfs() - 20.0 * 0.5f64.log10()).abs() < 1e-6);
        assert_eq!(blocks[0].peak, 0.5);
        assert_eq!(blocks[0].clipped_samples, 0);
    }

    #[test]
    fn clipped_samples_count_all_channels() {
        let mut b = AudioBlocker::new(LEVELS);
        let mut left = vec![0.1f32; 480];
        left[..48].fill(1.0);
        let blocks = b.push(&AudioChunk { pts_s: 0.0, sample_rate: 48_000, channels: vec![left, vec![-1.0; 480]] });
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].clipped_samples, 48 + 480);
        // The right channel sits flat at -1.0 for the whole block: 479 flat steps.
        assert_eq!(blocks[0].flat_run, 479);
    }

    #[test]
    fn flat_runs_carry_across_blocks_and_ignore_loud_sines() {
        let mut b = AudioBlocker::new(LEVELS);
        let plateau = vec![0.951f32; 960];
        let blocks = b.push(&AudioChunk { pts_s: 0.0, sample_rate: 48_000, channels: vec![plateau] });
        assert_eq!(blocks.iter().map(|b| b.flat_run).collect::<Vec<_>>(), vec![479, 959]);
        let sine: Vec<f32> =
            (0..4800).map(|i| 0.944 * (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 48_000.0).sin()).collect();
        let mut b = AudioBlocker::new(LEVELS);
        let blocks = b.push(&AudioChunk { pts_s: 0.0, sample_rate: 48_000, channels: vec![sine] });
        assert!(blocks.iter().all(|b| b.flat_run < 4), "{:?}", blocks.iter().map(|b| b.flat_run).max());
    }

    #[test]
    fn silence_reads_very_low() {
        let mut b = AudioBlocker::new(LEVELS);
        let blocks = b.push(&AudioChunk { pts_s: 0.0, sample_rate: 44_100, channels: vec![vec![0.0; 441]] });
        assert_eq!(blocks[0].rms_dbfs(), -150.0);
    }
}
