//! Decoded audio as planar f32 PCM at the stream's native rate.

use ffmpeg_next::format::{sample::Type as Layout, Sample};
use ffmpeg_next::frame;

/// A run of decoded audio: one `Vec<f32>` per channel, all the same length,
/// nominal full scale ±1.0 (decoders such as AAC can overshoot slightly).
#[derive(Debug, Clone, PartialEq)]
pub struct AudioChunk {
    /// Presentation time of the first sample, seconds from the input's start.
    pub pts_s: f64,
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// Samples per channel.
    pub channels: Vec<Vec<f32>>,
}

impl AudioChunk {
    /// Number of samples per channel.
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Duration of the chunk in seconds.
    pub fn duration_s(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate.max(1))
    }

    /// Converts a decoded FFmpeg frame of any sample format to planar f32.
    ///
    /// Returns `None` for sample formats FFmpeg's decoders do not produce
    /// (`None`, 64-bit integers).
    pub(crate) fn from_ffmpeg(frame: &frame::Audio, pts_s: f64) -> Option<Self> {
        let channels = usize::from(frame.channels()).max(1);
        let samples = frame.samples();
        let format = frame.format();
        let width = match format {
            Sample::U8(_) => 1,
            Sample::I16(_) => 2,
            Sample::I32(_) | Sample::F32(_) => 4,
            Sample::F64(_) => 8,
            Sample::I64(_) | Sample::None => return None,
        };
        let convert = |bytes: &[u8]| -> f32 {
            match format {
                Sample::U8(_) => (f32::from(bytes[0]) - 128.0) / 128.0,
                Sample::I16(_) => f32::from(i16::from_ne_bytes([bytes[0], bytes[1]])) / 32768.0,
                Sample::I32(_) => i32::from_ne_bytes(bytes.try_into().unwrap_or([0; 4])) as f32 / 2_147_483_648.0,
                Sample::F32(_) => f32::from_ne_bytes(bytes.try_into().unwrap_or([0; 4])),
                Sample::F64(_) => f64::from_ne_bytes(bytes.try_into().unwrap_or([0; 8])) as f32,
                Sample::I64(_) | Sample::None => 0.0,
            }
        };
        let mut out = vec![Vec::with_capacity(samples); channels];
        match format {
            Sample::U8(Layout::Planar)
            | Sample::I16(Layout::Planar)
            | Sample::I32(Layout::Planar)
            | Sample::F32(Layout::Planar)
            | Sample::F64(Layout::Planar) => {
                for (ch, dst) in out.iter_mut().enumerate() {
                    dst.extend(plane_bytes(frame, ch, samples * width).chunks_exact(width).map(convert));
                }
            }
            _ => {
                let data = plane_bytes(frame, 0, samples * width * channels);
                for (i, sample) in data.chunks_exact(width).enumerate() {
                    out[i % channels].push(convert(sample));
                }
            }
        }
        Some(AudioChunk { pts_s, sample_rate: frame.rate(), channels: out })
    }
}

/// The first `len` bytes of audio plane `index`.
///
/// FFmpeg sets only `linesize[0]` for audio (every plane has that size) and
/// keeps planes beyond the eighth in `extended_data`, so the generic
/// `frame.data(i)` accessor is wrong for planar audio; this reads
/// `extended_data` directly.
fn plane_bytes(frame: &frame::Audio, index: usize, len: usize) -> &[u8] {
    // SAFETY: `extended_data` holds one pointer per plane (channels for planar
    // formats, one for packed), each to at least `linesize[0]` bytes, which
    // covers `samples * sample_size` (× channels when packed) = `len`.
    unsafe {
        let raw = frame.as_ptr();
        let size = ((*raw).linesize[0].max(0) as usize).min(len);
        let planes = (*raw).extended_data;
        if planes.is_null() || (*planes.add(index)).is_null() {
            return &[];
        }
        std::slice::from_raw_parts(*planes.add(index), size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffmpeg_next::ChannelLayout;

    #[test]
    fn converts_packed_s16_to_planar_f32() {
        crate::init();
        let mut frame = frame::Audio::new(Sample::I16(Layout::Packed), 3, ChannelLayout::STEREO);
        frame.set_rate(48_000);
        let values: [i16; 6] = [16384, -16384, 32767, -32768, 0, 8192];
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_ne_bytes()).collect();
        frame.data_mut(0)[..12].copy_from_slice(&bytes);
        let chunk = AudioChunk::from_ffmpeg(&frame, 1.5).unwrap();
        assert_eq!(chunk.channels.len(), 2);
        assert_eq!(chunk.channels[0], vec![0.5, 32767.0 / 32768.0, 0.0]);
        assert_eq!(chunk.channels[1], vec![-0.5, -1.0, 0.25]);
        assert_eq!(chunk.frames(), 3);
        assert!((chunk.duration_s() - 3.0 / 48_000.0).abs() < 1e-12);
    }

    #[test]
    fn converts_planar_f32_unchanged() {
        crate::init();
        let mut frame = frame::Audio::new(Sample::F32(Layout::Planar), 2, ChannelLayout::MONO);
        frame.set_rate(44_100);
        let bytes: Vec<u8> = [0.25f32, -1.5].iter().flat_map(|v| v.to_ne_bytes()).collect();
        frame.data_mut(0)[..8].copy_from_slice(&bytes);
        let chunk = AudioChunk::from_ffmpeg(&frame, 0.0).unwrap();
        assert_eq!(chunk.channels, vec![vec![0.25, -1.5]]);
    }
}
