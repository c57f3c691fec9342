//! A partition's registration, kept small: a large log holds hundreds of
//! thousands of partition records and changes, so a partition is one
//! compact struct whose replica lists usually live inline, and replaying a
//! change rewrites them without allocating.

use std::collections::BTreeMap;

use super::Uuid;

/// Kafka's `PartitionRegistration`, in one cache line.
///
/// Replaying a log is mostly changing partitions picked at random, and a
/// large image's partitions do not fit the last-level cache, so every line
/// a change touches is a trip to memory: the hot fields and up to
/// [`INLINE`] replica ids share one line, and what a change rarely touches
/// (lists too long to fit, log directories) is boxed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(align(64))]
pub struct Partition {
    /// The six replica lists, one after another, while they fit; unused
    /// slots are zero (so the derived equality compares contents).
    ids: [i32; INLINE],
    /// Where each list ends in `ids`.
    ends: [u8; LISTS],
    /// Whether the lists are in `cold` instead (`ids` and `ends` are zero).
    spilled: bool,
    /// `LeaderRecoveryState` code.
    pub leader_recovery_state: i8,
    pub leader: i32,
    pub leader_epoch: i32,
    pub partition_epoch: i32,
    /// Present only while it holds something.
    cold: Option<Box<Cold>>,
}

const _: () = assert!(std::mem::size_of::<Partition>() == 64);

/// The parts of a partition a change rarely reads.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct Cold {
    /// The lists, when they do not fit inline.
    lists: Option<SpilledLists>,
    /// Log directory per replica (record v1 and later); empty before.
    directories: Box<[Uuid]>,
}

/// The six lists in one heap buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SpilledLists {
    /// Where each list ends in `ids`. The ids of one list come from one
    /// record (at most 2 GiB, so under 2^29 ids), so six fit a u32.
    ends: [u32; LISTS],
    ids: Box<[i32]>,
}

impl SpilledLists {
    fn get(&self, list: List) -> &[i32] {
        let i = list as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.ids[start..self.ends[i] as usize]
    }
}

/// A topic's partitions by id, in id order.
///
/// Kafka numbers a topic's partitions 0, 1, 2, … and only ever adds the
/// next one, so they are a vector indexed by id: finding one is a single
/// memory access where a tree took several, and replaying a large log is
/// mostly finding partitions. Ids that do not follow that pattern (a
/// hand-made or damaged log) switch the topic to a sorted map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Partitions {
    /// Partition `i` at index `i`.
    Dense(Vec<Partition>),
    Sparse(BTreeMap<i32, Partition>),
}

impl Default for Partitions {
    fn default() -> Partitions {
        Partitions::Dense(Vec::new())
    }
}

impl Partitions {
    pub fn get(&self, id: i32) -> Option<&Partition> {
        match self {
            Partitions::Dense(partitions) => partitions.get(usize::try_from(id).ok()?),
            Partitions::Sparse(partitions) => partitions.get(&id),
        }
    }

    pub fn get_mut(&mut self, id: i32) -> Option<&mut Partition> {
        match self {
            Partitions::Dense(partitions) => partitions.get_mut(usize::try_from(id).ok()?),
            Partitions::Sparse(partitions) => partitions.get_mut(&id),
        }
    }

    /// Adds or replaces partition `id`.
    pub fn insert(&mut self, id: i32, partition: Partition) {
        if let Partitions::Dense(partitions) = self {
            match usize::try_from(id) {
                Ok(i) if i < partitions.len() => {
                    partitions[i] = partition;
                    return;
                }
                Ok(i) if i == partitions.len() => {
                    partitions.push(partition);
                    return;
                }
                _ => {
                    let sparse = std::mem::take(partitions)
                        .into_iter()
                        .enumerate()
                        .map(|(i, p)| (i as i32, p))
                        .collect();
                    *self = Partitions::Sparse(sparse);
                }
            }
        }
        if let Partitions::Sparse(partitions) = self {
            partitions.insert(id, partition);
        }
    }

    /// The partition ids, in order.
    pub fn ids(&self) -> Box<dyn Iterator<Item = i32> + '_> {
        match self {
            Partitions::Dense(partitions) => Box::new((0..partitions.len()).map(|i| i as i32)),
            Partitions::Sparse(partitions) => Box::new(partitions.keys().copied()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Partitions::Dense(partitions) => partitions.len(),
            Partitions::Sparse(partitions) => partitions.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The replica lists of a partition, in the order they are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    Replicas,
    Isr,
    Removing,
    Adding,
    /// Eligible leader replicas (record v2 and later).
    Elr,
    LastKnownElr,
}

const LISTS: usize = 6;

const ALL_LISTS: [List; LISTS] = [
    List::Replicas,
    List::Isr,
    List::Removing,
    List::Adding,
    List::Elr,
    List::LastKnownElr,
];

/// How many ids fit inline: three replicas and three in sync, with room
/// for a reassignment's extra replica or two.
const INLINE: usize = 8;

impl Partition {
    /// A partition with empty lists and directories.
    pub fn new(leader: i32, leader_recovery_state: i8, leader_epoch: i32, epoch: i32) -> Self {
        Partition {
            ids: [0; INLINE],
            ends: [0; LISTS],
            spilled: false,
            leader_recovery_state,
            leader,
            leader_epoch,
            partition_epoch: epoch,
            cold: None,
        }
    }

    pub fn list(&self, list: List) -> &[i32] {
        if self.spilled {
            match self.cold.as_ref().and_then(|cold| cold.lists.as_ref()) {
                Some(lists) => lists.get(list),
                None => &[],
            }
        } else {
            &self.ids[self.inline_range(list)]
        }
    }

    pub fn replicas(&self) -> &[i32] {
        self.list(List::Replicas)
    }

    pub fn isr(&self) -> &[i32] {
        self.list(List::Isr)
    }

    pub fn removing_replicas(&self) -> &[i32] {
        self.list(List::Removing)
    }

    pub fn adding_replicas(&self) -> &[i32] {
        self.list(List::Adding)
    }

    pub fn elr(&self) -> &[i32] {
        self.list(List::Elr)
    }

    pub fn last_known_elr(&self) -> &[i32] {
        self.list(List::LastKnownElr)
    }

    pub fn directories(&self) -> &[Uuid] {
        self.cold.as_ref().map_or(&[], |cold| &cold.directories)
    }

    /// Replaces one list.
    pub fn set_list(&mut self, list: List, ids: impl IntoIterator<Item = i32>) {
        let mut new = Buffer::default();
        for id in ids {
            new.push(id);
        }
        self.set_list_to(list, new.as_slice());
    }

    /// Replaces one list: in place while the lists fit inline (so without
    /// allocating), else by rebuilding all six.
    pub fn set_list_to(&mut self, list: List, new: &[i32]) {
        if !self.spilled {
            let range = self.inline_range(list);
            let total = usize::from(self.ends[LISTS - 1]);
            let new_total = total - range.len() + new.len();
            if new_total <= INLINE {
                let new_end = range.start + new.len();
                self.ids.copy_within(range.end..total, new_end);
                self.ids[range.start..new_end].copy_from_slice(new);
                self.ids[new_total..].fill(0);
                // Lists after this one move by the change in its length
                // (all ends are at most INLINE).
                for end in &mut self.ends[list as usize..] {
                    *end = (usize::from(*end) - range.end + new_end) as u8;
                }
                return;
            }
        }
        let mut all = Buffer::default();
        let mut ends = [0u32; LISTS];
        for (end, l) in ends.iter_mut().zip(ALL_LISTS) {
            all.extend(if l == list { new } else { self.list(l) });
            *end = all.len as u32;
        }
        self.store_lists(ends, all);
    }

    pub fn set_directories(&mut self, directories: impl IntoIterator<Item = Uuid>) {
        let directories: Box<[Uuid]> = directories.into_iter().collect();
        if !directories.is_empty() {
            self.cold.get_or_insert_default().directories = directories;
        } else if let Some(cold) = &mut self.cold {
            cold.directories = directories;
            self.drop_empty_cold();
        }
    }

    /// Asks for this partition's cache line without waiting for it, so
    /// that a change applied a little later finds it loaded.
    pub fn prefetch(&self) {
        super::prefetch(self);
    }

    fn inline_range(&self, list: List) -> std::ops::Range<usize> {
        let i = list as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        usize::from(start)..usize::from(self.ends[i])
    }

    /// Stores all six lists, inline when they fit.
    fn store_lists(&mut self, ends: [u32; LISTS], all: Buffer) {
        if all.len <= INLINE {
            self.ids = all.inline;
            self.ends = ends.map(|end| end as u8);
            self.spilled = false;
            if let Some(cold) = &mut self.cold {
                cold.lists = None;
                self.drop_empty_cold();
            }
        } else {
            self.ids = [0; INLINE];
            self.ends = [0; LISTS];
            self.spilled = true;
            self.cold.get_or_insert_default().lists = Some(SpilledLists {
                ends,
                ids: all.heap.into_boxed_slice(),
            });
        }
    }

    /// Keeps the form canonical: no box that holds nothing.
    fn drop_empty_cold(&mut self) {
        if self
            .cold
            .as_ref()
            .is_some_and(|cold| cold.lists.is_none() && cold.directories.is_empty())
        {
            self.cold = None;
        }
    }
}

/// Ids being collected: inline until they outgrow it.
pub(super) struct Buffer {
    inline: [i32; INLINE],
    len: usize,
    /// Every id once they do not fit inline.
    heap: Vec<i32>,
}

impl Default for Buffer {
    fn default() -> Buffer {
        Buffer {
            inline: [0; INLINE],
            len: 0,
            heap: Vec::new(),
        }
    }
}

impl Buffer {
    pub(super) fn push(&mut self, id: i32) {
        if self.len < INLINE {
            self.inline[self.len] = id;
        } else {
            if self.len == INLINE {
                self.heap.extend_from_slice(&self.inline);
            }
            self.heap.push(id);
        }
        self.len += 1;
    }

    fn extend(&mut self, ids: &[i32]) {
        for &id in ids {
            self.push(id);
        }
    }

    pub(super) fn clear(&mut self) {
        self.len = 0;
        self.heap.clear();
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn as_slice(&self) -> &[i32] {
        if self.len <= INLINE {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_replaced_one_at_a_time() {
        let mut p = Partition::new(1, 0, 0, 0);
        p.set_list(List::Replicas, [1, 2, 3]);
        p.set_list(List::Isr, [1, 2, 3]);
        p.set_list(List::Adding, [4]);
        p.set_list(List::Isr, [2]);
        assert_eq!(p.replicas(), [1, 2, 3]);
        assert_eq!(p.isr(), [2]);
        assert_eq!(p.removing_replicas(), [] as [i32; 0]);
        assert_eq!(p.adding_replicas(), [4]);
        assert_eq!(p.elr(), [] as [i32; 0]);
    }

    #[test]
    fn long_lists_spill_to_the_heap_and_back() {
        let mut p = Partition::new(1, 0, 0, 0);
        p.set_list(List::Isr, [7]);
        p.set_list(List::Replicas, 0..20);
        p.set_list(List::LastKnownElr, [5, 6]);
        assert_eq!(p.replicas(), (0..20).collect::<Vec<_>>());
        assert_eq!(p.isr(), [7]);
        assert_eq!(p.last_known_elr(), [5, 6]);
        p.set_list(List::Replicas, [1, 2]);
        assert_eq!(p.replicas(), [1, 2]);
        assert_eq!(p.isr(), [7]);
        assert_eq!(p.last_known_elr(), [5, 6]);
        assert!(!p.spilled && p.cold.is_none());
    }

    #[test]
    fn lists_match_separate_vecs_through_random_changes() {
        let mut p = Partition::new(1, 0, 0, 0);
        let mut model: [Vec<i32>; LISTS] = Default::default();
        let lists = ALL_LISTS;
        let mut seed = 7u64;
        for _ in 0..2000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let list = lists[(seed >> 33) as usize % LISTS];
            let len = (seed >> 40) as usize % 6;
            let ids: Vec<i32> = (0..len as i32)
                .map(|i| i * 10 + (seed >> 50) as i32)
                .collect();
            p.set_list(list, ids.iter().copied());
            model[list as usize] = ids;
            for list in lists {
                assert_eq!(p.list(list), model[list as usize], "{list:?}");
            }
            let fits = model.iter().map(Vec::len).sum::<usize>() <= INLINE;
            assert_eq!(!p.spilled, fits);
        }
    }

    #[test]
    fn partitions_numbered_in_order_stay_dense() {
        let mut partitions = Partitions::default();
        for id in [0, 1, 2, 1, 3] {
            partitions.insert(id, Partition::new(id, 0, 0, 0));
        }
        assert!(matches!(partitions, Partitions::Dense(_)));
        assert_eq!(partitions.ids().collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(partitions.get(1).map(|p| p.leader), Some(1));
        assert!(partitions.get(-1).is_none() && partitions.get(4).is_none());
    }

    #[test]
    fn partitions_out_of_order_go_sparse() {
        let mut partitions = Partitions::default();
        for id in [0, 1, 7, -3, 2] {
            partitions.insert(id, Partition::new(id, 0, 0, 0));
        }
        assert!(matches!(partitions, Partitions::Sparse(_)));
        assert_eq!(partitions.ids().collect::<Vec<_>>(), [-3, 0, 1, 2, 7]);
        assert_eq!(partitions.get_mut(7).map(|p| p.leader), Some(7));
        assert_eq!(partitions.len(), 5);
    }

    #[test]
    fn directories_and_long_lists_share_the_cold_box() {
        let mut p = Partition::new(1, 0, 0, 0);
        p.set_directories([[1; 16], [2; 16]]);
        p.set_list(List::Replicas, 0..10);
        p.set_list(List::Replicas, [1, 2]);
        assert_eq!(p.directories(), [[1; 16], [2; 16]]);
        assert_eq!(p.replicas(), [1, 2]);
        p.set_directories([]);
        let mut fresh = Partition::new(1, 0, 0, 0);
        fresh.set_list(List::Replicas, [1, 2]);
        assert_eq!(p, fresh);
        assert!(p.cold.is_none());
    }

    #[test]
    fn short_lists_stay_inline() {
        let mut p = Partition::new(1, 0, 0, 0);
        for _ in 0..3 {
            p.set_list(List::Replicas, [1, 2, 3]);
            p.set_list(List::Isr, [1, 2, 3]);
            p.set_list(List::Isr, [1, 2]);
        }
        assert!(!p.spilled && p.cold.is_none());
        assert_eq!(p.ends, [3, 5, 5, 5, 5, 5]);
    }
}
