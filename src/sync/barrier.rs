//! `std::sync::Barrier`, or under shuttle its `Barrier`, or under loom one built here on the
//! shim's traced `Mutex` and `Condvar`.
//!
//! Built normally these are std's types, re-exported untouched; built with `--cfg shuttle`,
//! `shuttle::sync`'s. loom 0.7 has only a stub `Barrier` (its `new` panics), so under
//! `--cfg loom` this module builds one the way std does: a count of arrived threads and a
//! generation number under a `Mutex`, and a `Condvar` the waiters sleep on until the last
//! arrival starts the next generation. Its steps show in the checker's traces as the lock,
//! wait and notify of a `Mutex` and `Condvar` created where the `Barrier` was, with the
//! `file:line` of the `Barrier::wait` call. Its `new` is not `const`, as std's is (loom's
//! objects belong to one model execution, so a `static` of one cannot exist).

#[cfg(not(any(loom, shuttle)))]
pub use std::sync::{Barrier, BarrierWaitResult};

#[cfg(all(shuttle, not(loom)))]
pub use shuttle::sync::{Barrier, BarrierWaitResult};

#[cfg(loom)]
pub use self::model::*;

#[cfg(loom)]
mod model {
    use std::fmt;

    use crate::sync::{lock, wait, Condvar, Mutex};

    /// Makes `n` threads wait for each other; see [`std::sync::Barrier`].
    pub struct Barrier {
        /// Who has arrived in the current generation.
        state: Mutex<Generation>,
        /// Where the early arrivals sleep until the last one comes.
        all_arrived: Condvar,
        /// How many threads each generation waits for.
        parties: usize,
    }

    /// One round of the barrier.
    struct Generation {
        /// Threads that have called `wait` in this round.
        arrived: usize,
        /// Which round this is: a waiter sleeps until it changes, so a spurious wake-up (or a
        /// notification meant for another round) does not let it through.
        id: usize,
    }

    /// What [`Barrier::wait`] returns; see [`std::sync::BarrierWaitResult`].
    pub struct BarrierWaitResult {
        is_leader: bool,
    }

    impl BarrierWaitResult {
        /// Whether this thread was the one leader of its round (the last to arrive).
        pub fn is_leader(&self) -> bool {
            self.is_leader
        }
    }

    impl fmt::Debug for BarrierWaitResult {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("BarrierWaitResult")
                .field("is_leader", &self.is_leader)
                .finish()
        }
    }

    impl Barrier {
        /// A barrier for `n` threads (`0` behaves as `1`, as std's does).
        #[track_caller]
        pub fn new(n: usize) -> Barrier {
            Barrier {
                state: Mutex::new(Generation { arrived: 0, id: 0 }),
                all_arrived: Condvar::new(),
                parties: n,
            }
        }

        /// Blocks until `n` threads have called `wait`; exactly one of them (the last to
        /// arrive) gets a result whose [`is_leader`](BarrierWaitResult::is_leader) is `true`.
        /// The barrier is reusable: the next `n` calls form the next round.
        #[track_caller]
        pub fn wait(&self) -> BarrierWaitResult {
            let mut state = lock(&self.state);
            let round = state.id;
            state.arrived += 1;
            if state.arrived < self.parties {
                while round == state.id {
                    state = wait(&self.all_arrived, state);
                }
                BarrierWaitResult { is_leader: false }
            } else {
                state.arrived = 0;
                state.id = state.id.wrapping_add(1);
                self.all_arrived.notify_all();
                BarrierWaitResult { is_leader: true }
            }
        }
    }

    impl fmt::Debug for Barrier {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Barrier").finish_non_exhaustive()
        }
    }
}
