//! A decoded message as a flat list of nodes borrowing from the input.
//!
//! Structs and arrays point at contiguous runs of child nodes, so decoding a
//! record allocates nothing once the node buffer has grown to fit: the buffer
//! is reused from record to record.

use super::types::{Default, Field, Schema, Type};

/// One value. Strings and bytes borrow from the record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Node<'a> {
    /// The field does not exist in this version, or is a tagged field that
    /// was not written (so it holds its default).
    Absent,
    Null,
    Bool(bool),
    /// int8, int16, uint16, int32 and int64 alike.
    Int(i64),
    Float(f64),
    Uuid([u8; 16]),
    /// Raw string bytes (Kafka decodes them as UTF-8, replacing bad sequences).
    Str(&'a [u8]),
    Bytes(&'a [u8]),
    /// Elements at `nodes[first..first + len]`.
    Array {
        first: u32,
        len: u32,
    },
    /// Fields at `nodes[first..first + fields.len()]`, in schema order; the
    /// struct's unknown tagged fields at `unknown[unknown_first..+unknown_len]`.
    Struct {
        first: u32,
        unknown_first: u32,
        unknown_len: u32,
    },
}

/// A tagged field whose tag the schema does not know, kept as raw bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownTag<'a> {
    pub tag: u32,
    pub data: &'a [u8],
}

/// A decoded message: `nodes[0]` is the root struct.
#[derive(Debug, Default, Clone)]
pub struct Decoded<'a> {
    pub nodes: Vec<Node<'a>>,
    pub unknown: Vec<UnknownTag<'a>>,
}

impl<'a> Decoded<'a> {
    pub fn clear(&mut self) {
        self.nodes.clear();
        self.unknown.clear();
    }

    /// The root struct of a message decoded with `schema`.
    pub fn root<'d>(&'d self, schema: &'static Schema) -> NodeRef<'d, 'a> {
        NodeRef {
            doc: self,
            index: 0,
            fields: Some(schema.fields),
            field: None,
        }
    }
}

/// A node together with the document and (for structs) its field list: the
/// handle typed code uses to read fields by name.
#[derive(Clone, Copy)]
pub struct NodeRef<'d, 'a> {
    pub doc: &'d Decoded<'a>,
    pub index: usize,
    /// The struct's fields, when this node is a struct (or an array of them).
    pub fields: Option<&'static [Field]>,
    /// The schema field this node is the value of (none for the root).
    pub field: Option<&'static Field>,
}

impl<'d, 'a> NodeRef<'d, 'a> {
    pub fn node(&self) -> Node<'a> {
        self.doc.nodes[self.index]
    }

    /// The field named `name` of this struct, `None` if there is no such field.
    pub fn get(&self, name: &str) -> Option<NodeRef<'d, 'a>> {
        let i = self.fields?.iter().position(|f| f.name == name)?;
        self.field_at(i)
    }

    /// The field at `index` in this struct's field list: [`Self::get`]
    /// without the search by name, for readers that located it already.
    #[inline]
    pub fn field_at(&self, index: usize) -> Option<NodeRef<'d, 'a>> {
        let field = self.fields?.get(index)?;
        let Node::Struct { first, .. } = self.node() else {
            return None;
        };
        Some(NodeRef {
            doc: self.doc,
            index: first as usize + index,
            fields: match field.ty {
                Type::Struct(inner) => Some(inner),
                _ => None,
            },
            field: Some(field),
        })
    }

    /// The elements of an array node (empty for null or absent).
    pub fn elements(&self) -> impl Iterator<Item = NodeRef<'d, 'a>> + use<'d, 'a> {
        let (first, len) = match self.node() {
            Node::Array { first, len } => (first as usize, len as usize),
            _ => (0, 0),
        };
        let doc = self.doc;
        let fields = self.fields;
        let field = self.field;
        (first..first + len).map(move |index| NodeRef {
            doc,
            index,
            fields,
            field,
        })
    }

    /// The schema default of an absent field (tagged and not written, or
    /// not in this version).
    fn default(&self) -> Option<Default> {
        match self.node() {
            Node::Absent => self.field.map(|f| f.default),
            _ => None,
        }
    }

    /// An integer field; an absent field reads as its schema default.
    pub fn int(&self) -> Option<i64> {
        match (self.node(), self.default()) {
            (Node::Int(v), _) => Some(v),
            (_, Some(Default::Int(v))) => Some(v),
            (_, Some(Default::Zero)) => Some(0),
            _ => None,
        }
    }

    /// A boolean field; an absent field reads as its schema default.
    pub fn boolean(&self) -> Option<bool> {
        match (self.node(), self.default()) {
            (Node::Bool(v), _) => Some(v),
            (_, Some(Default::Bool(v))) => Some(v),
            (_, Some(Default::Zero)) => Some(false),
            _ => None,
        }
    }

    pub fn float(&self) -> Option<f64> {
        match self.node() {
            Node::Float(v) => Some(v),
            _ => None,
        }
    }

    pub fn uuid(&self) -> Option<[u8; 16]> {
        match self.node() {
            Node::Uuid(v) => Some(v),
            _ => None,
        }
    }

    /// A string field, decoded as Kafka does (bad UTF-8 becomes U+FFFD).
    pub fn string(&self) -> Option<std::borrow::Cow<'a, str>> {
        match self.node() {
            // Valid UTF-8 (nearly every string) is checked by the faster
            // validator; only bad bytes take the replacing path.
            Node::Str(bytes) => Some(match std::str::from_utf8(bytes) {
                Ok(s) => std::borrow::Cow::Borrowed(s),
                Err(_) => String::from_utf8_lossy(bytes),
            }),
            _ => None,
        }
    }

    pub fn bytes(&self) -> Option<&'a [u8]> {
        match self.node() {
            Node::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.node(), Node::Null)
    }

    pub fn is_absent(&self) -> bool {
        matches!(self.node(), Node::Absent)
    }

    /// Integer elements of an `[]int32` field: `None` when null (or absent
    /// with a null default), empty when absent with an empty default.
    pub fn int_array(&self) -> Option<Vec<i32>> {
        self.ints().map(Iterator::collect)
    }

    /// [`Self::int_array`] without collecting: for readers that copy the
    /// elements into storage of their own.
    pub fn ints(&self) -> Option<impl Iterator<Item = i32> + use<'d, 'a>> {
        let elements: &'d [Node<'a>] = match self.node() {
            // An absent node has no elements: the empty default.
            Node::Absent if self.default() == Some(Default::Zero) => &[],
            Node::Array { first, len } => {
                let first = first as usize;
                self.doc
                    .nodes
                    .get(first..first + len as usize)
                    .unwrap_or_default()
            }
            _ => return None,
        };
        // Read off the slice, not element by element through `int`: replica
        // lists are most of what kshell's loader reads. Elements are never
        // absent (that is for fields), so none has a default to read.
        Some(elements.iter().map(|e| match *e {
            Node::Int(v) => v as i32,
            _ => 0,
        }))
    }

    /// Uuid elements of an `[]uuid` field, as `int_array` treats absence.
    pub fn uuid_array(&self) -> Option<Vec<[u8; 16]>> {
        match self.node() {
            Node::Absent if self.default() == Some(Default::Zero) => Some(Vec::new()),
            Node::Array { .. } => Some(
                self.elements()
                    .map(|e| e.uuid().unwrap_or_default())
                    .collect(),
            ),
            _ => None,
        }
    }
}
