//! The shape of a Kafka message schema, as plain data.
//!
//! These types mirror what Kafka's JSON schema files say (versions, nullable
//! versions, flexible versions, tagged fields, nested structs) so that one
//! generic codec can read and write every record, and a new record version is
//! a change to `table.rs`, not new code.

/// An inclusive range of message versions, `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Versions {
    pub min: u16,
    pub max: u16,
}

impl Versions {
    /// No version at all (`"none"` in Kafka's schema files).
    pub const NONE: Versions = Versions { min: 1, max: 0 };

    pub const fn contains(self, version: u16) -> bool {
        self.min <= version && version <= self.max
    }
}

/// `"N+"`: version `n` and every later one.
pub const fn from(n: u16) -> Versions {
    Versions {
        min: n,
        max: u16::MAX,
    }
}

/// `"A-B"`.
pub const fn range(min: u16, max: u16) -> Versions {
    Versions { min, max }
}

/// The wire type of a field (of each element, when the field is an array).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Type {
    Bool,
    Int8,
    Int16,
    Uint16,
    Int32,
    Int64,
    Float64,
    Uuid,
    String,
    Bytes,
    Struct(&'static [Field]),
}

/// A field's value when it is absent: what Kafka's generated classes start
/// from, and what a tagged field must differ from to be written at all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Default {
    /// The type's zero: 0, false, "", empty array, the zero uuid.
    Zero,
    Int(i64),
    Bool(bool),
    Null,
}

/// One field of a struct.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Field {
    /// The field name as Kafka's JSON converters print it (first letter lower-cased).
    pub name: &'static str,
    pub ty: Type,
    /// `[]T` in the schema.
    pub array: bool,
    /// Versions in which the field exists.
    pub versions: Versions,
    /// Versions in which the field may be null.
    pub nullable: Versions,
    /// Tag number and tagged versions, for tagged fields.
    pub tag: Option<(u32, Versions)>,
    pub default: Default,
}

impl Field {
    pub const fn new(name: &'static str, ty: Type, versions: Versions) -> Field {
        Field {
            name,
            ty,
            array: false,
            versions,
            nullable: Versions::NONE,
            tag: None,
            default: Default::Zero,
        }
    }

    pub const fn array(mut self) -> Field {
        self.array = true;
        self
    }

    pub const fn nullable(mut self, versions: Versions) -> Field {
        self.nullable = versions;
        self
    }

    pub const fn tagged(mut self, tag: u32, versions: Versions) -> Field {
        self.tag = Some((tag, versions));
        self
    }

    pub const fn default(mut self, default: Default) -> Field {
        self.default = default;
        self
    }

    /// The tag, when this field is tagged in `version`.
    pub fn tag_in(&self, version: u16) -> Option<u32> {
        match self.tag {
            Some((tag, versions)) if versions.contains(version) => Some(tag),
            _ => None,
        }
    }
}

/// Where a message lives in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A metadata record: the value of a data record, framed with its api key.
    Metadata {
        api_key: u16,
        type_name: &'static str,
    },
    /// The value of a control record of this control type.
    Control { control_type: u16 },
}

/// One message (record) schema.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schema {
    /// Kafka's class name, e.g. `RegisterBrokerRecord`.
    pub name: &'static str,
    pub kind: Kind,
    pub valid: Versions,
    pub flexible: Versions,
    pub fields: &'static [Field],
}

impl Schema {
    pub fn is_flexible(&self, version: u16) -> bool {
        self.flexible.contains(version)
    }

    /// The record type name Kafka prints (`REGISTER_BROKER_RECORD`), or the
    /// control type name (`LEADER_CHANGE`).
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Metadata { type_name, .. } => type_name,
            Kind::Control { control_type } => super::control_type_name(control_type),
        }
    }
}
