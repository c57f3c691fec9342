//! Config key → value, per config resource (Kafka's `ConfigurationsImage`).
//!
//! A config record names its resource and key by string, and a large image
//! has tens of thousands of resources (one per topic with configs) that no
//! cache holds. So a resource is one buffer holding its name, keys and
//! values: a record reads a line or two of it, where a map of maps of heap
//! strings cost a trip to memory per map and per string.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, BuildHasherDefault};

use super::{FastHasher, FastMap};

/// Resources by type code, then name. Resources with no keys are dropped.
#[derive(Clone, Debug, Default)]
pub struct Configs(BTreeMap<i8, ByName>);

/// A config resource: `ConfigResource.Type` code and name (empty for the
/// cluster-wide default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigResource<'a> {
    pub resource_type: i8,
    pub name: &'a str,
}

/// A resource's name and config, keys in no order (the shell sorts what it
/// lists).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigData {
    /// The name, then key and value pairs, each string preceded by its
    /// length (u32, little-endian; a string comes from one record, so under
    /// 2 GiB). Only `&str`s are written, so every string is UTF-8.
    buf: Vec<u8>,
}

/// The resources of one type.
///
/// Keyed by their name's 64-bit hash, so that finding a resource compares
/// hashes in the table and reads only its own buffer: keyed by name, a
/// probe read the buffer of every candidate it compared.
#[derive(Clone, Debug, Default)]
struct ByName {
    by_hash: FastMap<u64, ConfigData>,
    /// Resources whose name hashes like one already in `by_hash`, by name
    /// (only a log crafted to collide has any).
    collided: BTreeMap<Box<[u8]>, ConfigData>,
}

fn name_hash(name: &[u8]) -> u64 {
    BuildHasherDefault::<FastHasher>::default().hash_one(name)
}

impl ByName {
    fn get(&self, name: &[u8]) -> Option<&ConfigData> {
        match self.by_hash.get(&name_hash(name)) {
            Some(data) if data.name_bytes() == name => Some(data),
            _ => self.collided.get(name),
        }
    }

    fn get_mut(&mut self, name: &[u8]) -> Option<&mut ConfigData> {
        match self.by_hash.get_mut(&name_hash(name)) {
            Some(data) if data.name_bytes() == name => Some(data),
            _ => self.collided.get_mut(name),
        }
    }

    fn insert(&mut self, data: ConfigData) {
        match self.by_hash.entry(name_hash(data.name_bytes())) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(data);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collided.insert(data.name_bytes().into(), data);
            }
        }
    }

    fn remove(&mut self, name: &[u8]) {
        let hash = name_hash(name);
        if self
            .by_hash
            .get(&hash)
            .is_some_and(|data| data.name_bytes() == name)
        {
            self.by_hash.remove(&hash);
        } else {
            self.collided.remove(name);
        }
    }

    fn is_empty(&self) -> bool {
        self.by_hash.is_empty() && self.collided.is_empty()
    }

    fn iter(&self) -> impl Iterator<Item = &ConfigData> {
        self.by_hash.values().chain(self.collided.values())
    }
}

impl Configs {
    pub fn get(&self, resource: ConfigResource<'_>) -> Option<&ConfigData> {
        let by_name = self.0.get(&resource.resource_type)?;
        by_name.get(resource.name.as_bytes())
    }

    /// Asks for `resource`'s buffer, if it has one (its first lines: a
    /// key is found by reading up to it): a hint ahead of [`Configs::set`]
    /// or [`Configs::delete`].
    pub fn prefetch(&self, resource: ConfigResource<'_>) {
        const LINES: usize = 4;
        // The name is not compared: that would wait for the buffer.
        let by_hash = self.0.get(&resource.resource_type).map(|b| &b.by_hash);
        if let Some(data) = by_hash.and_then(|b| b.get(&name_hash(resource.name.as_bytes()))) {
            for line in data.buf.chunks(64).take(LINES) {
                super::prefetch(line.as_ptr());
            }
        }
    }

    /// Every resource with its config, by type code, names in no order.
    pub fn iter(&self) -> impl Iterator<Item = (ConfigResource<'_>, &ConfigData)> {
        self.0.iter().flat_map(|(&resource_type, by_name)| {
            by_name.iter().map(move |data| {
                let resource = ConfigResource {
                    resource_type,
                    name: data.name(),
                };
                (resource, data)
            })
        })
    }

    /// Sets `key` to `value`.
    pub fn set(&mut self, resource: ConfigResource<'_>, key: &str, value: &str) {
        let by_name = self.0.entry(resource.resource_type).or_default();
        match by_name.get_mut(resource.name.as_bytes()) {
            Some(data) => data.set(key, value),
            None => {
                let mut data = ConfigData::new(resource.name);
                data.set(key, value);
                by_name.insert(data);
            }
        }
    }

    /// Removes `key`, and the resource once it has no keys left.
    pub fn delete(&mut self, resource: ConfigResource<'_>, key: &str) {
        let Some(by_name) = self.0.get_mut(&resource.resource_type) else {
            return;
        };
        let Some(data) = by_name.get_mut(resource.name.as_bytes()) else {
            return;
        };
        data.remove(key);
        if data.is_empty() {
            self.remove(resource);
        }
    }

    /// Removes a resource and all its keys.
    pub fn remove(&mut self, resource: ConfigResource<'_>) {
        if let Some(by_name) = self.0.get_mut(&resource.resource_type) {
            by_name.remove(resource.name.as_bytes());
            if by_name.is_empty() {
                self.0.remove(&resource.resource_type);
            }
        }
    }
}

/// A string's place in a [`ConfigData`] buffer: its length prefix starts at
/// `start`, its bytes run from `start + 4` to `end`.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

impl ConfigData {
    fn new(name: &str) -> ConfigData {
        let mut data = ConfigData { buf: Vec::new() };
        data.push(name);
        data
    }

    fn push(&mut self, s: &str) {
        self.buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// The string whose length prefix is at `start`.
    fn span(&self, start: usize) -> Span {
        let len = self
            .buf
            .get(start..start + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        Span {
            start,
            end: start + 4 + len as usize,
        }
    }

    fn bytes(&self, span: Span) -> &[u8] {
        &self.buf[span.start + 4..span.end]
    }

    fn str(&self, span: Span) -> &str {
        // Only `&str`s are written: this never falls back.
        std::str::from_utf8(self.bytes(span)).unwrap_or_default()
    }

    /// The resource name.
    fn name(&self) -> &str {
        self.str(self.span(0))
    }

    fn name_bytes(&self) -> &[u8] {
        self.bytes(self.span(0))
    }

    /// The (key, value) pairs, in buffer order.
    fn pairs(&self) -> impl Iterator<Item = (Span, Span)> + '_ {
        let mut at = self.span(0).end;
        std::iter::from_fn(move || {
            if at >= self.buf.len() {
                return None;
            }
            let key = self.span(at);
            let value = self.span(key.end);
            at = value.end;
            Some((key, value))
        })
    }

    fn find(&self, key: &str) -> Option<(Span, Span)> {
        self.pairs().find(|&(k, _)| self.bytes(k) == key.as_bytes())
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.pairs().map(|(key, _)| self.str(key))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key).map(|(_, value)| self.str(value))
    }

    pub fn len(&self) -> usize {
        self.pairs().count()
    }

    pub fn is_empty(&self) -> bool {
        self.span(0).end >= self.buf.len()
    }

    /// Sets `key`, in place when the value keeps its length (the usual
    /// change: most config records set a key that is already set).
    fn set(&mut self, key: &str, value: &str) {
        match self.find(key) {
            Some((_, old)) if old.end - old.start - 4 == value.len() => {
                self.buf[old.start + 4..old.end].copy_from_slice(value.as_bytes());
            }
            Some((_, old)) => {
                let mut new = Vec::with_capacity(4 + value.len());
                new.extend_from_slice(&(value.len() as u32).to_le_bytes());
                new.extend_from_slice(value.as_bytes());
                self.buf.splice(old.start..old.end, new);
            }
            None => {
                self.push(key);
                self.push(value);
            }
        }
    }

    fn remove(&mut self, key: &str) {
        if let Some((key, value)) = self.find(key) {
            self.buf.drain(key.start..value.end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(name: &str) -> ConfigResource<'_> {
        ConfigResource {
            resource_type: 2,
            name,
        }
    }

    fn sorted(data: &ConfigData) -> Vec<(&str, &str)> {
        let mut pairs: Vec<_> = data.keys().map(|k| (k, data.get(k).unwrap())).collect();
        pairs.sort();
        pairs
    }

    #[test]
    fn keys_are_set_replaced_and_deleted() {
        let mut configs = Configs::default();
        configs.set(topic("a"), "retention.ms", "100");
        configs.set(topic("a"), "cleanup.policy", "compact");
        configs.set(topic("a"), "retention.ms", "200");
        configs.set(topic("a"), "cleanup.policy", "compact,delete");
        configs.set(topic(""), "", "");
        let a = configs.get(topic("a")).unwrap();
        assert_eq!(
            sorted(a),
            [
                ("cleanup.policy", "compact,delete"),
                ("retention.ms", "200")
            ]
        );
        assert_eq!(a.len(), 2);
        assert_eq!(sorted(configs.get(topic("")).unwrap()), [("", "")]);
        configs.delete(topic("a"), "retention.ms");
        configs.delete(topic("a"), "missing");
        let a = configs.get(topic("a")).unwrap();
        assert_eq!(sorted(a), [("cleanup.policy", "compact,delete")]);
        configs.delete(topic("a"), "cleanup.policy");
        assert!(configs.get(topic("a")).is_none());
        configs.remove(topic(""));
        assert_eq!(configs.iter().count(), 0);
        assert!(configs.0.is_empty());
    }

    #[test]
    fn names_that_hash_alike_are_kept_apart() {
        let mut by_name = ByName::default();
        let a = ConfigData::new("a");
        let mut b = ConfigData::new("b");
        b.set("k", "v");
        by_name.insert(a.clone());
        // As if "b" hashed like "a": it goes to the side map.
        by_name.collided.insert(b.name_bytes().into(), b.clone());
        assert_eq!(by_name.get(b"a"), Some(&a));
        assert_eq!(by_name.get(b"b"), Some(&b));
        by_name.remove(b"a");
        assert_eq!(by_name.get(b"b"), Some(&b));
        assert!(by_name.get_mut(b"a").is_none());
        by_name.remove(b"b");
        assert!(by_name.is_empty());
    }

    #[test]
    fn resources_are_found_by_name() {
        let mut configs = Configs::default();
        for i in 0..100 {
            configs.set(topic(&format!("t{i}")), "k", &i.to_string());
        }
        configs.set(
            ConfigResource {
                resource_type: 4,
                name: "t1",
            },
            "k",
            "broker",
        );
        assert_eq!(configs.get(topic("t7")).unwrap().get("k"), Some("7"));
        assert_eq!(configs.iter().count(), 101);
        let (resource, data) = configs.iter().next().unwrap();
        assert_eq!(data.get("k"), Some(&resource.name[1..]));
    }
}
