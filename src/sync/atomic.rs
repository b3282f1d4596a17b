//! `std::sync::atomic`, or under loom its atomics (which explore every ordering the memory
//! model allows, not only the ones this machine happens to show).

#[cfg(not(loom))]
pub use std::sync::atomic::*;

#[cfg(loom)]
pub use loom::sync::atomic::*;
