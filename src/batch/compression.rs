//! Decompressing a batch's records section, as Kafka's codecs wrote it.
//!
//! KRaft never compresses the metadata log, but segments of ordinary topics
//! often are. Output is capped so that a hostile batch cannot make us
//! allocate without bound: no real batch inflates more than the cap allows.

use std::io::Read;

use super::header::Compression;

/// Largest decompressed size accepted for one batch.
pub fn inflate_limit(compressed_len: usize) -> usize {
    compressed_len.saturating_mul(256).clamp(1 << 20, 256 << 20)
}

/// The decompressed records of a batch, or why they cannot be had.
pub fn decompress(codec: Compression, bytes: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    match codec {
        Compression::None => Ok(bytes.to_vec()),
        Compression::Gzip => read_capped(flate2::read::GzDecoder::new(bytes), limit),
        Compression::Snappy => xerial_snappy(bytes, limit),
        Compression::Lz4 => read_capped(lz4_flex::frame::FrameDecoder::new(bytes), limit),
        Compression::Zstd => {
            let decoder = zstd::stream::read::Decoder::new(bytes).map_err(|e| e.to_string())?;
            read_capped(decoder, limit)
        }
        Compression::Unknown(id) => Err(format!("unknown compression type id {id}")),
    }
}

fn read_capped(reader: impl Read, limit: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    if out.len() > limit {
        return Err(format!("decompresses to more than {limit} bytes"));
    }
    Ok(out)
}

/// The magic that starts Snappy data in the xerial framing Kafka writes.
const XERIAL_MAGIC: &[u8; 8] = b"\x82SNAPPY\x00";

/// Xerial framing: magic, version and compatible version (int32 each), then
/// blocks of an int32 length and raw Snappy data. Without the magic, the
/// bytes are one raw Snappy block.
fn xerial_snappy(bytes: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut decoder = snap::raw::Decoder::new();
    let Some(mut rest) = bytes.strip_prefix(XERIAL_MAGIC.as_slice()) else {
        return raw_snappy(&mut decoder, bytes, limit, Vec::new());
    };
    rest = rest.get(8..).ok_or("truncated xerial snappy header")?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let len = rest
            .get(..4)
            .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")) as usize)
            .ok_or("truncated xerial snappy block length")?;
        let block = rest
            .get(4..4 + len)
            .ok_or("xerial snappy block runs past the batch")?;
        out = raw_snappy(&mut decoder, block, limit, out)?;
        rest = &rest[4 + len..];
    }
    Ok(out)
}

fn raw_snappy(
    decoder: &mut snap::raw::Decoder,
    block: &[u8],
    limit: usize,
    mut out: Vec<u8>,
) -> Result<Vec<u8>, String> {
    let len = snap::raw::decompress_len(block).map_err(|e| e.to_string())?;
    if out.len() + len > limit {
        return Err(format!("decompresses to more than {limit} bytes"));
    }
    let start = out.len();
    out.resize(start + len, 0);
    decoder
        .decompress(block, &mut out[start..])
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Compresses `bytes` the way Kafka's producers do (for tests and fixtures).
pub fn compress(codec: Compression, bytes: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    match codec {
        Compression::None => Ok(bytes.to_vec()),
        Compression::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(bytes).map_err(|e| e.to_string())?;
            encoder.finish().map_err(|e| e.to_string())
        }
        Compression::Snappy => {
            let block = snap::raw::Encoder::new()
                .compress_vec(bytes)
                .map_err(|e| e.to_string())?;
            let mut out = XERIAL_MAGIC.to_vec();
            out.extend_from_slice(&1i32.to_be_bytes());
            out.extend_from_slice(&1i32.to_be_bytes());
            out.extend_from_slice(&(block.len() as i32).to_be_bytes());
            out.extend_from_slice(&block);
            Ok(out)
        }
        Compression::Lz4 => {
            let mut encoder = lz4_flex::frame::FrameEncoder::new(Vec::new());
            encoder.write_all(bytes).map_err(|e| e.to_string())?;
            encoder.finish().map_err(|e| e.to_string())
        }
        Compression::Zstd => zstd::stream::encode_all(bytes, 3).map_err(|e| e.to_string()),
        Compression::Unknown(id) => Err(format!("unknown compression type id {id}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_round_trips() {
        let data: Vec<u8> = (0..5000u32).flat_map(|i| (i % 251).to_be_bytes()).collect();
        for codec in [
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let packed = compress(codec, &data).unwrap();
            assert_eq!(
                decompress(codec, &packed, 1 << 20).unwrap(),
                data,
                "{codec:?}"
            );
            assert!(
                decompress(codec, &packed, 100).is_err(),
                "{codec:?} honours the cap"
            );
        }
    }

    #[test]
    fn garbage_is_an_error() {
        for codec in [
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            assert!(
                decompress(codec, &[0xff; 40], 1 << 20).is_err(),
                "{codec:?}"
            );
        }
    }
}
