//! Base64 as Kafka prints it: Uuids in the URL-safe alphabet without padding,
//! bytes in the standard alphabet with padding.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode_with(out: &mut Vec<u8>, bytes: &[u8], alphabet: &[u8; 64], pad: bool) {
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize]);
            } else if pad {
                out.push(b'=');
            }
        }
    }
}

/// Standard base64 with padding (Kafka's bytes fields).
pub fn encode_standard(out: &mut Vec<u8>, bytes: &[u8]) {
    encode_with(out, bytes, STANDARD, true)
}

/// URL-safe base64 without padding (Kafka's `Uuid.toString`).
pub fn encode_url(out: &mut Vec<u8>, bytes: &[u8]) {
    encode_with(out, bytes, URL, false)
}

/// The two URL-safe characters of every 12-bit value, so that a Uuid takes
/// eleven table lookups instead of twenty-two.
static URL_PAIRS: [[u8; 2]; 4096] = {
    let mut pairs = [[0u8; 2]; 4096];
    let mut v = 0;
    while v < 4096 {
        pairs[v] = [URL[v >> 6], URL[v & 63]];
        v += 1;
    }
    pairs
};

/// The 22 characters of a Uuid as Kafka prints it: ten 12-bit groups, then
/// the last byte's six and two bits (Uuids are printed often). Read as two
/// 64-bit halves, whose shifts are one instruction each where those of a
/// `u128` are several.
pub fn uuid_chars(uuid: &[u8; 16]) -> [u8; 22] {
    let (high, low) = uuid.split_at(8);
    let high = u64::from_be_bytes(high.try_into().expect("8 bytes"));
    let low = u64::from_be_bytes(low.try_into().expect("8 bytes"));
    let groups = [
        high >> 52,
        high >> 40,
        high >> 28,
        high >> 16,
        high >> 4,
        // Four bits of the high half, eight of the low.
        high << 8 | low >> 56,
        low >> 44,
        low >> 32,
        low >> 20,
        low >> 8,
    ];
    let mut text = [0u8; 22];
    for (pair, group) in text[..20].chunks_exact_mut(2).zip(groups) {
        pair.copy_from_slice(&URL_PAIRS[group as usize & 0xfff]);
    }
    text[20] = URL[(low >> 2) as usize & 63];
    text[21] = URL[((low & 3) << 4) as usize];
    text
}

/// A Uuid as Kafka prints it.
pub fn uuid_string(uuid: &[u8; 16]) -> String {
    String::from_utf8(uuid_chars(uuid).to_vec()).expect("base64 is ASCII")
}

fn decode_with(text: &str, alphabet: &[u8; 64]) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = alphabet.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

pub fn decode_standard(text: &str) -> Option<Vec<u8>> {
    decode_with(text, STANDARD)
}

pub fn decode_url(text: &str) -> Option<Vec<u8>> {
    decode_with(text, URL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_known_encodings() {
        let mut out = Vec::new();
        encode_standard(&mut out, b"any carnal pleas");
        assert_eq!(out, b"YW55IGNhcm5hbCBwbGVhcw==");
        assert_eq!(
            decode_standard("YW55IGNhcm5hbCBwbGVhcw==").unwrap(),
            b"any carnal pleas"
        );
        let uuid = decode_url("5zoAlv-xEh9xRANKXt1Lbg").unwrap();
        assert_eq!(uuid.len(), 16);
        assert_eq!(
            uuid_string(&uuid.try_into().unwrap()),
            "5zoAlv-xEh9xRANKXt1Lbg"
        );
        for seed in 0..=255u8 {
            let uuid: [u8; 16] =
                std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 17));
            let mut general = Vec::new();
            encode_url(&mut general, &uuid);
            assert_eq!(uuid_chars(&uuid).as_slice(), general.as_slice());
        }
    }
}
