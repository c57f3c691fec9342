//! CRC-32C of a batch.
//!
//! Metadata batches are small (a hundred bytes or two), where the `crc32c`
//! crate spends more on lining the buffer up for its three-way interleaved
//! loop than on the CRC itself. Short buffers are folded here eight bytes
//! at a time with the SSE 4.2 instruction, unaligned; long ones go to the
//! crate.

/// Below this, one eight-byte lane beats the crate's interleaved loop.
const SHORT: usize = 512;

/// The CRC-32C (Castagnoli) of `bytes`, as Kafka stores it in a batch.
/// Inlined: the test for a short buffer costs less than a call that saves
/// the registers the crate's loop needs.
#[inline]
pub fn crc32c(bytes: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if bytes.len() < SHORT && std::is_x86_feature_detected!("sse4.2") {
        // SAFETY: the CPU has SSE 4.2, checked just above.
        return unsafe { x86::crc32c_short(bytes) };
    }
    crc32c_long(bytes)
}

#[inline(never)]
fn crc32c_long(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{_mm_crc32_u8, _mm_crc32_u16, _mm_crc32_u32, _mm_crc32_u64};

    #[target_feature(enable = "sse4.2")]
    pub fn crc32c_short(bytes: &[u8]) -> u32 {
        let mut crc = u64::from(u32::MAX);
        // Two words a turn: half the loop's own instructions.
        let mut pairs = bytes.chunks_exact(16);
        for pair in &mut pairs {
            let (a, b) = pair.split_at(8);
            crc = _mm_crc32_u64(crc, u64::from_le_bytes(a.try_into().expect("8 bytes")));
            crc = _mm_crc32_u64(crc, u64::from_le_bytes(b.try_into().expect("8 bytes")));
        }
        let mut rest = pairs.remainder();
        if let Some((word, tail)) = rest.split_first_chunk::<8>() {
            crc = _mm_crc32_u64(crc, u64::from_le_bytes(*word));
            rest = tail;
        }
        // The last 0-7 bytes in at most three steps rather than one a byte.
        let mut crc = crc as u32;
        if let Some((four, tail)) = rest.split_first_chunk::<4>() {
            crc = _mm_crc32_u32(crc, u32::from_le_bytes(*four));
            rest = tail;
        }
        if let Some((two, tail)) = rest.split_first_chunk::<2>() {
            crc = _mm_crc32_u16(crc, u16::from_le_bytes(*two));
            rest = tail;
        }
        if let Some(&byte) = rest.first() {
            crc = _mm_crc32_u8(crc, byte);
        }
        !crc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_the_crate_at_every_length_and_alignment() {
        let data: Vec<u8> = (0..2 * SHORT as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for start in 0..8 {
            for end in start..data.len() {
                let bytes = &data[start..end];
                assert_eq!(crc32c(bytes), crc32c::crc32c(bytes), "{start}..{end}");
            }
        }
    }

    #[test]
    fn known_value() {
        // The check value of CRC-32C.
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }
}
