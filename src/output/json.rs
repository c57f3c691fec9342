//! Values written the way Kafka's JSON converters (Jackson) print them.

use super::base64;
use crate::schema::plan::{FieldPlan, MessagePlan, PlanType, StructPlan};
use crate::schema::types::{Default, Field};
use crate::schema::value::{Decoded, Node};

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
    // Plain ASCII needing no escape is by far the common case: one pass.
    if is_plain_ascii(bytes) {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => write_str(out, s),
        Err(_) => write_str(out, &String::from_utf8_lossy(bytes)),
    }
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

pub fn write_int(out: &mut Vec<u8>, v: i64) {
    // Small numbers (ids, counts, epochs) are most of what gets printed.
    if (0..10).contains(&v) {
        out.push(b'0' + v as u8);
        return;
    }
    if v == -1 {
        // Kafka's "none" (no leader, no producer, null length).
        out.extend_from_slice(b"-1");
        return;
    }
    let mut buf = [0u8; 20];
    out.extend_from_slice(format_int(&mut buf, v));
}

/// "00" to "99", for formatting two digits at a time.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes the digits of `n` right-aligned into `text`, which is long enough.
fn write_digits(text: &mut [u8; 20], mut n: u64) -> usize {
    let mut i = text.len();
    // Below 2^32 the divisions are cheaper: take the high digits off first.
    while n > u64::from(u32::MAX) {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        text[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    let mut n = n as u32;
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        text[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        text[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        text[i] = b'0' + n as u8;
    }
    i
}

/// Formats an integer into `buf` without allocating.
pub fn format_int(buf: &mut [u8; 20], v: i64) -> &[u8] {
    let mut i = write_digits(buf, v.unsigned_abs());
    if v < 0 {
        // i64::MIN has 19 digits, so there is always room for the sign.
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
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

/// Writes a message's JSON (its root struct) as its plan lays it out.
pub fn write_message(out: &mut Vec<u8>, doc: &Decoded<'_>, plan: &MessagePlan, style: JsonStyle) {
    write_struct(out, doc, 0, plan.root, style);
}

/// Writes the struct at `nodes[index]` as `plan` lays it out.
pub fn write_struct(
    out: &mut Vec<u8>,
    doc: &Decoded<'_>,
    index: usize,
    plan: &StructPlan,
    style: JsonStyle,
) {
    write_struct_node(out, doc, doc.nodes[index], plan, style);
}

fn write_struct_node(
    out: &mut Vec<u8>,
    doc: &Decoded<'_>,
    node: Node<'_>,
    plan: &StructPlan,
    style: JsonStyle,
) {
    let Node::Struct {
        first,
        unknown_first,
        unknown_len,
    } = node
    else {
        out.extend_from_slice(b"null");
        return;
    };
    let first = first as usize;
    out.push(b'{');
    // Each key carries the comma before it: skip it for the first field.
    let mut skip_comma = 1;
    for field in plan.present.iter() {
        let node = doc.nodes[first + field.slot];
        if field.tagged && (node == Node::Absent || is_default(field.field, node)) {
            continue;
        }
        out.extend_from_slice(&field.json_key[skip_comma..]);
        skip_comma = 0;
        write_value(out, doc, node, field, style);
    }
    if style.unknown_tags && unknown_len > 0 {
        if skip_comma == 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"\"_unknownTaggedFields\":[");
        let range = unknown_first as usize..(unknown_first + unknown_len) as usize;
        for (n, tag) in doc.unknown[range].iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"tag\":");
            write_int(out, i64::from(tag.tag));
            out.extend_from_slice(b",\"data\":\"");
            base64::encode_standard(out, tag.data);
            out.extend_from_slice(b"\"}");
        }
        out.push(b']');
    }
    out.push(b'}');
}

fn write_value(
    out: &mut Vec<u8>,
    doc: &Decoded<'_>,
    node: Node<'_>,
    field: &FieldPlan,
    style: JsonStyle,
) {
    match node {
        Node::Array { first, len } => {
            out.push(b'[');
            let elements = &doc.nodes[first as usize..(first + len) as usize];
            for (i, &element) in elements.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(out, doc, element, field, style);
            }
            out.push(b']');
        }
        _ => write_scalar(out, doc, node, field, style),
    }
}

fn write_scalar(
    out: &mut Vec<u8>,
    doc: &Decoded<'_>,
    node: Node<'_>,
    field: &FieldPlan,
    style: JsonStyle,
) {
    match node {
        Node::Absent | Node::Null => out.extend_from_slice(b"null"),
        Node::Bool(v) => out.extend_from_slice(if v { b"true" } else { b"false" }),
        Node::Int(v) => write_int(out, v),
        Node::Float(v) => {
            let text = java_double(v);
            if v.is_finite() {
                out.extend_from_slice(text.as_bytes());
            } else {
                write_str(out, &text);
            }
        }
        Node::Uuid(uuid) => {
            out.push(b'"');
            out.extend_from_slice(&base64::uuid_chars(&uuid));
            out.push(b'"');
        }
        Node::Str(bytes) => write_str_bytes(out, bytes),
        Node::Bytes(bytes) => {
            out.push(b'"');
            base64::encode_standard(out, bytes);
            out.push(b'"');
        }
        Node::Struct { .. } => {
            let PlanType::Struct(plan) = field.ty else {
                out.extend_from_slice(b"null");
                return;
            };
            write_struct_node(out, doc, node, plan, style);
        }
        Node::Array { .. } => out.extend_from_slice(b"null"),
    }
}

/// Whether a present tagged field holds its default, which Kafka does not print.
fn is_default(field: &Field, node: Node<'_>) -> bool {
    match (field.default, node) {
        (Default::Null, Node::Null) => true,
        (Default::Null, _) => false,
        (Default::Int(d), Node::Int(v)) => d == v,
        (Default::Bool(d), Node::Bool(v)) => d == v,
        (Default::Zero, Node::Int(v)) => v == 0,
        (Default::Zero, Node::Bool(v)) => !v,
        (Default::Zero, Node::Float(v)) => v == 0.0,
        (Default::Zero, Node::Uuid(u)) => u == [0; 16],
        (Default::Zero, Node::Str(s) | Node::Bytes(s)) => s.is_empty(),
        (Default::Zero, Node::Array { len, .. }) => len == 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut buf = [0u8; 20];
        for v in [
            0,
            7,
            10,
            99,
            100,
            9_999,
            10_000,
            123_456_789,
            1_704_067_200_000,
        ]
        .into_iter()
        .flat_map(|v: i64| [v, -v, v + 1, v - 1])
        .chain([i64::MAX, i64::MIN])
        {
            assert_eq!(format_int(&mut buf, v), v.to_string().as_bytes());
            let mut out = Vec::new();
            write_int(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
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
