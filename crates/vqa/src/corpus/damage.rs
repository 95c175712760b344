//! Bitstream damage in MPEG-TS files: what a lossy network or a failing
//! encoder output does to a broadcast stream, applied to the video packets
//! of a chosen time range.
//!
//! Two modes: `bitflip` overwrites random payload bytes and keeps every
//! header intact (the demuxer sees nothing; the decoder hits invalid
//! slices), `loss` drops whole 188-byte packets (the demuxer sees
//! continuity-counter gaps, as with UDP packet loss).

use rand::Rng;

/// How to damage the packets in range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DamageMode {
    /// Overwrite random payload bytes.
    Bitflip,
    /// Drop whole packets.
    Loss,
}

impl DamageMode {
    /// Name used in labels.
    pub fn name(self) -> &'static str {
        match self {
            DamageMode::Bitflip => "bitflip",
            DamageMode::Loss => "loss",
        }
    }
}

const PACKET: usize = 188;

/// Damages video packets whose PES timestamp (seconds from the first video
/// PES) lies in `[start_s, end_s)`: each with probability `rate`. Returns the
/// number of packets damaged, or an error if no video PES was found.
pub fn damage_ts(
    data: &[u8],
    ranges: &[(f64, f64)],
    rate: f64,
    mode: DamageMode,
    rng: &mut impl Rng,
) -> Result<(Vec<u8>, usize), String> {
    if !data.len().is_multiple_of(PACKET) || data.first() != Some(&0x47) {
        return Err("not an MPEG-TS file (188-byte packets with sync byte 0x47)".into());
    }
    let mut out = Vec::with_capacity(data.len());
    let mut video_pid: Option<u16> = None;
    let mut first_pts: Option<i64> = None;
    let mut now_s = f64::NEG_INFINITY;
    let mut damaged = 0;
    for packet in data.chunks_exact(PACKET) {
        let pid = (u16::from(packet[1] & 0x1f) << 8) | u16::from(packet[2]);
        let pusi = packet[1] & 0x40 != 0;
        let afc = (packet[3] >> 4) & 0x3;
        let payload_at = match afc {
            1 => 4,
            3 => 5 + usize::from(packet[4]),
            _ => PACKET,
        };
        let payload = packet.get(payload_at..).unwrap_or(&[]);
        let mut header_len = 0;
        if pusi && payload.len() >= 14 && payload[..3] == [0, 0, 1] && (0xE0..=0xEF).contains(&payload[3]) {
            video_pid.get_or_insert(pid);
            if Some(pid) == video_pid {
                header_len = 9 + usize::from(payload[8]);
                if payload[7] & 0x80 != 0 {
                    let pts = parse_pts(&payload[9..14]);
                    let first = *first_pts.get_or_insert(pts);
                    now_s = (pts - first) as f64 / 90_000.0;
                }
            }
        }
        let in_range = Some(pid) == video_pid && ranges.iter().any(|(a, b)| now_s >= *a && now_s < *b);
        if !in_range || !rng.gen_bool(rate.clamp(0.0, 1.0)) {
            out.extend_from_slice(packet);
            continue;
        }
        damaged += 1;
        match mode {
            DamageMode::Loss => {}
            DamageMode::Bitflip => {
                let mut copy = packet.to_vec();
                let start = payload_at + header_len;
                if start + 1 < PACKET {
                    for _ in 0..8 {
                        let at = rng.gen_range(start..PACKET);
                        copy[at] = rng.gen();
                    }
                }
                out.extend_from_slice(&copy);
            }
        }
    }
    if video_pid.is_none() {
        return Err("no video PES found".into());
    }
    Ok((out, damaged))
}

/// Decodes the 33-bit PTS from the five PES header bytes.
fn parse_pts(b: &[u8]) -> i64 {
    (i64::from(b[0] >> 1 & 0x07) << 30)
        | (i64::from(b[1]) << 22)
        | (i64::from(b[2] >> 1) << 15)
        | (i64::from(b[3]) << 7)
        | i64::from(b[4] >> 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn pes_packet(pid: u16, pts: i64, cc: u8) -> Vec<u8> {
        let mut p = vec![0x47, 0x40 | (pid >> 8) as u8, pid as u8, 0x10 | (cc & 0xf)];
        p.extend_from_slice(&[0, 0, 1, 0xE0, 0, 0, 0x80, 0x80, 5]);
        p.push(0x21 | (((pts >> 30) & 0x7) << 1) as u8);
        p.push((pts >> 22) as u8);
        p.push((((pts >> 15) & 0x7f) << 1) as u8 | 1);
        p.push((pts >> 7) as u8);
        p.push(((pts & 0x7f) << 1) as u8 | 1);
        p.resize(PACKET, 0xAA);
        p
    }

    #[test]
    fn pts_round_trips() {
        let p = pes_packet(0x100, 8_589_934_000, 0);
        assert_eq!(parse_pts(&p[13..18]), 8_589_934_000);
    }

    #[test]
    fn only_packets_in_range_are_damaged() {
        let mut data = Vec::new();
        for i in 0..100i64 {
            data.extend(pes_packet(0x100, 900_000 + i * 3600, i as u8));
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        // Frames are 40 ms apart; damage 1.0–2.0 s = packets 25..50.
        let (out, n) = damage_ts(&data, &[(1.0, 2.0)], 1.0, DamageMode::Bitflip, &mut rng).unwrap();
        assert_eq!(n, 25);
        for (i, (a, b)) in data.chunks(PACKET).zip(out.chunks(PACKET)).enumerate() {
            assert_eq!(a[..18], b[..18], "headers intact at {i}");
            assert_eq!(a == b, !(25..50).contains(&i), "packet {i}");
        }
        let (lost, n) = damage_ts(&data, &[(1.0, 2.0)], 1.0, DamageMode::Loss, &mut rng).unwrap();
        assert_eq!(n, 25);
        assert_eq!(lost.len(), 75 * PACKET);
    }

    #[test]
    fn rejects_non_ts() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        assert!(damage_ts(b"hello", &[], 0.1, DamageMode::Loss, &mut rng).is_err());
    }
}
