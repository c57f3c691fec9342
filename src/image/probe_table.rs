//! Open addressing with linear probing, for the image's hottest tables
//! (topics by id, config resources by name). Where an entry's slot lies
//! follows from its key's hash alone, so the loader can ask for the slot's
//! memory before it reads anything ([`ProbeTable::prefetch`]): in a
//! `HashMap` a lookup is two trips to memory one after the other (control
//! bytes, then entry). The owner hashes, with a key of its own per process
//! so that a crafted log cannot put its entries on one probe sequence; the
//! table probes.

/// Entries inline in their slots.
#[derive(Clone, Debug)]
pub struct ProbeTable<T> {
    /// A power of two long (or empty), at most three quarters full, so a
    /// probe always meets an empty slot.
    slots: Vec<Option<T>>,
    len: usize,
}

impl<T> Default for ProbeTable<T> {
    fn default() -> Self {
        ProbeTable {
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<T> ProbeTable<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Where the probe of `hash` starts (the table is not empty).
    fn home(&self, hash: u64) -> usize {
        hash as usize & (self.slots.len() - 1)
    }

    /// The slot of the first entry on `hash`'s probe that `is` picks.
    fn find(&self, hash: u64, is: impl Fn(&T) -> bool) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(hash);
        loop {
            match &self.slots[i] {
                None => return None,
                Some(entry) if is(entry) => return Some(i),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    /// The first entry on `hash`'s probe that `is` picks.
    pub fn get(&self, hash: u64, is: impl Fn(&T) -> bool) -> Option<&T> {
        self.slots[self.find(hash, is)?].as_ref()
    }

    pub fn get_mut(&mut self, hash: u64, is: impl Fn(&T) -> bool) -> Option<&mut T> {
        let i = self.find(hash, is)?;
        self.slots[i].as_mut()
    }

    /// Asks for the memory of `hash`'s slot and the one after it (three
    /// quarters full, a probe often goes on): a hint ahead of a lookup.
    pub fn prefetch(&self, hash: u64) {
        if !self.slots.is_empty() {
            let home = self.home(hash);
            super::prefetch(&self.slots[home]);
            super::prefetch(&self.slots[(home + 1) & (self.slots.len() - 1)]);
        }
    }

    /// Adds `entry`, whose key is not in the table, at `hash`; `hash_of`
    /// gives the hash of any entry, to place them again when the table
    /// grows.
    pub fn insert_new(&mut self, hash: u64, entry: T, hash_of: impl Fn(&T) -> u64) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            let size = (self.slots.len() * 2).max(16);
            let old = std::mem::replace(&mut self.slots, (0..size).map(|_| None).collect());
            for entry in old.into_iter().flatten() {
                let i = self.empty_slot(hash_of(&entry));
                self.slots[i] = Some(entry);
            }
        }
        let i = self.empty_slot(hash);
        self.slots[i] = Some(entry);
        self.len += 1;
    }

    /// The first empty slot on `hash`'s probe.
    fn empty_slot(&self, hash: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = self.home(hash);
        while self.slots[i].is_some() {
            i = (i + 1) & mask;
        }
        i
    }

    /// Removes the first entry on `hash`'s probe that `is` picks, moving
    /// back the entries after it that its place would cut off from their
    /// probe's start (`hash_of` gives their hashes).
    pub fn remove(
        &mut self,
        hash: u64,
        is: impl Fn(&T) -> bool,
        hash_of: impl Fn(&T) -> u64,
    ) -> Option<T> {
        let mut hole = self.find(hash, is)?;
        let removed = self.slots[hole].take();
        self.len -= 1;
        let mask = self.slots.len() - 1;
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let Some(entry) = &self.slots[i] else {
                break;
            };
            let home = self.home(hash_of(entry));
            // Whether `home` lies cyclically in (hole, i]: then the entry is
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

    /// The entries, in no order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().flatten()
    }

    /// Whether no more than three quarters of the slots are taken.
    #[cfg(test)]
    pub fn within_load(&self) -> bool {
        self.len * 4 <= self.slots.len() * 3
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Keys 0..90 hashed onto 8 homes, in a table of at most 128 slots:
    /// probes run into one another, so that removals move entries.
    fn hash(key: u8) -> u64 {
        u64::from(key % 8) * 5
    }

    #[test]
    fn inserts_and_removals_match_a_map() {
        let mut table: ProbeTable<(u8, u32)> = ProbeTable::default();
        let mut model = BTreeMap::new();
        let mut state = 12345u32;
        let hash_of = |entry: &(u8, u32)| hash(entry.0);
        for step in 0..5000u32 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let key = (state >> 16) as u8 % 90;
            let is = |entry: &(u8, u32)| entry.0 == key;
            if (state >> 8).is_multiple_of(3) {
                let removed = table.remove(hash(key), is, hash_of);
                assert_eq!(removed.map(|e| e.1), model.remove(&key));
            } else if let Some(entry) = table.get_mut(hash(key), is) {
                entry.1 = step;
                model.insert(key, step);
            } else {
                table.insert_new(hash(key), (key, step), hash_of);
                assert_eq!(model.insert(key, step), None);
            }
            assert_eq!(table.len(), model.len());
            assert!(table.within_load());
            for key in 0..90 {
                let found = table.get(hash(key), |entry| entry.0 == key);
                assert_eq!(found.map(|e| e.1), model.get(&key).copied(), "key {key}");
            }
        }
        let mut entries: Vec<(u8, u32)> = table.iter().copied().collect();
        entries.sort();
        assert_eq!(entries, model.into_iter().collect::<Vec<_>>());
    }
}
