//! Short texts appended without a call to `memmove`.
//!
//! Appending a slice whose length the compiler does not know costs a call
//! to `memmove`, which for the few dozen bytes of a JSON key or a line's
//! fixed head is most of the work. A text kept with `CHUNK` bytes of padding
//! after it is appended as one copy of exactly `CHUNK` bytes (a few vector
//! moves), and the output is cut back to the text's length.

/// A text followed by `CHUNK` bytes of padding.
#[derive(Clone, Debug, Default)]
pub struct Padded<const CHUNK: usize> {
    /// The text, then at least `CHUNK` bytes of padding, whose values are
    /// never part of the text (appends are cut to its length).
    padded: Vec<u8>,
    /// The text's length.
    len: usize,
}

impl<const CHUNK: usize> Padded<CHUNK> {
    pub fn new(text: &[u8]) -> Self {
        let mut padded = Padded::default();
        padded.set(text);
        padded
    }

    /// Replaces the text, keeping the allocation and, where it has room,
    /// the padding as it is (a batch's tail changes with every batch).
    pub fn set(&mut self, text: &[u8]) {
        if self.padded.len() < text.len() + CHUNK {
            self.padded.resize(text.len() + CHUNK, 0);
        }
        self.padded[..text.len()].copy_from_slice(text);
        self.len = text.len();
    }

    /// Replaces the text with what `write` appends to it, emptied: built
    /// in place, keeping the allocation.
    pub fn set_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        self.padded.clear();
        write(&mut self.padded);
        self.len = self.padded.len();
        // A copy of known size, not a fill of a computed one.
        self.padded.extend_from_slice(&[0; CHUNK]);
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.padded[..self.len()]
    }

    /// Appends the text to `out`.
    #[inline]
    pub fn append_to(&self, out: &mut Vec<u8>) {
        match self.block() {
            Ok(chunk) => {
                let at = out.len();
                out.extend_from_slice(chunk);
                out.truncate(at + self.len);
            }
            Err(text) => out.extend_from_slice(text),
        }
    }

    /// The text as the first bytes of `CHUNK` (to be copied whole and cut
    /// to [`Self::len`]), or `Err` with the text when it is longer.
    #[inline]
    pub fn block(&self) -> Result<&[u8; CHUNK], &[u8]> {
        match self.padded.first_chunk::<CHUNK>() {
            Some(chunk) if self.len <= CHUNK => Ok(chunk),
            _ => Err(self.as_bytes()),
        }
    }

    /// Appends the text from byte `from` on to `out`.
    #[inline]
    pub fn append_from(&self, out: &mut Vec<u8>, from: usize) {
        let len = self.len().saturating_sub(from);
        match self.padded.get(from..from + CHUNK) {
            Some(chunk) if len <= CHUNK => {
                let at = out.len();
                out.extend_from_slice(chunk);
                out.truncate(at + len);
            }
            _ => out.extend_from_slice(&self.padded[from.min(self.len())..self.len()]),
        }
    }
}

/// Texts are equal whatever their padding holds.
impl<const CHUNK: usize> PartialEq for Padded<CHUNK> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const CHUNK: usize> Eq for Padded<CHUNK> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_exactly_the_text_at_every_length_and_start() {
        for len in 0..40 {
            let text: Vec<u8> = (0..len as u8).map(|i| b'a' + i % 26).collect();
            let padded = Padded::<16>::new(&text);
            assert_eq!(padded.as_bytes(), text);
            let mut out = b"head".to_vec();
            padded.append_to(&mut out);
            assert_eq!(out[4..], text, "len {len}");
            let mut built = Padded::<16>::new(b"an older, longer text than most");
            built.set_with(|t| t.extend_from_slice(&text));
            assert_eq!(built, padded, "len {len}");
            // Set over a longer text: the padding keeps its bytes.
            let mut reset = Padded::<16>::new(&[b'x'; 60]);
            reset.set(&text);
            assert_eq!(reset.as_bytes(), text);
            let mut out = b"head".to_vec();
            reset.append_to(&mut out);
            assert_eq!(out[4..], text, "len {len}");
            for from in 0..=len + 1 {
                let mut out = Vec::new();
                reset.append_from(&mut out, from);
                assert_eq!(
                    out,
                    text.get(from..).unwrap_or_default(),
                    "len {len} from {from}"
                );
            }
            for from in 0..=len + 1 {
                let mut out = b"head".to_vec();
                padded.append_from(&mut out, from);
                let mut expected = b"head".to_vec();
                expected.extend_from_slice(text.get(from..).unwrap_or_default());
                assert_eq!(out, expected, "len {len} from {from}");
            }
        }
    }
}
