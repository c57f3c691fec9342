//! Values written the way Kafka's JSON converters (Jackson) print them.

use super::base64;
use super::room::{MAX_RESERVE, Room};
use crate::schema::plan::{FieldPlan, MessagePlan};
use crate::schema::walk::{self, UnknownTags, Visitor, Walked};

/// Bytes Jackson escapes in a string: quote, backslash and control characters.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Appends `s` as a JSON string, escaped as Jackson does: quotes, backslash
/// and control characters only (short forms where JSON has them, else
/// `\u00XX` in upper-case hex); everything else as UTF-8.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Most strings need no escape: look once without branching per byte.
    if !bytes
        .iter()
        .fold(false, |any, &b| any | NEEDS_ESCAPE[b as usize])
    {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[b as usize] {
            continue;
        }
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => b"",
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 15) as usize]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends raw string bytes, replacing invalid UTF-8 as Java's decoder does.
pub fn write_str_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // At most six bytes (`\u00XX`) per byte, and the quotes.
    let bound = bytes.len().saturating_mul(6).saturating_add(2);
    if bound > MAX_RESERVE {
        return put_str_bytes(&mut Room::growing(out, bound), bytes);
    }
    put_str_bytes(&mut Room::new(out, bound), bytes);
}

/// [`write_str_bytes`] into `room`, which must hold six bytes per byte
/// and two more.
#[inline]
pub fn put_str_bytes<const G: bool>(room: &mut Room<'_, G>, bytes: &[u8]) {
    // Plain ASCII needing no escape is by far the common case: one pass.
    if is_plain_ascii(bytes) {
        room.byte(b'"');
        room.slice(bytes);
        room.byte(b'"');
        return;
    }
    room.with_vec(|out| match std::str::from_utf8(bytes) {
        Ok(s) => write_str(out, s),
        Err(_) => write_str(out, &String::from_utf8_lossy(bytes)),
    });
}

/// Whether `bytes` are ASCII that a JSON string holds as they are: no quote,
/// backslash, control character or byte above 0x7F. Eight bytes at a time.
fn is_plain_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    // High bit of each byte of `x` below `n`, for bytes below 0x80 (the
    // classic bit trick: a borrow may mark more bytes, never fewer).
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_ne_bytes(chunk.try_into().expect("8 bytes"));
        let special = (x & HIGH)
            | below(x, 0x20)
            | below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1);
        if special != 0 {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| b < 0x80 && !NEEDS_ESCAPE[b as usize])
}

/// Appends the text of `v`.
pub fn write_int(out: &mut Vec<u8>, v: i64) {
    put_int(&mut Room::new(out, INT_LEN), v);
}

/// The longest integer text, i64::MIN's.
const INT_LEN: usize = 20;

/// Appends the text of `v` to `room`. Inline for the small numbers (ids,
/// counts, epochs) that are most of what gets printed: out of line, the
/// registers the wide numbers need were saved and restored on every call.
#[inline]
pub fn put_int<const G: bool>(room: &mut Room<'_, G>, v: i64) {
    match v {
        0..=9 => room.byte(b'0' + v as u8),
        10..=99 => room.put(&[b'0' + v as u8 / 10, b'0' + v as u8 % 10]),
        _ => put_wide_int(room, v),
    }
}

#[inline(never)]
fn put_wide_int<const G: bool>(room: &mut Room<'_, G>, v: i64) {
    match v {
        100..=999 => {
            let v = v as u16;
            let digits = [v / 100, v / 10 % 10, v % 10].map(|d| b'0' + d as u8);
            return room.put(&digits);
        }
        // Kafka's -1 for none.
        -1 => return room.put(b"-1"),
        _ => {}
    }
    let mut text = [0; INT_TEXT];
    let len = format_int(&mut text, v);
    room.chunk(text.first_chunk::<INT_COPY>().expect("INT_COPY"), len);
}

/// Room for an integer's text: a sign and 20 digits at most, and eight
/// bytes written past the end of the digits.
const INT_TEXT: usize = 32;
/// How much of it is appended: at least the longest text, i64::MIN's 20.
const INT_COPY: usize = 24;

/// Writes `v` at the start of `text`; returns its length. Inline in its
/// few callers, which are out of line themselves: a call of its own cost a
/// tenth of its work.
#[inline(always)]
fn format_int(text: &mut [u8; INT_TEXT], v: i64) -> usize {
    const E8: u64 = 100_000_000;
    const E16: u64 = E8 * E8;
    let n = v.unsigned_abs();
    let mut at = usize::from(v < 0);
    text[0] = b'-';
    if n < E8 {
        at = put_leading(text, at, n as u32);
    } else if n < E16 {
        let high = (n / E8) as u32;
        if high < 100 {
            // Up to ten digits (CRCs, positions): the one or two leading
            // ones without the lanes.
            let two = usize::from(high >= 10);
            text[at] = b'0' + (high / 10) as u8;
            text[at + two] = b'0' + (high % 10) as u8;
            at += 1 + two;
        } else {
            at = put_leading(text, at, high);
        }
        at = put_eight(text, at, (n % E8) as u32);
    } else {
        at = put_leading(text, at, (n / E16) as u32);
        let rest = n % E16;
        at = put_eight(text, at, (rest / E8) as u32);
        at = put_eight(text, at, (rest % E8) as u32);
    }
    at
}

/// Writes `n` (below 10^8) at `at` without leading zeros; returns the end.
#[inline]
fn put_leading(text: &mut [u8; INT_TEXT], at: usize, n: u32) -> usize {
    let digits = digit_lanes(n);
    // The first digit is the lowest byte, so the leading zeros are the low
    // zero bytes (all but one of them for 0): no logarithm needed.
    let zeros = (digits.trailing_zeros() / 8).min(7);
    // The eight digits with the leading zeros shifted out.
    let text_digits = (digits | ASCII_ZEROS) >> (8 * zeros);
    text[at..at + 8].copy_from_slice(&text_digits.to_le_bytes());
    at + 8 - zeros as usize
}

/// Writes `n` (below 10^8) at `at` as exactly eight digits; returns the end.
#[inline]
fn put_eight(text: &mut [u8; INT_TEXT], at: usize, n: u32) -> usize {
    text[at..at + 8].copy_from_slice(&eight_digits(n).to_le_bytes());
    at + 8
}

/// Writes integers, keeping the text of the last one to reuse when the next
/// is the same (a batch's records share its timestamp) or one more whose
/// last digit is not 9 (offsets count up).
#[derive(Clone, Debug)]
pub struct IntWriter {
    value: i64,
    /// The text of `value`, then room to copy it as one fixed-size chunk.
    text: [u8; INT_TEXT],
    len: usize,
    /// `value` without its last eight digits, while `value` is at least
    /// 10^8: the texts of the integers from there to 10^8 more differ from
    /// it in those digits only.
    eights: i64,
}

/// Starts with the text of 0, so that there is always a text to reuse.
impl Default for IntWriter {
    fn default() -> Self {
        let mut text = [0; INT_TEXT];
        text[0] = b'0';
        IntWriter {
            value: 0,
            text,
            len: 1,
            eights: 0,
        }
    }
}

impl IntWriter {
    /// Appends the text of `v`.
    pub fn write(&mut self, out: &mut Vec<u8>, v: i64) {
        self.put(&mut Room::new(out, INT_LEN), v);
    }

    /// Appends the text of `v` to `room`. Inline: the text is mostly
    /// reused as it is.
    #[inline(always)]
    pub fn put(&mut self, room: &mut Room<'_>, v: i64) {
        self.hold(v);
        room.chunk(
            self.text.first_chunk::<INT_COPY>().expect("INT_COPY"),
            self.len,
        );
    }

    /// Makes the text that of `v`: as it is when `v` is the value already.
    #[inline(always)]
    fn hold(&mut self, v: i64) {
        if v != self.value {
            self.set(v);
        }
    }

    /// Makes the text that of `v`, by a new last digit where it can.
    #[inline]
    fn set(&mut self, v: i64) {
        let next = self.value.checked_add(1) == Some(v) && self.value >= 0;
        if next && self.text[self.len - 1] != b'9' {
            self.text[self.len - 1] += 1;
        } else {
            self.format(v);
        }
        self.value = v;
    }

    /// Apart from [`Self::set`]: its registers would make every write save
    /// and restore them.
    #[inline(never)]
    fn format(&mut self, v: i64) {
        const E8: i64 = 100_000_000;
        // `v` in `eights..eights + E8` (so at least E8).
        let low = v.checked_sub(self.eights).unwrap_or(-1);
        if self.value >= E8 && (0..E8).contains(&low) {
            // Only the last eight digits change (the records' timestamps
            // of a batch, and of the batches after it): the text keeps its
            // length and its leading digits.
            put_eight(&mut self.text, self.len - 8, low as u32);
            return;
        }
        self.len = format_int(&mut self.text, v);
        self.eights = v - v % E8;
    }
}

/// The eight ASCII digits of `n` (below 10^8, with leading zeros), first
/// digit in the lowest byte.
#[inline]
fn eight_digits(n: u32) -> u64 {
    digit_lanes(n) | ASCII_ZEROS
}

/// `'0'` in every byte.
const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// The eight decimal digits of `n` (below 10^8, with leading zeros) as byte
/// values 0-9, first digit in the lowest byte, computed in all lanes of one
/// 64-bit word at once (no division by 10 per digit): the two halves of
/// four digits, then the four pairs, then the eight digits.
#[inline]
fn digit_lanes(n: u32) -> u64 {
    // [n / 10^4, n % 10^4] in 32-bit lanes.
    let fours = u64::from(n / 10_000) | (u64::from(n % 10_000) << 32);
    // Each lane divided by 100: `x * 10486 >> 20` is `x / 100` below 10^4.
    let hundreds = ((fours * 10_486) >> 20) & 0x0000_007F_0000_007F;
    let pairs = (fours - 100 * hundreds) << 16 | hundreds;
    // Each 16-bit lane divided by 10: `x * 103 >> 10` is `x / 10` below 100.
    let tens = ((pairs * 103) >> 10) & 0x000F_000F_000F_000F;
    (pairs - 10 * tens) << 8 | tens
}

/// Java's `Double.toString`: plain notation for 1e-3 <= |v| < 1e7 (always
/// with a fractional part), computerized scientific notation otherwise, the
/// shortest digits that read back to the same double.
pub fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let abs = v.abs();
    if (1e-3..1e7).contains(&abs) {
        let s = format!("{v}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        // Rust's `{:e}` gives the shortest digits as `d.ddde-n` / `de7`.
        let s = format!("{v:e}");
        let (mantissa, exponent) = s.split_once('e').expect("exponent");
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exponent}")
    }
}

/// How to print: Kafka's text (unknown tagged fields dropped, as Kafka's
/// converters do) or our JSON Lines (unknown tagged fields kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonStyle {
    pub unknown_tags: bool,
}

/// Writes the JSON of the message at the start of `body`, straight from its
/// wire bytes, as `plan` lays it out. `Err` when the body is malformed: what
/// was written is then partial, and callers cut it off.
pub fn write_message<'a>(
    out: &mut Vec<u8>,
    plan: &MessagePlan,
    body: &'a [u8],
    style: JsonStyle,
) -> Walked<'a> {
    let bound = plan.json_bound(body.len());
    if bound > MAX_RESERVE {
        return put_message(&mut Room::growing(out, bound), plan, body, style);
    }
    put_message(&mut Room::new(out, bound), plan, body, style)
}

/// [`write_message`] into `room`, which must hold
/// [`MessagePlan::json_bound`] of `body`'s length more bytes.
#[inline]
pub fn put_message<'a, const G: bool>(
    room: &mut Room<'_, G>,
    plan: &MessagePlan,
    body: &'a [u8],
    style: JsonStyle,
) -> Walked<'a> {
    let mut writer = JsonWriter {
        out: room,
        first: true,
        style,
    };
    walk::walk(plan.root, body, &mut writer)
}

/// Prints what the walk reports, as Kafka's JSON converters lay it out,
/// into room reserved for the message's bound.
struct JsonWriter<'o, 'v, const G: bool> {
    out: &'o mut Room<'v, G>,
    /// No field of the innermost open struct is written yet (each key
    /// carries the comma before it, skipped for the first).
    first: bool,
    style: JsonStyle,
}

impl<'a, const G: bool> Visitor<'a> for JsonWriter<'_, '_, G> {
    fn struct_start(&mut self) {
        self.out.byte(b'{');
        self.first = true;
    }

    #[inline]
    fn field(&mut self, field: &FieldPlan) {
        let (block, len) = field.json_key.block(self.first);
        self.out.chunk(block, len);
        self.first = false;
    }

    fn null(&mut self) {
        self.out.put(b"null");
    }

    fn bool(&mut self, v: bool) {
        if v {
            self.out.put(b"true");
        } else {
            self.out.put(b"false");
        }
    }

    #[inline]
    fn int(&mut self, v: i64) {
        put_int(self.out, v);
    }

    fn float(&mut self, v: f64) {
        self.out.with_vec(|out| {
            let text = java_double(v);
            if v.is_finite() {
                out.extend_from_slice(text.as_bytes());
            } else {
                write_str(out, &text);
            }
        });
    }

    #[inline]
    fn uuid(&mut self, v: &'a [u8; 16]) {
        let mut quoted = [b'"'; 24];
        quoted[1..23].copy_from_slice(&base64::uuid_chars(v));
        self.out.put(&quoted);
    }

    fn string(&mut self, v: &'a [u8]) {
        put_str_bytes(self.out, v);
    }

    fn bytes(&mut self, v: &'a [u8]) {
        self.out.with_vec(|out| {
            out.push(b'"');
            base64::encode_standard(out, v);
            out.push(b'"');
        });
    }

    fn array_start(&mut self, _len: usize) {
        self.out.byte(b'[');
    }

    #[inline]
    fn element(&mut self, index: usize) {
        if index > 0 {
            self.out.byte(b',');
        }
    }

    fn array_end(&mut self) {
        self.out.byte(b']');
    }

    #[inline]
    fn struct_end(&mut self, unknown: UnknownTags<'a>) {
        if self.style.unknown_tags && !unknown.is_empty() {
            let first = self.first;
            self.out.with_vec(|out| unknown_tags(out, first, unknown));
        }
        self.out.byte(b'}');
        // The struct was a value of its parent, which has written a field
        // (or is an array, which counts its own elements).
        self.first = false;
    }
}

/// `"_unknownTaggedFields":[…]` of a struct, if it holds any, with a comma
/// unless it is the `first` field. Out of line: rare, and its registers
/// would be saved on every struct's end.
#[inline(never)]
fn unknown_tags(out: &mut Vec<u8>, first: bool, unknown: UnknownTags<'_>) {
    let mut any = false;
    for (n, (tag, data)) in unknown.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        } else {
            if !first {
                out.push(b',');
            }
            out.extend_from_slice(b"\"_unknownTaggedFields\":[");
        }
        out.extend_from_slice(b"{\"tag\":");
        write_int(out, i64::from(tag));
        out.extend_from_slice(b",\"data\":\"");
        base64::encode_standard(out, data);
        out.extend_from_slice(b"\"}");
        any = true;
    }
    if any {
        out.push(b']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::wire::write::unsigned_varint;
    use crate::schema::plan::{PlanType, StructPlan};

    /// Bodies of a plan built from its fields, toward the most text per
    /// byte: extreme integers, strings of escaped and invalid bytes, arrays
    /// of small elements, every tagged field and unknown ones.
    struct Extreme {
        rng: u64,
    }

    impl Extreme {
        fn next(&mut self) -> u64 {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            self.rng
        }

        fn length(&mut self, out: &mut Vec<u8>, flexible: bool, width: usize, len: Option<usize>) {
            if flexible {
                let n = len.map_or(0, |len| len as u32 + 1);
                unsigned_varint(out, n);
            } else {
                let n = len.map_or(-1, |len| len as i64);
                out.extend_from_slice(&n.to_be_bytes()[8 - width..]);
            }
        }

        fn struct_body(&mut self, plan: &StructPlan, depth: usize, out: &mut Vec<u8>) {
            for field in plan.untagged.iter() {
                self.field(plan.flexible, field, depth, out);
            }
            if !plan.flexible {
                return;
            }
            let known: Vec<&FieldPlan> = plan.present.iter().filter(|f| f.tag.is_some()).collect();
            let unknown = (self.next() % 3) as usize;
            unsigned_varint(out, (known.len() + unknown) as u32);
            for field in known {
                unsigned_varint(out, field.tag.expect("tagged"));
                let mut data = Vec::new();
                self.field(true, field, depth, &mut data);
                unsigned_varint(out, data.len() as u32);
                out.extend_from_slice(&data);
            }
            for n in 0..unknown {
                unsigned_varint(out, (plan.by_tag.len() + n) as u32);
                let len = (self.next() % 3) as usize;
                unsigned_varint(out, len as u32);
                out.extend((0..len).map(|_| self.next() as u8));
            }
        }

        fn field(&mut self, flexible: bool, field: &FieldPlan, depth: usize, out: &mut Vec<u8>) {
            if !field.array {
                return self.value(flexible, field, depth, out);
            }
            // Long arrays at the top, where the struct's own keys do not
            // outweigh them.
            let pick = self.next();
            let count = match depth {
                0 if pick.is_multiple_of(3) => 100 + (pick >> 8) as usize % 200,
                0..=3 => pick as usize % 6,
                _ => 0,
            };
            self.length(out, flexible, 4, Some(count));
            for _ in 0..count {
                self.value(flexible, field, depth + 1, out);
            }
        }

        fn value(&mut self, flexible: bool, field: &FieldPlan, depth: usize, out: &mut Vec<u8>) {
            let pick = self.next();
            match field.ty {
                PlanType::Bool => out.push(pick as u8 & 1),
                PlanType::Int8 => out.push(0x80),
                PlanType::Int16 => out.extend_from_slice(&i16::MIN.to_be_bytes()),
                PlanType::Uint16 => out.extend_from_slice(&u16::MAX.to_be_bytes()),
                PlanType::Int32 => out.extend_from_slice(&i32::MIN.to_be_bytes()),
                PlanType::Int64 => out.extend_from_slice(&i64::MIN.to_be_bytes()),
                PlanType::Float64 => {
                    let v = [
                        -2.2250738585072014E-308,
                        f64::MIN,
                        -0.0012345678901234567,
                        f64::NEG_INFINITY,
                    ][pick as usize % 4];
                    out.extend_from_slice(&f64::to_be_bytes(v));
                }
                PlanType::Uuid => out.extend((0..16).map(|_| self.next() as u8)),
                PlanType::String | PlanType::Bytes => {
                    let string = matches!(field.ty, PlanType::String);
                    let len = (pick % 6) as usize;
                    let null = field.nullable && pick.is_multiple_of(7);
                    self.length(
                        out,
                        flexible,
                        if string { 2 } else { 4 },
                        (!null).then_some(len),
                    );
                    if !null {
                        out.extend((0..len).map(|i| {
                            [0x01, b'"', 0xff, 0xc3, b'a'][(pick as usize >> 8).wrapping_add(i) % 5]
                        }));
                    }
                }
                PlanType::Struct(plan) => self.struct_body(plan, depth, out),
            }
        }
    }

    /// A value too big to reserve its bound for prints in a growing room,
    /// which grows past its first MiB: a 450,000-byte topic name (1.35 MB
    /// of JSON) and 200,000 replicas (2.1 MB).
    #[test]
    fn huge_values_print_in_a_growing_room() {
        use crate::output::room::SLACK;
        use crate::schema::{metadata_schema_by_name, plan};
        // A compact length: N + 1.
        let compact = |out: &mut Vec<u8>, n: usize| unsigned_varint(out, n as u32 + 1);
        let topic = plan::of(metadata_schema_by_name("TOPIC_RECORD").expect("schema"), 0);
        let mut body = Vec::new();
        let name: Vec<u8> = (0..450_000).map(|i| [b'a', b'"', 0x01][i % 3]).collect();
        compact(&mut body, name.len());
        body.extend_from_slice(&name);
        body.extend_from_slice(&[0; 16]);
        body.push(0);
        assert!(topic.json_bound(body.len()) > MAX_RESERVE);
        let mut out = b"head".to_vec();
        assert_eq!(
            write_message(&mut out, topic, &body, JsonStyle { unknown_tags: true }),
            Ok(&[][..])
        );
        assert!(out.len() > MAX_RESERVE + SLACK);
        let expected = format!(
            "head{{\"name\":\"{}\",\"topicId\":\"AAAAAAAAAAAAAAAAAAAAAA\"}}",
            "a\\\"\\u0001".repeat(150_000)
        );
        assert_eq!(String::from_utf8(out).expect("UTF-8"), expected);

        let partition = plan::of(
            metadata_schema_by_name("PARTITION_RECORD").expect("schema"),
            0,
        );
        let mut body = Vec::new();
        body.extend_from_slice(&7i32.to_be_bytes());
        body.extend_from_slice(&[0; 16]);
        compact(&mut body, 200_000);
        (0..200_000i32).for_each(|r| body.extend_from_slice(&(r * 10_000).to_be_bytes()));
        for list in 0..3 {
            compact(&mut body, list);
            (0..list as i32).for_each(|r| body.extend_from_slice(&r.to_be_bytes()));
        }
        [1i32, 2, 3]
            .iter()
            .for_each(|v| body.extend_from_slice(&v.to_be_bytes()));
        body.push(0);
        assert!(partition.json_bound(body.len()) > MAX_RESERVE);
        let mut out = Vec::new();
        assert_eq!(
            write_message(&mut out, partition, &body, JsonStyle { unknown_tags: true }),
            Ok(&[][..])
        );
        assert!(out.len() > MAX_RESERVE + SLACK);
        let replicas: Vec<String> = (0..200_000).map(|r| (r * 10_000).to_string()).collect();
        let expected = format!(
            "{{\"partitionId\":7,\"topicId\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"replicas\":[{}],\
             \"isr\":[],\"removingReplicas\":[0],\"addingReplicas\":[0,1],\"leader\":1,\
             \"leaderEpoch\":2,\"partitionEpoch\":3}}",
            replicas.join(",")
        );
        assert_eq!(String::from_utf8(out).expect("UTF-8"), expected);
    }

    #[test]
    fn messages_print_within_their_json_bound() {
        use crate::schema::plan;
        use crate::schema::table::{CONTROL, METADATA};
        let mut extreme = Extreme {
            rng: 0x9E37_79B9_7F4A_7C15,
        };
        let mut out = Vec::new();
        let mut check = |plan: &MessagePlan, body: &[u8]| {
            for unknown_tags in [true, false] {
                out.clear();
                // The room checks each piece against the bound (debug builds).
                let _ = write_message(&mut out, plan, body, JsonStyle { unknown_tags });
                assert!(
                    out.len() <= plan.json_bound(body.len()),
                    "{}",
                    plan.schema.name
                );
            }
        };
        for &schema in METADATA.iter().chain(CONTROL.iter()) {
            for version in schema.valid.min..=schema.valid.max {
                let plan = plan::of(schema, version);
                for round in 0..40 {
                    let mut body = Vec::new();
                    extreme.struct_body(plan.root, 0, &mut body);
                    check(plan, &body);
                    // Cut short and damaged: the walk stops part way.
                    for _ in 0..20 {
                        let len = extreme.next() as usize % body.len().max(1);
                        check(plan, &body[..len]);
                    }
                    let at = extreme.next() as usize % body.len().max(1);
                    if let Some(byte) = body.get_mut(at) {
                        *byte ^= 1 << (round % 8);
                    }
                    check(plan, &body);
                }
            }
        }
    }

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(java_double(1048576.0), "1048576.0");
        assert_eq!(java_double(25.5), "25.5");
        assert_eq!(java_double(0.25), "0.25");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(1.5e-4), "1.5E-4");
        assert_eq!(java_double(0.001), "0.001");
        assert_eq!(java_double(-0.0), "-0.0");
        assert_eq!(java_double(123456789.0), "1.23456789E8");
    }

    #[test]
    fn raw_strings_take_the_fast_path_only_when_it_changes_nothing() {
        let cases: [&[u8]; 7] = [
            b"orders.v2-00017",
            b"",
            b"quote\" and \\ backslash",
            b"tab\there\x7f",
            "caf\u{e9} \u{1f600}".as_bytes(),
            b"bad \xff\xfe utf-8",
            b"\x00\x1f control",
        ];
        for bytes in cases {
            let mut fast = Vec::new();
            write_str_bytes(&mut fast, bytes);
            let mut general = Vec::new();
            write_str(&mut general, &String::from_utf8_lossy(bytes));
            assert_eq!(fast, general, "{bytes:?}");
        }
    }

    #[test]
    fn integers_print_like_display() {
        for v in [
            0,
            7,
            10,
            99,
            100,
            9_999,
            10_000,
            123_456_789,
            100_000_000,
            10_000_000_000_000_000,
            1_704_067_200_000,
        ]
        .into_iter()
        .flat_map(|v: i64| [v, -v, v + 1, v - 1])
        .chain([i64::MAX, i64::MIN])
        {
            let mut out = Vec::new();
            write_int(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
    }

    #[test]
    fn the_lane_divisions_hold_on_their_whole_range() {
        for x in 0..10_000u64 {
            assert_eq!((x * 10_486) >> 20, x / 100, "{x}");
        }
        for x in 0..100u64 {
            assert_eq!((x * 103) >> 10, x / 10, "{x}");
        }
    }

    #[test]
    fn integers_of_every_width_print_like_display() {
        let mut out = Vec::new();
        let mut check = |v: i64| {
            out.clear();
            write_int(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        };
        for v in 0..200_000 {
            check(v);
            check(-v);
        }
        let mut power = 1i64;
        while let Some(next) = power.checked_mul(10) {
            for v in [power - 1, power, power + 1, next / 3, next - 1] {
                check(v);
                check(-v);
            }
            power = next;
        }
        // A deterministic spread of wide values.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            check(x as i64);
            check((x >> (x % 64)) as i64);
        }
        check(i64::MAX);
        check(i64::MIN);
    }

    #[test]
    fn reused_integer_text_is_the_integer() {
        let mut writer = IntWriter::default();
        let mut out = Vec::new();
        let values = [
            5,
            5,
            6,
            9,
            10,
            11,
            19,
            20,
            99,
            100,
            100,
            -3,
            -2,
            -1,
            0,
            1,
            1_704_067_200_000,
            1_704_067_200_000,
            1_704_067_200_001,
            i64::MAX - 1,
            i64::MAX,
            i64::MIN,
        ];
        for v in values {
            out.clear();
            writer.write(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
    }

    #[test]
    fn reused_integer_text_with_new_last_digits_is_the_integer() {
        let mut writer = IntWriter::default();
        let mut out = Vec::new();
        let mut check = |v: i64| {
            out.clear();
            writer.write(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes(), "{v}");
        };
        // Across the boundaries of the last eight digits and of the length.
        for v in [
            99_999_999,
            100_000_000,
            100_000_001,
            199_999_999,
            200_000_000,
            100_000_000,
            1_704_067_200_480,
            1_704_067_199_999,
            1_704_000_000_000,
            1_703_999_999_999,
            1_704_099_999_999,
            17_040_999_999_999,
            1_704_067_200_480,
            -1_704_067_200_480,
            -1_704_067_200_481,
            1_704_067_200_481,
            i64::MAX,
            i64::MAX - 100_000_000,
            i64::MIN,
        ] {
            check(v);
        }
        // Steps of every size around many magnitudes.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut v = 0i64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v = match x % 8 {
                0 => (x >> 4) as i64 >> (x % 64),
                1 => v.wrapping_sub((x >> 40) as i64),
                _ => v.wrapping_add((x >> (20 + x % 40)) as i64),
            };
            check(v);
        }
    }

    #[test]
    fn strings_escape_like_jackson() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"b\\c\n\u{1}é");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\\"b\\\\c\\n\\u0001é\""
        );
    }
}
