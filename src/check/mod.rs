//! Check your own pool: the bug catalog as a loom checker for any thread pool.
//!
//! Every reader of the Rust Book's web-server chapter has a `ThreadPool`, and the same bugs keep
//! turning up in them: a lock held while a job runs, a shutdown that hangs, a `recv` unwrapped
//! after the channel closed, a panicking job that takes its worker with it. This module runs
//! the catalog of those bugs (the pages under [`crate::demos`]) against *your* pool under
//! [loom](https://docs.rs/loom), which explores every interleaving of a small scenario, and
//! prints a report card: `ok` with the number of interleavings explored, or `FAILS` with the
//! interleaving that broke it as numbered steps (which thread did what, at which `file:line` of
//! your code), an SVG swimlane of the same steps, and the command that replays exactly it.
//!
//! # Use
//!
//! 1. In the pool's source, import the synchronisation types from [`crate::sync`] instead of
//!    std (`use webpool::sync::{mpsc, thread, Arc, Mutex};`). In a normal build they *are*
//!    std's types; under `--cfg loom` they are loom's, recorded.
//! 2. Add `webpool` as a dependency (a normal one: the pool imports it; with
//!    `default-features = false`, which leaves out the HTTP server and its crates), and a test file
//!    `tests/pool_check.rs`:
//!
//!    ```text
//!    webpool::check_pool!(my_crate::ThreadPool);
//!    ```
//!
//!    Without `--cfg loom` the file holds one ignored test that says how to run it. Declare
//!    the cfg for the compiler's check, in Cargo.toml:
//!    `[lints.rust] unexpected_cfgs = { level = "warn", check-cfg = ['cfg(loom)'] }`.
//!
//!    The pool needs the book's API: `new(size) -> Self`, `execute(&self, f)`, shutdown in
//!    `Drop`. Other shapes say how in the macro (see [`check_pool!`](crate::check_pool)).
//! 3. `RUSTFLAGS="--cfg loom" cargo test --release --test pool_check`.
//!
//! # The checks
//!
//! Each check judges what a user of the pool would lose — a job never run or run twice, a
//! `Drop` that never returns or panics, an abort, a worker's capacity gone for good — never
//! how the pool is built. A worker thread that a job's panic ends is not a failure by itself:
//! as on real threads, its `join` returns the panic and the other threads run on, so a pool
//! that replaces a dead worker (threadpool's `Sentinel`) passes `panicking_job`.
//!
//! | check | what must hold | the bugs it catches |
//! |---|---|---|
//! | `one_job_then_drop` | one job, then drop: it runs exactly once and `Drop` returns | [`join_before_close`](crate::demos::join_before_close), [`recv_unwrap`](crate::demos::recv_unwrap), [`if_wait`](crate::demos::if_wait), [`lost_wakeup`](crate::demos::lost_wakeup), [`notify_one`](crate::demos::notify_one) |
//! | `rendezvous` | two workers; job A waits for job B, queued behind it: both complete | [`while_let`](crate::demos::while_let), [`named_guard`](crate::demos::named_guard) |
//! | `panicking_job` | one worker; job A panics: job B still runs | [`panic_kills_worker`](crate::demos::panic_kills_worker) |
//! | `backlog_is_bounded` | *a design property*: a full queue makes `execute` wait | [`unbounded`](crate::demos::unbounded) |
//! | `drop_while_unwinding` | dropping the pool while a panic unwinds does not panic again (which aborts) | [`repanic_in_drop`](crate::demos::repanic_in_drop) |
//! | `spurious_wakeup` | two jobs run once each while every `Condvar::wait` in turn wakes with no notification | [`if_wait`](crate::demos::if_wait) |
//! | `join_waits_for_jobs` | *for pools with a `join`*: two jobs, then `join`: both have run when it returns | [`join`](crate::demos::join) (`JoinTooEarlyPool`) |
//! | `joins_from_two_threads` | *for pools with a `join`*: two threads join at once; both return, and the pool runs a job submitted after | [`join`](crate::demos::join) (`JoinWakesOnePool`) |
//! | `scope_waits_for_jobs` | *for scoped pools*: two jobs in a scope have run when it returns; a second scope on the same pool runs its job too | [`scoped`](crate::demos::scoped) (`ScopeTooEarlyPool`) |
//! | `waiting_jobs` | *a limit, not a check*: how many jobs may wait for a later job before every worker waits | threadpool #56, rayon #592: a fixed-size pool deadlocks by design |
//!
//! A scoped pool (`check_pool!`'s `scoped = ...`) runs every scenario inside scopes: the
//! scope's end is where its jobs must be done, and `drop_while_unwinding` ends the scope while
//! main unwinds.
//!
//! A design property the pool lacks (an unbounded queue) is reported as `design`, with its
//! numbers, apart from the failures; it fails the test only when required
//! (`WEBPOOL_CHECK_REQUIRE=bounded`).
//!
//! # One cause, one fix
//!
//! A pool that fails one check often fails others for the same reason: a `Drop` that
//! deadlocks ends every scenario. Each failure carries its root cause in one line (a pool
//! thread's own panic before the symptoms it causes; a `Drop` that never returns, with where
//! main is stuck); the first failure of a cause prints it, later ones say `same cause as ...`
//! and nothing more, and the card ends with a line per shared cause. `one_job_then_drop`, the
//! plainest scenario, runs first, so the shared cause is named first. A fix is printed only
//! when the counterexample shows that bug's mechanism (the lock a stopped job holds, and the
//! statement that took it; a notification that woke nobody; a worker that a panic ended and
//! nothing replaced); otherwise the card says no fix is named.
//!
//! Each check runs in a child process (a deadlock makes loom abort the whole test binary,
//! loom #291), so every check reports. A check that explored a single interleaving fails: it
//! proved nothing (usually the pool still uses `std::sync` or `std::thread`, which loom does
//! not see). A check whose interleaving runs for 10 s without loom starting another is
//! reported as stuck (a thread spinning or blocked outside loom's view) at once, rather than
//! at the whole check's timeout.
//!
//! Results go to `target/webpool-check/PACKAGE/BINARY/TEST/`, so crates that share a target
//! folder keep their own; a replay file names the test binary that recorded it, and a replay
//! by another binary is refused.

#[cfg(loom)]
mod card;
#[cfg(loom)]
mod catalog;
#[cfg(loom)]
mod child;
#[cfg(any(loom, test))]
mod diagnose;
#[cfg(loom)]
mod invocation;
pub mod meaning;
pub mod page;
#[cfg(loom)]
mod parent;
pub mod render;
#[cfg(loom)]
mod report;
#[cfg(any(loom, test))]
mod std_mentions;
pub mod svg;
pub mod trace_event;

#[cfg(loom)]
pub use card::{run_card, Card, Limit, Outcome};

pub use crate::sync::trace::{Action, Blocked, End, Event, Object, ObjectKind, Site, Trace};

use crate::ThreadPool;

/// The API every pool in the book has: `ThreadPool::new(size)`, `pool.execute(job)`, and a
/// `Drop` that shuts the pool down. The checker, the demos' loom models and the book's server
/// are generic over it.
pub trait BookPool: Send + Sized + 'static {
    /// Starts a pool of `size` worker threads.
    ///
    /// # Panics
    ///
    /// If `size` is zero, as the book's `new` does.
    fn new(size: usize) -> Self;

    /// Runs `job` on some worker thread, eventually.
    ///
    /// # Panics
    ///
    /// Where the book's `execute` unwraps: if the pool can no longer take jobs (for the book's
    /// pools, once every worker is gone).
    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static;

    /// Whether the pool has a `join` ([`BookPool::join`]); the card runs its join checks only
    /// then (`check_pool!`'s `join = |pool| pool.join()` says so).
    const JOINS: bool = false;

    /// Waits until every job submitted before it has finished, and leaves the pool usable
    /// (threadpool's and workerpool's `join`). Called only when [`BookPool::JOINS`] is `true`.
    fn join(&self) {}

    /// A job that calls [`BookPool::join`] on `pool` from another thread, for
    /// `joins_from_two_threads` (a pool joined from two threads at once is shared by them, so
    /// this needs `Self: Sync`, which no other check does). `None` for pools without a join;
    /// [`book_pool!`](crate::book_pool) writes it for pools with one.
    fn joiner(pool: &crate::sync::Arc<Self>) -> Option<Job> {
        let _ = pool;
        None
    }

    /// Whether the pool takes jobs only inside a scope ([`BookPool::scope`]), as
    /// scoped_threadpool's `pool.scoped(|scope| scope.execute(job))` does; the card then runs
    /// its scenarios inside scopes, and its scope check (`check_pool!`'s `scoped = ...` says so).
    const SCOPED: bool = false;

    /// Runs `body` once, handing it a way to submit jobs. For a scoped pool, that is one scope
    /// (`&mut self`, as scoped pools borrow the pool for the scope): every job submitted
    /// through it has finished when `scope` returns. For any other pool it is [`BookPool::execute`],
    /// and `scope` returns at once.
    fn scope(&mut self, body: &mut ScopeBody<'_>) {
        body(&|job| self.execute(job));
    }
}

/// A job as [`check_pool!`](crate::check_pool)'s `execute = ...` closure receives it.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// How a scenario submits a job: the pool's `execute`, or a scope's.
pub type Submit<'a> = dyn Fn(Job) + 'a;

/// What [`BookPool::scope`] runs inside one scope: the part of a scenario that submits jobs,
/// given a [`Submit`] into the scope.
pub type ScopeBody<'a> = dyn FnMut(&Submit<'_>) + 'a;

/// Queue capacity of [`ThreadPool`]s built through [`BookPool::new`] under loom: every ring
/// slot is a modelled atomic and cell there, and the models submit only a few jobs.
const MODEL_QUEUE_CAPACITY: usize = 2;

impl BookPool for ThreadPool {
    /// [`ThreadPool::new`]; under loom, with a queue of only two jobs (every slot of it is
    /// modelled there, and the models submit only a few jobs).
    fn new(size: usize) -> ThreadPool {
        if cfg!(loom) {
            crate::Builder::new()
                .threads(size)
                .queue_capacity(MODEL_QUEUE_CAPACITY)
                .build()
                .unwrap_or_else(|err| panic!("failed to build a ThreadPool: {err}"))
        } else {
            ThreadPool::new(size)
        }
    }

    /// [`ThreadPool::execute`], which waits while the queue is full.
    fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        if let Err(err) = ThreadPool::execute(self, job) {
            // Only `close` or a shutdown makes `execute` fail, and the book's API has
            // neither: it shuts down in `Drop`, which no `&self` call can overlap.
            panic!("{err}");
        }
    }
}

/// Writes a `#[test] fn pool_check()` that runs the catalog against a pool and prints its
/// report card; the test fails if any check fails. Run it with
/// `RUSTFLAGS="--cfg loom" cargo test --release`; built without `--cfg loom`, the test is
/// ignored, and its reason says so.
///
/// The pool type is a path; with the book's API that is all:
///
/// ```text
/// webpool::check_pool!(my_crate::ThreadPool);
/// ```
///
/// Other shapes say how to build the pool, submit a job ([`Job`], a boxed closure), if not by
/// `Drop` shut it down, and, if it has one, join it (the card then runs its join checks), as
/// [`book_pool!`](crate::book_pool) takes them, in any order:
///
/// ```text
/// webpool::check_pool!(
///     my_crate::Pool,
///     new = |size| my_crate::Pool::builder().threads(size).build().unwrap(),
///     execute = |pool, job| pool.spawn(job).unwrap(),
///     shutdown = |pool| pool.join(),
///     join = |pool| pool.join(),
/// );
/// ```
///
/// A scoped pool, whose jobs are submitted inside a scope that waits for them (and may borrow
/// what outlives it), says how to open a scope instead of `execute`; the card then runs every
/// scenario inside scopes and checks the scope's own contract (`scope_waits_for_jobs`):
///
/// ```text
/// webpool::check_pool!(
///     scoped_threadpool::Pool,
///     new = |size| scoped_threadpool::Pool::new(size as u32),
///     scoped = |pool, body| pool.scoped(|scope| body(&|job| scope.execute(job))),
/// );
/// ```
///
/// `WEBPOOL_CHECK=name,name` runs only those checks; `LOOM_MAX_PREEMPTIONS` raises every
/// check's preemption bound; `WEBPOOL_CHECK_TIMEOUT` (seconds, default 300) bounds each check
/// (one interleaving that runs for 10 s ends it at once); `WEBPOOL_CHECK_REQUIRE=bounded`
/// makes an unbounded queue a failure.
#[macro_export]
macro_rules! check_pool {
    ($pool:ty $(, $key:ident = $value:expr)* $(,)?) => {
        #[test]
        #[cfg_attr(
            not(loom),
            ignore = "webpool's checker runs under loom: RUSTFLAGS=\"--cfg loom\" cargo test --release --test <this file>"
        )]
        fn pool_check() {
            #[cfg(loom)]
            {
                $crate::book_pool!(Subject, $pool $(, $key = $value)*);
                $crate::check::run_card::<Subject>(
                    stringify!($pool),
                    concat!(module_path!(), "::pool_check"),
                )
                .assert_all_pass();
            }
        }
    };
}

/// Defines `struct $name`, a [`BookPool`] that drives `$pool`: by the book's API
/// (`<$pool>::new(size)`, `pool.execute(f)`, shutdown by `Drop`), or as the optional
/// `new = |size| ...`, `execute = |pool, job| ...`, `shutdown = |pool| ...` and
/// `join = |pool| ...` closures say (in any order; each may be left out; with `join`, the card
/// also runs its join checks). A scoped pool gives `scoped = |pool, body| ...` instead of
/// `execute`: open one scope on `&mut pool` and call `body` with a `&dyn Fn(Job)` that submits
/// into it. [`check_pool!`](crate::check_pool) uses it; use it directly to
/// hand a pool to `run_card` yourself (loom builds only).
///
/// ```text
/// webpool::book_pool!(Final, book_final::ThreadPool);
/// let card = webpool::check::run_card::<Final>("book-final", concat!(module_path!(), "::t"));
/// ```
#[macro_export]
macro_rules! book_pool {
    ($name:ident, $pool:ty $(, $key:ident = $value:expr)* $(,)?) => {
        $crate::book_pool!(@keys $name, $pool,
            [(|size| <$pool>::new(size))]
            []
            [(::std::mem::drop)]
            []
            []
            $($key = ($value),)*
        );
    };
    (@keys $name:ident, $pool:ty, [$new:expr] [$($execute:expr)?] [$shutdown:expr] [$($join:expr)?] [$($scoped:expr)?]
        new = ($value:expr), $($rest:tt)*) => {
        $crate::book_pool!(@keys $name, $pool, [$value] [$($execute)?] [$shutdown] [$($join)?] [$($scoped)?] $($rest)*);
    };
    (@keys $name:ident, $pool:ty, [$new:expr] [$($execute:expr)?] [$shutdown:expr] [$($join:expr)?] [$($scoped:expr)?]
        execute = ($value:expr), $($rest:tt)*) => {
        $crate::book_pool!(@keys $name, $pool, [$new] [$value] [$shutdown] [$($join)?] [$($scoped)?] $($rest)*);
    };
    (@keys $name:ident, $pool:ty, [$new:expr] [$($execute:expr)?] [$shutdown:expr] [$($join:expr)?] [$($scoped:expr)?]
        shutdown = ($value:expr), $($rest:tt)*) => {
        $crate::book_pool!(@keys $name, $pool, [$new] [$($execute)?] [$value] [$($join)?] [$($scoped)?] $($rest)*);
    };
    (@keys $name:ident, $pool:ty, [$new:expr] [$($execute:expr)?] [$shutdown:expr] [$($join:expr)?] [$($scoped:expr)?]
        join = ($value:expr), $($rest:tt)*) => {
        $crate::book_pool!(@keys $name, $pool, [$new] [$($execute)?] [$shutdown] [$value] [$($scoped)?] $($rest)*);
    };
    (@keys $name:ident, $pool:ty, [$new:expr] [$($execute:expr)?] [$shutdown:expr] [$($join:expr)?] [$($scoped:expr)?]
        scoped = ($value:expr), $($rest:tt)*) => {
        $crate::book_pool!(@keys $name, $pool, [$new] [$($execute)?] [$shutdown] [$($join)?] [$value] $($rest)*);
    };
    (@keys $name:ident, $pool:ty, [$new:expr] [$($execute:expr)?] [$shutdown:expr] [$($join:expr)?] [$($scoped:expr)?]
        $other:ident = ($value:expr), $($rest:tt)*) => {
        ::std::compile_error!(::std::concat!(
            "book_pool!/check_pool!: no key `", ::std::stringify!($other),
            "`; the keys are new, execute, shutdown, join and scoped"
        ));
    };
    // The keys are read; the book's `execute` unless the pool is scoped.
    (@keys $name:ident, $pool:ty, [$new:expr] [] [$shutdown:expr] [$($join:expr)?] []) => {
        $crate::book_pool!(@define $name, $pool, [$new]
            [(|pool: &$pool, job: $crate::check::Job| {
                pool.execute(job);
            })]
            [$shutdown] [$($join)?] []);
    };
    (@keys $name:ident, $pool:ty, [$new:expr] [$execute:expr] [$shutdown:expr] [$($join:expr)?] []) => {
        $crate::book_pool!(@define $name, $pool, [$new] [$execute] [$shutdown] [$($join)?] []);
    };
    (@keys $name:ident, $pool:ty, [$new:expr] [] [$shutdown:expr] [$($join:expr)?] [$scoped:expr]) => {
        $crate::book_pool!(@define $name, $pool, [$new]
            [(|_: &$pool, _: $crate::check::Job| {
                ::std::panic!("a scoped pool takes jobs inside a scope only")
            })]
            [$shutdown] [$($join)?] [$scoped]);
    };
    (@keys $name:ident, $pool:ty, [$new:expr] [$execute:expr] [$shutdown:expr] [$($join:expr)?] [$scoped:expr]) => {
        ::std::compile_error!(
            "book_pool!/check_pool!: a scoped pool takes jobs inside its scope: give `scoped`, not `execute`"
        );
    };
    (@define $name:ident, $pool:ty, [$new:expr] [$execute:expr] [$shutdown:expr] [$($join:expr)?] [$($scoped:expr)?]) => {
        /// The pool under check, driven as the macro's arguments say.
        struct $name(::std::option::Option<$pool>);

        impl $crate::check::BookPool for $name {
            $(
                const JOINS: bool = {
                    let _ = ::std::stringify!($join);
                    true
                };

                fn join(&self) {
                    let join: fn(&$pool) = $join;
                    join(self.0.as_ref().expect("the pool is alive until dropped"));
                }

                fn joiner(
                    pool: &$crate::sync::Arc<Self>,
                ) -> ::std::option::Option<$crate::check::Job> {
                    let pool = $crate::sync::Arc::clone(pool);
                    ::std::option::Option::Some(::std::boxed::Box::new(move || {
                        $crate::check::BookPool::join(&*pool)
                    }))
                }
            )?

            fn new(size: usize) -> $name {
                let new: fn(usize) -> $pool = $new;
                $name(::std::option::Option::Some(new(size)))
            }

            fn execute<F>(&self, job: F)
            where
                F: FnOnce() + Send + 'static,
            {
                let execute: fn(&$pool, $crate::check::Job) = $execute;
                let pool = self.0.as_ref().expect("the pool is alive until dropped");
                execute(pool, ::std::boxed::Box::new(job));
            }

            $(
                const SCOPED: bool = {
                    let _ = ::std::stringify!($scoped);
                    true
                };

                fn scope(&mut self, body: &mut $crate::check::ScopeBody<'_>) {
                    let scoped: fn(&mut $pool, &mut $crate::check::ScopeBody<'_>) =
                        $scoped;
                    scoped(self.0.as_mut().expect("the pool is alive until dropped"), body);
                }
            )?
        }

        impl ::std::ops::Drop for $name {
            fn drop(&mut self) {
                let shutdown: fn($pool) = $shutdown;
                if let ::std::option::Option::Some(pool) = self.0.take() {
                    shutdown(pool);
                }
            }
        }
    };
}
