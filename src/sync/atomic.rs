//! `std::sync::atomic`, or under loom its atomics (which explore every ordering the memory
//! model allows, not only the ones this machine happens to show), or under shuttle its atomics
//! (every operation a scheduling point, and every ordering run as `SeqCst`: shuttle cannot show
//! what a weaker ordering allows).

#[cfg(not(any(loom, shuttle)))]
pub use std::sync::atomic::*;

#[cfg(loom)]
pub use loom::sync::atomic::*;

#[cfg(all(shuttle, not(loom)))]
pub use shuttle::sync::atomic::*;
