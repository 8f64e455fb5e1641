use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Arc;

use super::{NextHop, TableError};

/// Values an [`Interner`] can hold.
pub trait Internable: Hash + Eq {
    fn to_shared(&self) -> Arc<Self>;
    /// Heap bytes one stored value takes, for memory accounting.
    fn heap_size(&self) -> usize;
}

impl Internable for [u32] {
    fn to_shared(&self) -> Arc<Self> {
        Arc::from(self)
    }
    fn heap_size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

impl Internable for [NextHop] {
    fn to_shared(&self) -> Arc<Self> {
        Arc::from(self)
    }
    fn heap_size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .iter()
                .filter_map(|h| h.interface.as_ref())
                .map(|i| i.len())
                .sum::<usize>()
    }
}

impl Internable for str {
    fn to_shared(&self) -> Arc<Self> {
        Arc::from(self)
    }
    fn heap_size(&self) -> usize {
        self.len()
    }
}

impl Internable for IpAddr {
    fn to_shared(&self) -> Arc<Self> {
        Arc::new(*self)
    }
    fn heap_size(&self) -> usize {
        std::mem::size_of::<IpAddr>()
    }
}

/// Stores each distinct value once and hands out dense ids for it.
///
/// The value is shared between the id-ordered list and the lookup map, so
/// it is allocated once.
pub struct Interner<T: ?Sized + Internable> {
    items: Vec<Arc<T>>,
    index: HashMap<Arc<T>, u32>,
    /// Consecutive routes from one peer usually share attributes; checking
    /// the previous id first skips most hash lookups on a big import.
    last: Option<u32>,
    limit: u32,
    what: &'static str,
}

impl<T: ?Sized + Internable> fmt::Debug for Interner<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner")
            .field("what", &self.what)
            .field("len", &self.items.len())
            .finish()
    }
}

impl<T: ?Sized + Internable> Clone for Interner<T> {
    fn clone(&self) -> Self {
        Self {
            items: self.items.clone(),
            index: self.index.clone(),
            last: self.last,
            limit: self.limit,
            what: self.what,
        }
    }
}

impl<T: ?Sized + Internable> Interner<T> {
    /// An empty interner handing out ids below `limit`; `what` names the
    /// values in the error raised when it is full.
    pub fn new(what: &'static str, limit: u32) -> Self {
        Self {
            items: Vec::new(),
            index: HashMap::new(),
            last: None,
            limit,
            what,
        }
    }

    /// The id of `value`, storing it on first sight.
    pub fn intern(&mut self, value: &T) -> Result<u32, TableError> {
        let same_as_last = |&l: &u32| self.items.get(l as usize).is_some_and(|v| &**v == value);
        if let Some(last) = self.last.filter(same_as_last) {
            return Ok(last);
        }
        let id = match self.index.get(value) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.items.len())
                    .ok()
                    .filter(|&id| id < self.limit)
                    .ok_or(TableError::TooManyDistinct {
                        what: self.what,
                        limit: u64::from(self.limit),
                    })?;
                let shared = value.to_shared();
                self.items.push(Arc::clone(&shared));
                self.index.insert(shared, id);
                id
            }
        };
        self.last = Some(id);
        Ok(id)
    }

    pub fn get(&self, id: u32) -> Option<&T> {
        self.items.get(id as usize).map(|v| &**v)
    }

    /// The id `value` already has, without storing it.
    pub fn find(&self, value: &T) -> Option<u32> {
        self.index.get(value).copied()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Approximate heap bytes held: the values, the list, and the map.
    pub fn heap_bytes(&self) -> usize {
        let per_entry = std::mem::size_of::<Arc<T>>() * 2 + std::mem::size_of::<u32>() + 8;
        self.items.iter().map(|v| v.heap_size() + 16).sum::<usize>()
            + self.items.capacity() * per_entry
    }
}
