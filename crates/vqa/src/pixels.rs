//! The per-pixel kernels behind [`crate::features`]: row sums, dark-pixel
//! counts and per-16-pixel absolute differences.
//!
//! On x86-64 they use SSE2 (part of the x86-64 baseline, so always present):
//! `psadbw` computes the absolute differences of 16 byte pairs and their sum
//! in one instruction, which is exactly one macroblock row. Elsewhere a plain
//! loop does the same work.

/// Adds the sum of absolute differences of each 16-pixel column block of
/// rows `a` and `b` to `blocks[i]` (a last partial block included).
pub fn add_block_sad(a: &[u8], b: &[u8], blocks: &mut [u32]) {
    let n = a.len().min(b.len());
    let full = n / 16;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of the x86-64 baseline; loads are unaligned and
    // stay within `a[..16 * full]` and `b[..16 * full]`.
    unsafe {
        use std::arch::x86_64::{__m128i, _mm_cvtsi128_si32, _mm_loadu_si128, _mm_sad_epu8, _mm_srli_si128};
        for (i, block) in blocks.iter_mut().enumerate().take(full) {
            let x = _mm_loadu_si128(a.as_ptr().add(16 * i) as *const __m128i);
            let y = _mm_loadu_si128(b.as_ptr().add(16 * i) as *const __m128i);
            let s = _mm_sad_epu8(x, y);
            *block += (_mm_cvtsi128_si32(s) + _mm_cvtsi128_si32(_mm_srli_si128(s, 8))) as u32;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for (i, block) in blocks.iter_mut().enumerate().take(full) {
        *block += scalar_sad(&a[16 * i..16 * i + 16], &b[16 * i..16 * i + 16]);
    }
    if full * 16 < n {
        if let Some(last) = blocks.get_mut(full) {
            *last += scalar_sad(&a[16 * full..n], &b[16 * full..n]);
        }
    }
}

fn scalar_sad(a: &[u8], b: &[u8]) -> u32 {
    a.iter().zip(b).map(|(&p, &q)| u32::from(p.abs_diff(q))).sum()
}

/// Sum of a row's values and the number at or below `dark_level`.
pub fn sum_and_count_dark(row: &[u8], dark_level: u8) -> (u64, u64) {
    let full = row.len() / 16;
    let (mut sum, mut dark) = (0u64, 0u64);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of the x86-64 baseline; loads stay within `row[..16 * full]`.
    unsafe {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_cvtsi128_si32, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_sad_epu8,
            _mm_set1_epi8, _mm_setzero_si128, _mm_srli_si128,
        };
        let zero = _mm_setzero_si128();
        let limit = _mm_set1_epi8(dark_level as i8);
        for i in 0..full {
            let x = _mm_loadu_si128(row.as_ptr().add(16 * i) as *const __m128i);
            let s = _mm_sad_epu8(x, zero);
            sum += (_mm_cvtsi128_si32(s) + _mm_cvtsi128_si32(_mm_srli_si128(s, 8))) as u64;
            // p <= limit exactly when min(p, limit) == p.
            let at_most = _mm_cmpeq_epi8(_mm_min_epu8(x, limit), x);
            dark += u64::from((_mm_movemask_epi8(at_most) as u32).count_ones());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for &p in &row[..16 * full] {
        sum += u64::from(p);
        dark += u64::from(p <= dark_level);
    }
    for &p in &row[16 * full..] {
        sum += u64::from(p);
        dark += u64::from(p <= dark_level);
    }
    (sum, dark)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_sad_matches_scalar_including_partial_block() {
        let a: Vec<u8> = (0..45u32).map(|i| (i * 37 % 251) as u8).collect();
        let b: Vec<u8> = (0..45u32).map(|i| (i * 91 % 239) as u8).collect();
        let mut blocks = vec![0u32; 3];
        add_block_sad(&a, &b, &mut blocks);
        for (i, got) in blocks.iter().enumerate() {
            let end = (16 * i + 16).min(45);
            assert_eq!(*got, scalar_sad(&a[16 * i..end], &b[16 * i..end]), "block {i}");
        }
    }

    #[test]
    fn sum_and_dark_match_scalar() {
        let row: Vec<u8> = (0..70u32).map(|i| (i * 53 % 256) as u8).collect();
        let (sum, dark) = sum_and_count_dark(&row, 40);
        assert_eq!(sum, row.iter().map(|&p| u64::from(p)).sum::<u64>());
        assert_eq!(dark, row.iter().filter(|&&p| p <= 40).count() as u64);
        assert_eq!(sum_and_count_dark(&[255; 32], 255), (255 * 32, 32));
        assert_eq!(sum_and_count_dark(&[0; 17], 0), (0, 17));
    }
}
