//! A message body walked on the wire, value by value in JSON order, without
//! building nodes: the fast path for readers that need each value once (the
//! dump's formatters, `--verify --check-values`).
//!
//! It accepts exactly what [`super::decode`] accepts (the mutation tests and
//! the fuzz harness hold the two to that) but only says *that* the input is
//! malformed, not why: a caller that needs the reason asks the decoder, which
//! is off the hot path because damage is rare.

use super::plan::{FieldPlan, PlanType, StructPlan};
use super::types::Default;
use crate::bytes::wire::{be_i16, be_i32, unsigned_varint};

/// The input does not hold a message of the walked schema and version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

/// The bytes after the walked value.
pub type Walked<'a> = Result<&'a [u8], Malformed>;

/// Receives a message's values in the order its JSON lists them: a struct's
/// fields in declaration order, tagged fields at their default left out (as
/// Kafka's converters leave them out), unknown tagged fields at the end.
pub trait Visitor<'a> {
    /// A visitor that looks at no value: the walk may skip work that only
    /// orders values for it.
    const CHECK_ONLY: bool = false;

    fn struct_start(&mut self) {}
    /// The next value is this field's.
    fn field(&mut self, _field: &FieldPlan) {}
    fn null(&mut self) {}
    fn bool(&mut self, _v: bool) {}
    fn int(&mut self, _v: i64) {}
    fn float(&mut self, _v: f64) {}
    fn uuid(&mut self, _v: &'a [u8; 16]) {}
    fn string(&mut self, _v: &'a [u8]) {}
    fn bytes(&mut self, _v: &'a [u8]) {}
    fn array_start(&mut self, _len: usize) {}
    /// The next value is element `index` of the array.
    fn element(&mut self, _index: usize) {}
    fn array_end(&mut self) {}
    fn struct_end(&mut self, _unknown: UnknownTags<'a>) {}
}

/// A visitor that looks at nothing: walking with it only checks the input.
pub struct Check;

impl Visitor<'_> for Check {
    const CHECK_ONLY: bool = true;
}

/// Checks that `body` starts with a message of `root`'s version; returns the
/// bytes after it.
pub fn check<'a>(root: &'static StructPlan, body: &'a [u8]) -> Walked<'a> {
    walk(root, body, &mut Check)
}

/// Walks the message at the start of `body`, reporting its values to `visitor`.
pub fn walk<'a, V: Visitor<'a>>(
    root: &'static StructPlan,
    body: &'a [u8],
    visitor: &mut V,
) -> Walked<'a> {
    struct_body(root, body, visitor)
}

/// The tagged fields of a struct whose tags its schema does not know.
#[derive(Clone, Copy, Debug)]
pub struct UnknownTags<'a> {
    /// The struct's tagged-field section (count first), already checked.
    section: &'a [u8],
    by_tag: &'static [Option<u16>],
}

impl<'a> UnknownTags<'a> {
    const NONE: UnknownTags<'static> = UnknownTags {
        section: &[],
        by_tag: &[],
    };

    /// Whether there is surely no unknown tagged field (the usual case),
    /// without reading the section.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.section.is_empty()
    }

    /// `(tag, data)` of each unknown tagged field, in wire order.
    pub fn iter(&self) -> impl Iterator<Item = Tagged<'a>> + use<'a> {
        let by_tag = self.by_tag;
        let (mut rest, count) = match self.section {
            [] => (&[][..], 0),
            section => unsigned_varint(section).unwrap_or((&[][..], 0)),
        };
        (0..count)
            .map_while(move |_| {
                let (after, tagged) = tagged_field(rest).ok()?;
                rest = after;
                Some(tagged)
            })
            .filter(move |(tag, _)| known_tag(by_tag, *tag).is_none())
    }
}

fn known_tag(by_tag: &[Option<u16>], tag: u32) -> Option<usize> {
    by_tag.get(tag as usize).copied().flatten().map(usize::from)
}

/// A tag number and its field's data.
type Tagged<'a> = (u32, &'a [u8]);

/// One entry of a tagged-field section: tag, size, data.
fn tagged_field(input: &[u8]) -> Result<(&[u8], Tagged<'_>), Malformed> {
    let (rest, tag) = unsigned_varint(input).map_err(|_| Malformed)?;
    let (rest, size) = unsigned_varint(rest).map_err(|_| Malformed)?;
    let data = rest.get(..size as usize).ok_or(Malformed)?;
    Ok((&rest[size as usize..], (tag, data)))
}

/// The fields of one struct, then (in flexible versions) its tagged fields.
fn struct_body<'a, V: Visitor<'a>>(
    plan: &'static StructPlan,
    input: &'a [u8],
    visitor: &mut V,
) -> Walked<'a> {
    visitor.struct_start();
    if plan.by_tag.is_empty() {
        // No known tagged fields (most structs): wire order is JSON order.
        let input = in_wire_order(plan, &plan.untagged, input, visitor)?;
        let (rest, unknown, _) = tag_section(plan, input, &mut [])?;
        visitor.struct_end(unknown);
        return Ok(rest);
    }
    // Tagged fields come after the untagged ones on the wire but take their
    // declaration place in the JSON: find them first. The untagged fields
    // declared before any tagged one are printed as they are read; the
    // others are read twice, to find the tagged fields and to print.
    let printed = if V::CHECK_ONLY {
        0
    } else {
        plan.untagged_first
    };
    let (first, rest) = plan.untagged.split_at(printed);
    let after_first = in_wire_order(plan, first, input, visitor)?;
    let mut section = after_first;
    for field in rest {
        section = field_value(plan, field, section, &mut Check)?;
    }
    let mut tagged: [Option<&'a [u8]>; MAX_TAGS] = [None; MAX_TAGS];
    let (rest, unknown, seen) = tag_section(plan, section, &mut tagged)?;
    if V::CHECK_ONLY {
        for_each_field(seen, |i| {
            let field = &plan.present[i];
            let data = field.tag.and_then(|tag| tagged[tag as usize]);
            field_value(plan, field, data.unwrap_or_default(), visitor).map(|_| ())
        })?;
        return Ok(rest);
    }
    // The fields left to print: the tagged ones seen and the untagged ones
    // not printed yet, in declaration order.
    let mut untagged = after_first;
    let fields = (seen | plan.untagged_mask) & u64::MAX.checked_shl(printed as u32).unwrap_or(0);
    for_each_field(fields, |i| {
        let field = &plan.present[i];
        let Some(tag) = field.tag else {
            visitor.field(field);
            untagged = field_value(plan, field, untagged, visitor)?;
            return Ok(());
        };
        let data = tagged[tag as usize].unwrap_or_default();
        if !holds_default(plan.flexible, field, data)? {
            visitor.field(field);
            field_value(plan, field, data, visitor)?;
        }
        Ok(())
    })?;
    visitor.struct_end(unknown);
    Ok(rest)
}

/// `fields` of `plan`, read and printed in wire order.
#[inline(always)]
fn in_wire_order<'a, V: Visitor<'a>>(
    plan: &'static StructPlan,
    fields: &[FieldPlan],
    mut input: &'a [u8],
    visitor: &mut V,
) -> Walked<'a> {
    for field in fields {
        visitor.field(field);
        input = field_value(plan, field, input, visitor)?;
    }
    Ok(input)
}

/// Tags known to a struct are below this; the plans are checked against it.
/// No more than the table needs (its highest tag is 8): each struct with
/// tagged fields clears this many slots.
pub const MAX_TAGS: usize = 9;

/// Calls `each` with the index of every set bit of `fields`, lowest first.
#[inline(always)]
fn for_each_field(
    mut fields: u64,
    mut each: impl FnMut(usize) -> Result<(), Malformed>,
) -> Result<(), Malformed> {
    while fields != 0 {
        each(fields.trailing_zeros() as usize)?;
        fields &= fields - 1;
    }
    Ok(())
}

/// A struct's tagged-field section (nothing before flexible versions): the
/// data of each known tag goes to `tagged[tag]`, and the field's bit (its
/// index in `present`) is set in the mask returned; all but the last copy
/// of a tag are checked here.
#[inline(always)]
fn tag_section<'a>(
    plan: &'static StructPlan,
    input: &'a [u8],
    tagged: &mut [Option<&'a [u8]>],
) -> Result<(&'a [u8], UnknownTags<'a>, u64), Malformed> {
    match *input {
        _ if !plan.flexible => Ok((input, UnknownTags::NONE, 0)),
        // Most structs have no tagged field: a count of 0, one byte.
        [0, ref rest @ ..] => Ok((rest, UnknownTags::NONE, 0)),
        _ => tagged_fields(plan, input, tagged),
    }
}

/// [`tag_section`] of a flexible struct, from its count on.
#[inline(never)]
fn tagged_fields<'a>(
    plan: &'static StructPlan,
    input: &'a [u8],
    tagged: &mut [Option<&'a [u8]>],
) -> Result<(&'a [u8], UnknownTags<'a>, u64), Malformed> {
    let (mut rest, count) = unsigned_varint(input).map_err(|_| Malformed)?;
    if count == 0 {
        return Ok((rest, UnknownTags::NONE, 0));
    }
    // Each tagged field takes at least two bytes (tag and size).
    if count as usize > rest.len() / 2 {
        return Err(Malformed);
    }
    let mut unknown = false;
    let mut seen = 0;
    for _ in 0..count {
        let (after, (tag, data)) = tagged_field(rest)?;
        rest = after;
        if let Some(i) = known_tag(&plan.by_tag, tag) {
            seen |= 1 << i;
            // Like the decoder: every copy of a known tag must decode and
            // the last one counts (bytes after a value are ignored). The
            // last copy is checked where it is walked.
            if let Some(earlier) = tagged[tag as usize].replace(data) {
                field_value(plan, &plan.present[i], earlier, &mut Check)?;
            }
        } else {
            unknown = true;
        }
    }
    if !unknown {
        // Nothing for the visitor to read the section again for.
        return Ok((rest, UnknownTags::NONE, seen));
    }
    let section = &input[..input.len() - rest.len()];
    Ok((
        rest,
        UnknownTags {
            section,
            by_tag: &plan.by_tag,
        },
        seen,
    ))
}

/// Whether a tagged field's value is its default, which Kafka's converters
/// do not print. Reads only the value's first bytes; the walk reads the rest.
fn holds_default(flexible: bool, field: &FieldPlan, data: &[u8]) -> Result<bool, Malformed> {
    let default = field.field.default;
    let length = |string| length(flexible, string, data).map(|(_, len)| len);
    if field.array {
        return Ok(match length(false)? {
            None => default == Default::Null,
            Some(len) => default == Default::Zero && len == 0,
        });
    }
    let int = match field.ty {
        PlanType::Bool
        | PlanType::Int8
        | PlanType::Int16
        | PlanType::Uint16
        | PlanType::Int32
        | PlanType::Int64 => fixed_int(field.ty, data)?.1,
        PlanType::Float64 => {
            return Ok(default == Default::Zero && f64::from_be_bytes(*fixed(data)?.1) == 0.0);
        }
        PlanType::Uuid => return Ok(default == Default::Zero && fixed::<16>(data)?.1 == &[0; 16]),
        PlanType::String | PlanType::Bytes => {
            return Ok(match length(matches!(field.ty, PlanType::String))? {
                None => default == Default::Null,
                Some(len) => default == Default::Zero && len == 0,
            });
        }
        PlanType::Struct(_) => return Ok(false),
    };
    Ok(match (default, field.ty) {
        (Default::Bool(d), PlanType::Bool) => d == (int != 0),
        (Default::Zero, _) => int == 0,
        (Default::Int(d), _) => d == int && !matches!(field.ty, PlanType::Bool),
        _ => false,
    })
}

/// A field's value: a scalar, a struct, or an array of either.
#[inline(always)]
fn field_value<'a, V: Visitor<'a>>(
    parent: &'static StructPlan,
    field: &FieldPlan,
    input: &'a [u8],
    visitor: &mut V,
) -> Walked<'a> {
    if !field.array {
        return single_value(parent.flexible, field, field.nullable, input, visitor);
    }
    let (mut input, count) = length(parent.flexible, false, input)?;
    let Some(count) = count else {
        if !field.nullable {
            return Err(Malformed);
        }
        visitor.null();
        return Ok(input);
    };
    // `count > len / min_size`, without a division per array.
    if count.saturating_mul(field.min_size.max(1)) > input.len() {
        return Err(Malformed);
    }
    visitor.array_start(count);
    if let PlanType::Int32 = field.ty {
        // Replica lists and ISRs are most of the arrays in a log.
        let (ints, rest) = input.split_at(count * 4);
        for (i, int) in ints.chunks_exact(4).enumerate() {
            visitor.element(i);
            visitor.int(i64::from(i32::from_be_bytes(
                int.try_into().expect("4 bytes"),
            )));
        }
        input = rest;
    } else {
        for i in 0..count {
            visitor.element(i);
            input = single_value(parent.flexible, field, false, input, visitor)?;
        }
    }
    visitor.array_end();
    Ok(input)
}

/// A fixed-width integer (or boolean) value, widened (the node decoder
/// reads its scalars with it too).
#[inline]
pub(super) fn fixed_int(ty: PlanType, input: &[u8]) -> Result<(&[u8], i64), Malformed> {
    #[inline]
    fn be<const N: usize>(
        input: &[u8],
        widen: fn([u8; N]) -> i64,
    ) -> Result<(&[u8], i64), Malformed> {
        let (rest, &bytes) = fixed::<N>(input)?;
        Ok((rest, widen(bytes)))
    }
    match ty {
        PlanType::Bool | PlanType::Int8 => be(input, |b| i8::from_be_bytes(b).into()),
        PlanType::Int16 => be(input, |b| i16::from_be_bytes(b).into()),
        PlanType::Uint16 => be(input, |b| u16::from_be_bytes(b).into()),
        PlanType::Int32 => be(input, |b| i32::from_be_bytes(b).into()),
        PlanType::Int64 => be(input, i64::from_be_bytes),
        _ => Err(Malformed),
    }
}

/// `N` bytes off the front.
#[inline]
pub(super) fn fixed<const N: usize>(input: &[u8]) -> Result<(&[u8], &[u8; N]), Malformed> {
    let (bytes, rest) = input.split_first_chunk::<N>().ok_or(Malformed)?;
    Ok((rest, bytes))
}

#[inline(always)]
fn single_value<'a, V: Visitor<'a>>(
    flexible: bool,
    field: &FieldPlan,
    nullable: bool,
    input: &'a [u8],
    visitor: &mut V,
) -> Walked<'a> {
    let rest = match field.ty {
        PlanType::Bool => {
            let (rest, v) = fixed_int(field.ty, input)?;
            visitor.bool(v != 0);
            rest
        }
        PlanType::Int8 | PlanType::Int16 | PlanType::Uint16 | PlanType::Int32 | PlanType::Int64 => {
            let (rest, v) = fixed_int(field.ty, input)?;
            visitor.int(v);
            rest
        }
        PlanType::Float64 => {
            let (rest, &b) = fixed::<8>(input)?;
            visitor.float(f64::from_be_bytes(b));
            rest
        }
        PlanType::Uuid => {
            let (rest, uuid) = fixed::<16>(input)?;
            visitor.uuid(uuid);
            rest
        }
        PlanType::String | PlanType::Bytes => {
            let string = matches!(field.ty, PlanType::String);
            let (rest, len) = length(flexible, string, input)?;
            match len {
                None if !nullable => return Err(Malformed),
                None => {
                    visitor.null();
                    rest
                }
                Some(len) => {
                    let bytes = rest.get(..len).ok_or(Malformed)?;
                    if string {
                        visitor.string(bytes);
                    } else {
                        visitor.bytes(bytes);
                    }
                    &rest[len..]
                }
            }
        }
        PlanType::Struct(plan) => struct_body(plan, input, visitor)?,
    };
    Ok(rest)
}

/// The length of an array, string or bytes value, `None` for null: compact
/// (unsigned varint N+1, 0 = null) in flexible versions, else int16 for
/// strings and int32 for arrays and bytes (-1 = null).
#[inline(always)]
fn length(flexible: bool, string: bool, input: &[u8]) -> Result<(&[u8], Option<usize>), Malformed> {
    if flexible {
        let (rest, n) = unsigned_varint(input).map_err(|_| Malformed)?;
        return Ok((rest, n.checked_sub(1).map(|n| n as usize)));
    }
    let (rest, n) = if string {
        let (rest, n) = be_i16(input).map_err(|_| Malformed)?;
        (rest, i32::from(n))
    } else {
        be_i32(input).map_err(|_| Malformed)?
    };
    match n {
        -1 => Ok((rest, None)),
        n if n < -1 => Err(Malformed),
        n => Ok((rest, Some(n as usize))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::plan;
    use crate::schema::table::{CONTROL, METADATA};

    #[test]
    fn every_struct_fits_the_tagged_field_slots() {
        fn fits(plan: &StructPlan) -> bool {
            // Each tag names one field: the walk prints the field `by_tag`
            // names, as the decoder fills its slot.
            let tags: Vec<u32> = plan.present.iter().filter_map(|f| f.tag).collect();
            let distinct: std::collections::BTreeSet<u32> = tags.iter().copied().collect();
            plan.by_tag.len() <= MAX_TAGS
                && tags.len() == distinct.len()
                && plan.present.iter().all(|f| match f.ty {
                    PlanType::Struct(inner) => fits(inner),
                    _ => true,
                })
        }
        for &schema in METADATA.iter().chain(CONTROL.iter()) {
            for version in schema.valid.min..=schema.valid.max {
                assert!(fits(plan::of(schema, version).root), "{}", schema.name);
            }
        }
    }
}
