//! Config key → value, per config resource (Kafka's `ConfigurationsImage`).
//!
//! A config record names its resource and key by string, and a large image
//! has tens of thousands of resources (one per topic with configs) that no
//! cache holds. So a resource is one buffer holding its name, keys and
//! values: a record reads a line or two of it, where a map of maps of heap
//! strings cost a trip to memory per map and per string.

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use super::probe_table::ProbeTable;

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

/// The resources of one type, in a [`ProbeTable`], each slot the name's
/// hash and the resource's buffer. Where a resource's slot lies follows
/// from its name's hash alone, so the loader can ask for the slot's memory
/// as soon as it has read a record ([`Configs::prefetch_slot`]), and a few
/// records later for the buffer ([`Configs::prefetch`]). A probe compares
/// hashes, and reads the buffer only of a resource whose hash matches.
#[derive(Clone, Debug, Default)]
struct ByName {
    /// Two slots to a cache line.
    table: ProbeTable<Slot>,
}

#[derive(Clone, Debug)]
struct Slot {
    hash: u64,
    data: ConfigData,
}

/// A resource name's hash, keyed differently in every process (SipHash
/// with `RandomState`'s keys): a log cannot be crafted to put its
/// resources on one probe sequence, which would make loading quadratic.
/// Names that hash alike anyway are told apart by comparing them.
pub fn name_hash(name: &str) -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    KEYS.get_or_init(RandomState::new).hash_one(name.as_bytes())
}

impl ByName {
    fn get(&self, hash: u64, name: &[u8]) -> Option<&ConfigData> {
        let slot = self.table.get(hash, |slot| slot.is(hash, name))?;
        Some(&slot.data)
    }

    fn get_mut(&mut self, hash: u64, name: &[u8]) -> Option<&mut ConfigData> {
        let slot = self.table.get_mut(hash, |slot| slot.is(hash, name))?;
        Some(&mut slot.data)
    }

    fn prefetch_slot(&self, hash: u64) {
        self.table.prefetch(hash);
    }

    /// The first resource on `hash`'s probe whose hash it is, without
    /// comparing names (that would wait for its buffer).
    fn first_with(&self, hash: u64) -> Option<&ConfigData> {
        let slot = self.table.get(hash, |slot| slot.hash == hash)?;
        Some(&slot.data)
    }

    /// Adds a resource whose name is not in the table yet.
    fn insert(&mut self, hash: u64, data: ConfigData) {
        self.table
            .insert_new(hash, Slot { hash, data }, |slot| slot.hash);
    }

    fn remove(&mut self, hash: u64, name: &[u8]) {
        self.table
            .remove(hash, |slot| slot.is(hash, name), |slot| slot.hash);
    }

    fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    fn iter(&self) -> impl Iterator<Item = &ConfigData> {
        self.table.iter().map(|slot| &slot.data)
    }
}

impl Slot {
    fn is(&self, hash: u64, name: &[u8]) -> bool {
        self.hash == hash && self.data.name_bytes() == name
    }
}

impl Configs {
    pub fn get(&self, resource: ConfigResource<'_>) -> Option<&ConfigData> {
        let by_name = self.0.get(&resource.resource_type)?;
        by_name.get(name_hash(resource.name), resource.name.as_bytes())
    }

    /// Asks for the slot of the resource of type `resource_type` whose
    /// name hashes to `hash` ([`name_hash`]): a hint ahead of
    /// [`Configs::prefetch`], which needs nothing read.
    pub fn prefetch_slot(&self, resource_type: i8, hash: u64) {
        if let Some(by_name) = self.0.get(&resource_type) {
            by_name.prefetch_slot(hash);
        }
    }

    /// Asks for the buffer of the resource whose name hashes to `hash`, if
    /// it has one (its first lines: a key is found by reading up to it): a
    /// hint ahead of [`Configs::set_hashed`] or [`Configs::delete_hashed`].
    pub fn prefetch(&self, resource_type: i8, hash: u64) {
        const LINES: usize = 4;
        let by_name = self.0.get(&resource_type);
        if let Some(data) = by_name.and_then(|b| b.first_with(hash)) {
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
        self.set_hashed(resource, name_hash(resource.name), key, value);
    }

    /// [`Configs::set`], with the name's [`name_hash`] already known.
    pub fn set_hashed(&mut self, resource: ConfigResource<'_>, hash: u64, key: &str, value: &str) {
        let by_name = self.0.entry(resource.resource_type).or_default();
        match by_name.get_mut(hash, resource.name.as_bytes()) {
            Some(data) => data.set(key, value),
            None => {
                let mut data = ConfigData::new(resource.name);
                data.set(key, value);
                by_name.insert(hash, data);
            }
        }
    }

    /// Removes `key`, and the resource once it has no keys left.
    pub fn delete(&mut self, resource: ConfigResource<'_>, key: &str) {
        self.delete_hashed(resource, name_hash(resource.name), key);
    }

    /// [`Configs::delete`], with the name's [`name_hash`] already known.
    pub fn delete_hashed(&mut self, resource: ConfigResource<'_>, hash: u64, key: &str) {
        let Some(by_name) = self.0.get_mut(&resource.resource_type) else {
            return;
        };
        let Some(data) = by_name.get_mut(hash, resource.name.as_bytes()) else {
            return;
        };
        data.remove(key);
        if data.is_empty() {
            self.remove_hashed(resource, hash);
        }
    }

    /// Removes a resource and all its keys.
    pub fn remove(&mut self, resource: ConfigResource<'_>) {
        self.remove_hashed(resource, name_hash(resource.name));
    }

    fn remove_hashed(&mut self, resource: ConfigResource<'_>, hash: u64) {
        if let Some(by_name) = self.0.get_mut(&resource.resource_type) {
            by_name.remove(hash, resource.name.as_bytes());
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

    /// Names in a table small enough that probes run into one another,
    /// some given the same hash on purpose (as if they collided), against
    /// a map: sets, deletes and removals, then every name looked up.
    #[test]
    fn the_table_matches_a_map() {
        let name = |i: u32| format!("n{i}");
        // Names 0-9 share a hash; the rest hash apart.
        let hash = |i: u32| if i < 10 { 7 } else { name_hash(&name(i)) };
        let mut by_name = ByName::default();
        let mut model: BTreeMap<String, String> = BTreeMap::new();
        let mut state = 12345u32;
        for step in 0..6000u32 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let i = (state >> 16) % 60;
            let (n, h) = (name(i), hash(i));
            if (state >> 8).is_multiple_of(3) {
                by_name.remove(h, n.as_bytes());
                model.remove(&n);
            } else if let Some(data) = by_name.get_mut(h, n.as_bytes()) {
                data.set("k", &step.to_string());
                model.insert(n, step.to_string());
            } else {
                let mut data = ConfigData::new(&n);
                data.set("k", &step.to_string());
                by_name.insert(h, data);
                model.insert(n, step.to_string());
            }
            assert_eq!(by_name.table.len(), model.len());
            assert!(by_name.table.within_load());
            for j in 0..60 {
                let found = by_name.get(hash(j), name(j).as_bytes());
                assert_eq!(
                    found.and_then(|d| d.get("k")),
                    model.get(&name(j)).map(String::as_str)
                );
                if let Some(data) = found {
                    assert!(by_name.first_with(hash(j)).is_some());
                    assert_eq!(data.name(), name(j));
                }
            }
        }
        let mut names: Vec<&str> = by_name.iter().map(ConfigData::name).collect();
        names.sort();
        assert_eq!(names, model.keys().map(String::as_str).collect::<Vec<_>>());
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
