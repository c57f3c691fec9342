//! Round trips over the schema table: for every record type and version,
//! random values encode, decode, and print back as the same JSON, and
//! re-encoding the printed JSON gives the same bytes.

use kraftlog::output::json::{JsonStyle, write_message};
use kraftlog::schema::encode::is_default;
use kraftlog::schema::plan::FieldPlan;
use kraftlog::schema::table::{CONTROL, METADATA};
use kraftlog::schema::walk::{Visitor, walk};
use kraftlog::schema::{Decoded, Field, Schema, Type, decode, encode};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// A small deterministic generator (SplitMix64), seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

const ALPHABET: &[&str] = &[
    "a", "Z", "9", "-", "_", ".", "é", "日本", "\"", "\\", "\n", "\u{1}", "🦀", " ",
];

fn random_string(rng: &mut Rng) -> String {
    (0..rng.below(12))
        .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize])
        .collect()
}

fn random_scalar(rng: &mut Rng, ty: Type, version: u16) -> Value {
    let bytes = |rng: &mut Rng, n: usize| -> Vec<u8> { (0..n).map(|_| rng.next() as u8).collect() };
    match ty {
        Type::Bool => Value::from(rng.chance(2)),
        Type::Int8 => Value::from(rng.next() as i8),
        Type::Int16 => Value::from(rng.next() as i16),
        Type::Uint16 => Value::from(rng.next() as u16),
        Type::Int32 => Value::from(rng.next() as i32),
        Type::Int64 => Value::from(rng.next() as i64),
        Type::Float64 => {
            let v = f64::from_bits(rng.next());
            Value::from(if v.is_finite() { v } else { 0.5 })
        }
        Type::Uuid => {
            let mut out = Vec::new();
            kraftlog::output::base64::encode_url(&mut out, &bytes(rng, 16));
            Value::from(String::from_utf8(out).unwrap())
        }
        Type::String => Value::from(random_string(rng)),
        Type::Bytes => {
            let n = rng.below(20) as usize;
            let mut out = Vec::new();
            kraftlog::output::base64::encode_standard(&mut out, &bytes(rng, n));
            Value::from(String::from_utf8(out).unwrap())
        }
        Type::Struct(fields) => random_struct(rng, fields, version),
    }
}

fn random_field(rng: &mut Rng, field: &Field, version: u16) -> Value {
    if field.nullable.contains(version) && rng.chance(4) {
        return Value::Null;
    }
    if field.array {
        let n = rng.below(4);
        return Value::Array(
            (0..n)
                .map(|_| random_scalar(rng, field.ty, version))
                .collect(),
        );
    }
    random_scalar(rng, field.ty, version)
}

fn random_struct(rng: &mut Rng, fields: &[Field], version: u16) -> Value {
    let mut object = Map::new();
    for field in fields.iter().filter(|f| f.versions.contains(version)) {
        let value = if field.tag_in(version).is_some() && rng.chance(3) {
            kraftlog::schema::encode::default_json(field)
        } else {
            random_field(rng, field, version)
        };
        object.insert(field.name.to_string(), value);
    }
    Value::Object(object)
}

/// What Kafka's converters print for `value`: tagged fields at their
/// default are left out, everything else as given. The keys, nested ones
/// included, go to `keys` in the order they are printed (a `Map` does not
/// keep it).
fn as_printed(
    fields: &[Field],
    version: u16,
    value: &Value,
    keys: &mut Vec<&'static str>,
) -> Value {
    let mut out = Map::new();
    for field in fields.iter().filter(|f| f.versions.contains(version)) {
        let v = &value[field.name];
        if field.tag_in(version).is_some() && is_default(field, v) {
            continue;
        }
        keys.push(field.name);
        let printed = match (field.ty, v) {
            (Type::Struct(inner), Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .map(|i| as_printed(inner, version, i, keys))
                    .collect(),
            ),
            (Type::Struct(inner), Value::Object(_)) => as_printed(inner, version, v, keys),
            _ => v.clone(),
        };
        out.insert(field.name.to_string(), printed);
    }
    Value::Object(out)
}

fn round_trip(schema: &'static Schema, version: u16, seed: u64) {
    let mut rng = Rng(seed);
    let value = random_struct(&mut rng, schema.fields, version);
    let mut bytes = Vec::new();
    encode(schema, version, &value, &mut bytes).expect("random values encode");

    let mut doc = Decoded::default();
    let (rest, ()) = decode(schema, version, &bytes, &mut doc).expect("encoded bytes decode");
    assert!(
        rest.is_empty(),
        "{} v{version}: {} bytes left",
        schema.name,
        rest.len()
    );

    let plan = kraftlog::schema::plan::of(schema, version);
    assert_eq!(
        kraftlog::schema::walk::check(plan.root, &bytes),
        Ok(&[][..]),
        "{} v{version}: the walk accepts what the decoder accepts",
        schema.name
    );
    let mut json = Vec::new();
    let written = write_message(&mut json, plan, &bytes, JsonStyle { unknown_tags: true });
    assert_eq!(written, Ok(&[][..]));
    let printed: Value = serde_json::from_slice(&json).expect("printed JSON parses");
    let mut keys = Vec::new();
    assert_eq!(
        printed,
        as_printed(schema.fields, version, &value, &mut keys),
        "{} v{version}",
        schema.name
    );
    let mut order = KeyOrder(Vec::new());
    assert_eq!(walk(plan.root, &bytes, &mut order), Ok(&[][..]));
    assert_eq!(order.0, keys, "{} v{version}: key order", schema.name);

    let mut again = Vec::new();
    encode(schema, version, &printed, &mut again).expect("printed JSON encodes");
    assert_eq!(
        again, bytes,
        "{} v{version}: re-encoding the printed JSON",
        schema.name
    );
}

/// The keys a walk prints, in order.
struct KeyOrder(Vec<&'static str>);

impl Visitor<'_> for KeyOrder {
    fn field(&mut self, field: &FieldPlan) {
        self.0.push(field.field.name);
    }
}

fn every_schema_version() -> Vec<(&'static Schema, u16)> {
    METADATA
        .iter()
        .chain(CONTROL.iter())
        .flat_map(|s| (s.valid.min..=s.valid.max).map(move |v| (*s, v)))
        .collect()
}

#[test]
fn the_table_covers_every_4_0_dev_record_version() {
    let count = every_schema_version().len();
    // 25 metadata types in 34 versions, plus 7 control types in 8 versions.
    assert_eq!(METADATA.len(), 25);
    assert_eq!(count, 34 + 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_record_version_round_trips(seed in any::<u64>()) {
        for (schema, version) in every_schema_version() {
            round_trip(schema, version, seed);
        }
    }

    #[test]
    fn truncated_bodies_are_errors_not_panics(seed in any::<u64>(), cut in any::<prop::sample::Index>()) {
        for (schema, version) in every_schema_version() {
            let mut rng = Rng(seed);
            let value = random_struct(&mut rng, schema.fields, version);
            let mut bytes = Vec::new();
            encode(schema, version, &value, &mut bytes).unwrap();
            if bytes.is_empty() {
                continue;
            }
            let cut = cut.index(bytes.len());
            let mut doc = Decoded::default();
            prop_assert!(decode(schema, version, &bytes[..cut], &mut doc).is_err(),
                "{} v{version} cut at {cut} of {}", schema.name, bytes.len());
        }
    }
}
