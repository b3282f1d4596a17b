//! `std::thread`, or under loom its threads, reporting spawns and joins to the trace recorder,
//! or under shuttle its threads.
//!
//! Built normally this is `std::thread` itself (every item, re-exported). Built with
//! `--cfg loom` it is loom's threads (the parts loom models) with `spawn`, `Builder::spawn` and
//! `JoinHandle::join` wrapped so a counterexample shows who started and joined whom, and
//! where. Built with `--cfg shuttle` it is `shuttle::thread` (`spawn`, `Builder`, `JoinHandle`,
//! `current`, `yield_now`, `park`, `panicking`, ...; `sleep` only yields, as time does not pass
//! in a model), plus std's `available_parallelism`, which shuttle does not model. A pool that
//! swaps `use std::thread` for `use webpool::sync::thread` needs no other change.

#[cfg(not(any(loom, shuttle)))]
pub use std::thread::*;

#[cfg(all(shuttle, not(loom)))]
pub use shuttle::thread::*;
#[cfg(all(shuttle, not(loom)))]
pub use std::thread::available_parallelism;

#[cfg(loom)]
pub use self::model::*;

#[cfg(loom)]
mod model {
    use std::fmt;
    use std::io;
    use std::panic::{self, AssertUnwindSafe, Location};

    pub use loom::thread::{current, park, yield_now, AccessError, LocalKey};
    pub use loom::thread::{Thread, ThreadId};
    pub use std::thread::{available_parallelism, Result};

    use crate::sync::trace::{self, Action, Blocked};

    /// Whether the calling thread is unwinding from a panic; see [`std::thread::panicking`].
    /// Also `true` where the checker simulates an unwinding (its `drop_while_unwinding`
    /// check, see `trace::simulate_unwinding`), and false on a thread that is not the one
    /// unwinding (loom runs them all on one OS thread, whose panic count std keeps).
    pub fn panicking() -> bool {
        trace::really_unwinding() || trace::simulated_unwinding()
    }

    /// Time does not pass in a loom model: `sleep` only yields to the other threads.
    pub fn sleep(duration: std::time::Duration) {
        let _ = duration;
        loom::thread::yield_now();
    }

    /// Spawns a thread; see [`std::thread::spawn`].
    #[track_caller]
    pub fn spawn<F, T>(f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let child = trace::spawn(None, Some(Location::caller()));
        JoinHandle {
            child,
            sited: true,
            inner: loom::thread::spawn(run_traced(child, f)),
        }
    }

    /// Spawns a thread that the trace names `label` (the checker's own threads, whose spawn
    /// and join carry no `file:line`: only the pool's operations do).
    pub(crate) fn spawn_labelled<F, T>(label: &str, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let child = trace::spawn(Some(label), None);
        JoinHandle {
            child,
            sited: false,
            inner: loom::thread::spawn(run_traced(child, f)),
        }
    }

    /// Wraps a thread's closure so the new thread binds itself to its trace label first and
    /// records how it ended last. A panic ends the thread as on real threads: `join` returns
    /// it as `Err`, and the other threads run on. (loom itself fails the whole model when a
    /// thread panics: a pool that lets a job's panic end its worker, and copes, would fail
    /// every check for a thread it meant to lose.)
    fn run_traced<F, T>(child: Option<usize>, f: F) -> impl FnOnce() -> Result<T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        move || {
            trace::enter(child);
            let ended = panic::catch_unwind(AssertUnwindSafe(f));
            if ended.is_err() && trace::take_loom_panic() {
                // loom's own panics (a deadlock, a thread too many) end the model: the trace
                // ends with the panic, and it goes on to loom.
                if child.is_some() {
                    trace::exit(true);
                }
                trace::stop();
                if let Err(payload) = ended {
                    panic::resume_unwind(payload);
                }
            }
            // The unwinding, if any, is over: loom may explore again.
            trace::unwinding_check();
            if child.is_some() {
                trace::exit(ended.is_err());
            }
            ended
        }
    }

    /// A handle to join a spawned thread; see [`std::thread::JoinHandle`].
    pub struct JoinHandle<T> {
        /// The thread's index in the trace, if one was recording when it was spawned.
        child: Option<usize>,
        /// Whether its join is recorded with the caller's `file:line`.
        sited: bool,
        /// loom's handle; the thread's closure returns how it ended (see `run_traced`).
        inner: loom::thread::JoinHandle<Result<T>>,
    }

    impl<T> JoinHandle<T> {
        /// Waits for the thread to finish.
        ///
        /// # Errors
        ///
        /// If the thread panicked, with the panic's payload.
        #[track_caller]
        pub fn join(self) -> Result<T> {
            // Not `self.sited.then(Location::caller)`: called from inside `then`, `caller`
            // would name `then`'s caller, in core.
            let caller = Location::caller();
            let at = self.sited.then_some(caller);
            if let Some(child) = self.child {
                trace::block(Blocked::Join { child }, at);
            }
            // loom's own `join` fails only if the thread's closure panicked, which `run_traced`
            // catches.
            let result = self.inner.join().and_then(|ended| ended);
            if let Some(child) = self.child {
                trace::unblock();
                let panicked = result.is_err();
                trace::record(Action::Join { child, panicked }, at);
            }
            result
        }

        /// The thread's handle.
        pub fn thread(&self) -> &Thread {
            self.inner.thread()
        }
    }

    impl<T> fmt::Debug for JoinHandle<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("JoinHandle").finish_non_exhaustive()
        }
    }

    /// Configures a thread before spawning it; see [`std::thread::Builder`].
    #[derive(Debug)]
    pub struct Builder {
        inner: loom::thread::Builder,
    }

    impl Builder {
        /// A builder with no name and the default stack size.
        #[allow(clippy::new_without_default)]
        pub fn new() -> Builder {
            Builder {
                inner: loom::thread::Builder::new(),
            }
        }

        /// Names the thread.
        pub fn name(self, name: String) -> Builder {
            Builder {
                inner: self.inner.name(name),
            }
        }

        /// Sets the stack size.
        pub fn stack_size(self, size: usize) -> Builder {
            Builder {
                inner: self.inner.stack_size(size),
            }
        }

        /// Spawns the thread.
        ///
        /// # Errors
        ///
        /// As [`std::thread::Builder::spawn`] (loom never fails to spawn).
        #[track_caller]
        pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
        where
            F: FnOnce() -> T + Send + 'static,
            T: Send + 'static,
        {
            let child = trace::spawn(None, Some(Location::caller()));
            let inner = self.inner.spawn(run_traced(child, f))?;
            Ok(JoinHandle {
                child,
                sited: true,
                inner,
            })
        }
    }
}
