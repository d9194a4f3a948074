//! The loop's clock (real or virtual) and its timer wheel.

pub(crate) mod clock;
pub(crate) mod wheel;
