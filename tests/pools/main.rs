//! The pools on real threads, in-process: `webpool::ThreadPool` at sizes loom cannot explore
//! ([`thread_pool`]), `close` while producers sleep and snooze, with the real snooze clock
//! ([`close_with_snoozers`]), an idle pool's CPU use ([`idle_cpu`]), and the catalog's buggy
//! pools showing the bugs that need no model checker ([`demos`]).
//!
//! `ci/miri.sh` runs this binary's `thread_pool::` tests under miri; `ci/sanitize.sh` runs all
//! of it under ThreadSanitizer and AddressSanitizer.
#![cfg(not(any(loom, shuttle)))]

mod close_with_snoozers;
mod demos;
mod idle_cpu;
mod thread_pool;
