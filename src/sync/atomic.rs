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

/// std's `AtomicUsize` in the loom build too: for a count that a loom test keeps about the
/// model's run (how many interleavings reached some path), outside what loom explores. One of
/// loom's atomics would be part of the program under test: its accesses would add
/// interleavings, and its value would start over with each execution.
#[cfg(all(test, loom))]
pub(crate) use std::sync::atomic::AtomicUsize as UnmodelledAtomicUsize;
