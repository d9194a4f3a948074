//! Where a queue keeps its items: FIFO, LIFO, or smallest-first.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;

/// The order a queue hands items out in. Implemented by [`Fifo`], [`Lifo`] and [`Priority`].
pub trait Store<T>: Default {
    /// Adds an item.
    fn push(&mut self, item: T);
    /// Takes the next item.
    fn pop(&mut self) -> Option<T>;
    /// How many items it holds.
    fn len(&self) -> usize;
    /// Whether it holds no item.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Drops every item.
    fn clear(&mut self);
}

/// First in, first out (asyncio's `Queue`).
pub struct Fifo<T>(VecDeque<T>);

/// Last in, first out (asyncio's `LifoQueue`).
pub struct Lifo<T>(Vec<T>);

/// Smallest first (asyncio's `PriorityQueue`, a min-heap like `heapq`). Equal items come out
/// in no particular order; put `(priority, sequence, item)` tuples for FIFO among equals.
pub struct Priority<T: Ord>(BinaryHeap<Reverse<T>>);

macro_rules! debug_len {
    ($ty:ident $(: $bound:path)?) => {
        impl<T $(: $bound)?> fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).field("len", &self.0.len()).finish()
            }
        }
        impl<T $(: $bound)?> Default for $ty<T> {
            fn default() -> Self {
                Self(Default::default())
            }
        }
    };
}

debug_len!(Fifo);
debug_len!(Lifo);
debug_len!(Priority: Ord);

impl<T> Store<T> for Fifo<T> {
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn clear(&mut self) {
        self.0.clear();
    }
}

impl<T> Store<T> for Lifo<T> {
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn clear(&mut self) {
        self.0.clear();
    }
}

impl<T: Ord> Store<T> for Priority<T> {
    fn push(&mut self, item: T) {
        self.0.push(Reverse(item));
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop().map(|Reverse(t)| t)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn clear(&mut self) {
        self.0.clear();
    }
}
