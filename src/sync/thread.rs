//! `std::thread`, or under loom its threads, reporting spawns and joins to the trace recorder,
//! or under shuttle its threads.
//!
//! Built normally this is `std::thread` itself (every item, re-exported). Built with
//! `--cfg loom` it is loom's threads (the parts loom models) with `spawn`, `Builder::spawn`,
//! `JoinHandle::join`, `park` and `Thread::unpark` wrapped so a counterexample shows who
//! started, joined and woke whom, and where; `park_timeout` is `park` (time does not pass in a
//! model, so it never times out, as the shim's `Condvar::wait_timeout` never does), and `scope`
//! is the shim's own (`super::scope`: loom has none). Built with `--cfg shuttle` it is
//! `shuttle::thread` (`spawn`, `Builder`, `JoinHandle`, `current`, `yield_now`, `park`,
//! `park_timeout`, `scope`, `panicking`, ...; `sleep` only yields, as time does not pass in a
//! model), plus std's `available_parallelism`, which shuttle does not model. A pool that swaps
//! `use std::thread` for `use webpool::sync::thread` needs no other change.

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

    pub use crate::sync::scope::{scope, Scope, ScopedJoinHandle};
    pub use loom::thread::{yield_now, AccessError, LocalKey, ThreadId};
    pub use std::thread::{available_parallelism, Result};

    use crate::sync::trace::{self, Action, Blocked};

    /// A handle to a thread; see [`std::thread::Thread`].
    #[derive(Clone, Debug)]
    pub struct Thread {
        inner: loom::thread::Thread,
    }

    impl Thread {
        /// The thread's id.
        pub fn id(&self) -> ThreadId {
            self.inner.id()
        }

        /// The thread's name, if it was given one.
        pub fn name(&self) -> Option<&str> {
            self.inner.name()
        }

        /// Makes the thread's park token available: its next (or current) [`park`] returns.
        /// An unpark before the park is kept, not lost (one token, not a count).
        #[track_caller]
        pub fn unpark(&self) {
            if trace::recording() {
                let whom = trace::label_of(self.inner.id());
                let whom = whom.as_deref().unwrap_or("a thread");
                trace::record(
                    Action::Note(format!("unparks {whom}")),
                    Some(Location::caller()),
                );
            }
            self.inner.unpark();
        }
    }

    /// The calling thread's handle; see [`std::thread::current`].
    pub fn current() -> Thread {
        Thread {
            inner: loom::thread::current(),
        }
    }

    /// Blocks until the calling thread's park token is available, and takes it; see
    /// [`std::thread::park`]. loom makes no spurious returns from `park`, though std allows
    /// them.
    #[track_caller]
    pub fn park() {
        let at = Location::caller();
        // Only when recording: the note is a `String`, and `park` may sit in a hot loop.
        if trace::recording() {
            let parked = Blocked::Note("parked, waits for an unpark".to_owned());
            trace::block(parked, Some(at));
        }
        loom::thread::park();
        trace::unblock();
        if trace::recording() {
            trace::record(Action::Note("returns from park".to_owned()), Some(at));
        }
    }

    /// [`park`]: time does not pass in a loom model, so the timeout never fires (a thread
    /// that only a timeout would wake is reported as blocked); see
    /// [`std::thread::park_timeout`].
    #[track_caller]
    pub fn park_timeout(duration: std::time::Duration) {
        let _ = duration;
        park();
    }

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
        JoinHandle::new(child, true, loom::thread::spawn(run_traced(child, f)))
    }

    /// Spawns a thread that the trace names `label` (the checker's own threads, whose spawn
    /// and join carry no `file:line`: only the pool's operations do).
    pub(crate) fn spawn_labelled<F, T>(label: &str, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let child = trace::spawn(Some(label), None);
        JoinHandle::new(child, false, loom::thread::spawn(run_traced(child, f)))
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
        /// The thread's handle, wrapped (`thread` hands out a reference to it).
        thread: Thread,
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
            &self.thread
        }

        /// Wraps loom's handle.
        fn new(
            child: Option<usize>,
            sited: bool,
            inner: loom::thread::JoinHandle<Result<T>>,
        ) -> Self {
            let thread = Thread {
                inner: inner.thread().clone(),
            };
            JoinHandle {
                child,
                sited,
                thread,
                inner,
            }
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
            Ok(JoinHandle::new(child, true, inner))
        }
    }
}

#[cfg(all(test, loom))]
mod trace_tests {
    use crate::sync::trace::{self, Action};

    #[test]
    fn park_and_unpark_are_recorded_with_the_callers_line() {
        loom::model(|| {
            trace::start();
            let main = super::current();
            let unpark_line = line!() + 1;
            let worker = super::spawn(move || main.unpark());
            let park_line = line!() + 1;
            super::park();
            worker.join().unwrap();
            let recorded = trace::snapshot();
            trace::stop();
            let notes: Vec<(&str, Option<u32>)> = recorded
                .events
                .iter()
                .filter_map(|event| match &event.action {
                    Action::Note(text) => Some((text.as_str(), event.site.map(|site| site.line))),
                    _ => None,
                })
                .collect();
            assert_eq!(
                notes,
                [
                    ("unparks main", Some(unpark_line)),
                    ("returns from park", Some(park_line)),
                ]
            );
        });
    }
}
