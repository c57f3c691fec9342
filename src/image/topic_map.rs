//! Topics by id, in a table of our own: where a topic's slot lies follows
//! from its id alone, so the loader can ask for the slot's memory without
//! reading anything ([`TopicMap::prefetch`]), and a few records later for
//! the partition it reaches from there. A large image's topics do not stay
//! in the caches, and in a `HashMap` a lookup is two trips to memory one
//! after the other (its control bytes, then its entry) before the
//! partition's.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use super::{Topic, Uuid};

/// Open addressing with linear probing; topics inline in their slots.
#[derive(Clone, Debug)]
pub struct TopicMap {
    /// A power of two long (or empty), at most three quarters full, so a
    /// probe always meets an empty slot. A slot is one cache line.
    slots: Vec<Option<Topic>>,
    len: usize,
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
            slots: Vec::new(),
            len: 0,
            seed: [random(0), random(1)],
        }
    }
}

impl TopicMap {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Where `id`'s probe starts: the id's halves, each mixed with a seed,
    /// multiplied, and the product's halves folded together (as foldhash
    /// does), so every bit of the id reaches the low bits used.
    fn home(&self, id: &Uuid) -> usize {
        let (a, b) = id.split_at(8);
        let word = |w: &[u8]| u64::from_le_bytes(w.try_into().unwrap_or_default());
        let product = u128::from(word(a) ^ self.seed[0]) * u128::from(word(b) ^ self.seed[1]);
        let hash = product as u64 ^ (product >> 64) as u64;
        hash as usize & (self.slots.len() - 1)
    }

    fn find(&self, id: &Uuid) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(id);
        loop {
            match &self.slots[i] {
                None => return None,
                Some(topic) if topic.id == *id => return Some(i),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    pub fn get(&self, id: &Uuid) -> Option<&Topic> {
        self.slots[self.find(id)?].as_ref()
    }

    pub fn get_mut(&mut self, id: &Uuid) -> Option<&mut Topic> {
        let i = self.find(id)?;
        self.slots[i].as_mut()
    }

    /// Asks for the memory of `id`'s slot: a hint ahead of [`TopicMap::get`].
    pub fn prefetch(&self, id: &Uuid) {
        if !self.slots.is_empty() {
            let home = self.home(id);
            super::prefetch(&self.slots[home]);
            // Three quarters full, a probe often goes on to the next slot.
            super::prefetch(&self.slots[(home + 1) & (self.slots.len() - 1)]);
        }
    }

    /// Adds `topic`, or replaces the one with its id (returned).
    pub fn insert(&mut self, topic: Topic) -> Option<Topic> {
        if let Some(i) = self.find(&topic.id) {
            return self.slots[i].replace(topic);
        }
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(&topic.id);
        while self.slots[i].is_some() {
            i = (i + 1) & mask;
        }
        self.slots[i] = Some(topic);
        self.len += 1;
        None
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, (0..size).map(|_| None).collect());
        self.len = 0;
        for topic in old.into_iter().flatten() {
            self.insert(topic);
        }
    }

    /// Removes `id`'s topic, moving back the slots after it that its place
    /// would cut off from their probe's start.
    pub fn remove(&mut self, id: &Uuid) -> Option<Topic> {
        let mut hole = self.find(id)?;
        let removed = self.slots[hole].take();
        self.len -= 1;
        let mask = self.slots.len() - 1;
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let Some(topic) = &self.slots[i] else {
                break;
            };
            let home = self.home(&topic.id);
            // Whether `home` lies cyclically in (hole, i]: then the topic is
            // still reached from it.
            let reached = if hole <= i {
                hole < home && home <= i
            } else {
                hole < home || home <= i
            };
            if !reached {
                self.slots[hole] = self.slots[i].take();
                hole = i;
            }
        }
        removed
    }

    pub fn values(&self) -> impl Iterator<Item = &Topic> {
        self.slots.iter().flatten()
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
