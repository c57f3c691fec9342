//! Topics by id, in a [`ProbeTable`]: where a topic's slot lies follows
//! from its id alone, so the loader can ask for the slot's memory without
//! reading anything ([`TopicMap::prefetch`]), and a few records later for
//! the partition it reaches from there. A large image's topics do not stay
//! in the caches.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use super::probe_table::ProbeTable;
use super::{Topic, Uuid};

/// A topic inline in its slot, one cache line.
#[derive(Clone, Debug)]
pub struct TopicMap {
    table: ProbeTable<Topic>,
    /// Mixed into every id, different in every process: a log cannot be
    /// crafted to put its topics on one probe sequence, which would make
    /// loading quadratic.
    seed: [u64; 2],
}

impl Default for TopicMap {
    fn default() -> TopicMap {
        let random = |n: u64| {
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_u64(n);
            hasher.finish()
        };
        TopicMap {
            table: ProbeTable::default(),
            seed: [random(0), random(1)],
        }
    }
}

/// `id`'s hash: its halves, each mixed with a seed, multiplied, and the
/// product's halves folded together (as foldhash does), so every bit of
/// the id reaches the low bits a probe starts from. Cheaper than SipHash,
/// and a topic's slot is found on every partition change.
fn id_hash(seed: [u64; 2], id: &Uuid) -> u64 {
    let (a, b) = id.split_at(8);
    let word = |w: &[u8]| u64::from_le_bytes(w.try_into().unwrap_or_default());
    let product = u128::from(word(a) ^ seed[0]) * u128::from(word(b) ^ seed[1]);
    product as u64 ^ (product >> 64) as u64
}

impl TopicMap {
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    fn hash(&self, id: &Uuid) -> u64 {
        id_hash(self.seed, id)
    }

    pub fn get(&self, id: &Uuid) -> Option<&Topic> {
        self.table.get(self.hash(id), |topic| topic.id == *id)
    }

    pub fn get_mut(&mut self, id: &Uuid) -> Option<&mut Topic> {
        let hash = self.hash(id);
        self.table.get_mut(hash, |topic| topic.id == *id)
    }

    /// Asks for the memory of `id`'s slot: a hint ahead of [`TopicMap::get`].
    pub fn prefetch(&self, id: &Uuid) {
        self.table.prefetch(self.hash(id));
    }

    /// Adds `topic`, or replaces the one with its id (returned).
    pub fn insert(&mut self, topic: Topic) -> Option<Topic> {
        if let Some(old) = self.get_mut(&topic.id) {
            return Some(std::mem::replace(old, topic));
        }
        let seed = self.seed;
        let hash = self.hash(&topic.id);
        self.table
            .insert_new(hash, topic, |topic| id_hash(seed, &topic.id));
        None
    }

    pub fn remove(&mut self, id: &Uuid) -> Option<Topic> {
        let seed = self.seed;
        let hash = self.hash(id);
        self.table.remove(
            hash,
            |topic| topic.id == *id,
            |topic| id_hash(seed, &topic.id),
        )
    }

    pub fn values(&self) -> impl Iterator<Item = &Topic> {
        self.table.iter()
    }

    pub fn keys(&self) -> impl Iterator<Item = &Uuid> {
        self.values().map(|topic| &topic.id)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn topic(id: Uuid, name: &str) -> Topic {
        Topic {
            id,
            name: name.into(),
            partitions: Default::default(),
        }
    }

    /// Ids of which up to 90 live in a table of 128 slots: probes run into
    /// one another, so that removals move slots.
    fn id(i: u8) -> Uuid {
        let mut id = [0; 16];
        id[0] = i % 7;
        id[15] = i;
        id
    }

    #[test]
    fn inserts_replacements_and_removals_match_a_map() {
        let mut map = TopicMap::default();
        let mut model = BTreeMap::new();
        let mut state = 12345u32;
        for step in 0..5000u32 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let i = (state >> 16) as u8 % 90;
            if (state >> 8).is_multiple_of(3) {
                assert_eq!(
                    map.remove(&id(i)).map(|t| t.name.into_string()),
                    model.remove(&id(i))
                );
            } else {
                let name = format!("t{step}");
                let old = map
                    .insert(topic(id(i), &name))
                    .map(|t| t.name.into_string());
                assert_eq!(old, model.insert(id(i), name));
            }
            assert_eq!(map.len(), model.len());
            for j in 0..90 {
                assert_eq!(
                    map.get(&id(j)).map(|t| &*t.name),
                    model.get(&id(j)).map(String::as_str)
                );
            }
        }
        let mut keys: Vec<Uuid> = map.keys().copied().collect();
        keys.sort();
        assert_eq!(keys, model.keys().copied().collect::<Vec<_>>());
    }
}
