//! Small shared data structures.

pub(crate) mod arena;
