//! `crossbeam-channel`, or under loom (and shuttle) a channel with the same API and semantics,
//! so that a pool built on crossbeam's channels can be checked with its imports swapped:
//! `use crossbeam_channel::{..}` becomes `use webpool::sync::crossbeam_channel::{..}`.
//!
//! Built normally (with the `crossbeam-channel` feature), this module is the real crate,
//! untouched: `pub use crossbeam_channel::*`. Built with `--cfg loom`, it is the model in
//! `channel.rs` below, made of loom's `Mutex` and `Condvar` as the shim's `mpsc` is, so loom
//! explores every interleaving of the channel too; like `mpsc`, it reports each operation to
//! the checker's recorder at the caller's `file:line` (`sends a job on ch1`, `waits in recv on
//! ch1`), not the channel's insides. Built with `--cfg shuttle`, the same model runs on
//! shuttle's types (unrecorded). Its semantics are model-checked in `loom_tests/facades.rs`.
//!
//! ```
//! // Before: use crossbeam_channel::{bounded, select, unbounded};
//! use webpool::sync::crossbeam_channel::{bounded, select, unbounded};
//! use webpool::sync::thread;
//! # if webpool::MODEL_CHECKING { return; }
//!
//! // A rendezvous: each send returns once the worker has taken the job.
//! let (jobs, queue) = bounded::<u32>(0);
//! let worker = thread::spawn(move || queue.iter().sum::<u32>());
//! for job in 1..=3 {
//!     jobs.send(job).unwrap();
//! }
//! drop(jobs);
//! assert_eq!(worker.join().unwrap(), 6);
//!
//! let (urgent_tx, urgent) = unbounded::<&str>();
//! let (_normal_tx, normal) = unbounded::<&str>();
//! urgent_tx.send("now").unwrap();
//! let got = select! {
//!     recv(urgent) -> job => job.unwrap(),
//!     recv(normal) -> job => job.unwrap(),
//!     default => "nothing",
//! };
//! assert_eq!(got, "now");
//! ```
//!
//! What the model covers, with crossbeam's semantics:
//!
//! - [`bounded`]`(n)` (at most `n` messages), `bounded(0)` (a rendezvous: `send` returns once
//!   a receiver has taken the message; `try_send` succeeds only while a receiver waits, in
//!   `recv`, in a `Select` or in a timed receive, as threadfin's hand-off to an idle worker
//!   needs), [`unbounded`];
//! - [`Sender`] and [`Receiver`] are both `Clone + Send + Sync` (many producers, many
//!   consumers); `send`, `recv`, `try_send`, `try_recv`, `send_timeout`, `recv_timeout`,
//!   `send_deadline`, `recv_deadline`, `len`, `is_empty`, `is_full`, `capacity`,
//!   `same_channel`, `iter`, `try_iter`, `IntoIterator` (by reference and by value);
//! - disconnection both ways: once every sender is dropped, `recv` returns the buffered
//!   messages, then [`RecvError`]; once every receiver is dropped, `send` fails with
//!   [`SendError`] handing the message back (a rendezvous sender still waiting gets its message
//!   back too), and a sender or receiver blocked at that moment wakes to say so;
//! - the error types are crossbeam's own (re-exported), so their shapes are crossbeam's;
//! - [`Select`] (`recv` operations: `select`, `try_select`, `select_timeout`,
//!   `select_deadline`, [`SelectedOperation::index`] and [`SelectedOperation::recv`]) and
//!   [`select!`] with `recv(r) -> msg => ..` arms and an optional `default => ..` or
//!   `default(timeout) => ..` arm. Of the pool crates on the registry that use
//!   crossbeam-channel (rusty_pool 1.0, workerpool 1.2, threadfin 0.1, executors 0.10,
//!   poolite 0.7; yastl is on flume), only threadfin selects, with the `Select` struct
//!   (`recv` and `select_timeout`), and none uses the `select!` macro.
//!
//! Not covered (a pool using them does not build under loom): `send` operations in `Select`
//! and `select!`, `Select::ready` and its variants, `Select::remove`, `never`, `after`, `at`
//! and `tick`. Where crossbeam picks among several ready operations at random, the model takes
//! the first one registered (a deterministic choice, so loom can replay it).
//!
//! # Timeouts under the checkers
//!
//! Time does not exist in a loom or shuttle model (loom's own `wait_timeout` never times
//! out). Blocking for ever instead would make the checker report hangs that cannot happen (a
//! worker polling a shutdown flag between `recv_timeout`s would never see it), and timing out
//! at once would make a polling loop spin without letting the other threads run. So under the
//! checkers, `recv_timeout`, `send_timeout`, the `*_deadline` calls and `select_timeout` (and
//! `select!`'s `default(timeout)`) do this: if the operation can complete now, it does; if
//! not, the thread yields to the model's scheduler (every other thread may take steps; a
//! receiver counts as waiting meanwhile, so a rendezvous's `try_send` may hand it a message),
//! tries once more, and then returns the timeout error. Every outcome this produces can happen on
//! real threads (a thread may be descheduled for longer than any timeout), so it adds no
//! false alarm; what it cannot show is a message arriving after many other steps within one
//! timeout, which only hides behaviour (a timeout too long to matter). The duration itself is
//! ignored.

#[cfg(not(any(loom, shuttle)))]
pub use ::crossbeam_channel::*;

#[cfg(any(loom, shuttle))]
pub use ::crossbeam_channel::{
    RecvError, RecvTimeoutError, SelectTimeoutError, SendError, SendTimeoutError, TryRecvError,
    TrySelectError, TrySendError,
};

#[cfg(any(loom, shuttle))]
pub use self::channel::{bounded, unbounded, IntoIter, Iter, Receiver, Sender, TryIter};
#[cfg(any(loom, shuttle))]
pub use self::select::{Select, SelectedOperation};
/// `select!` over `recv` operations, with an optional `default` or `default(timeout)` arm;
/// see the module documentation and crossbeam's `select!`.
#[cfg(any(loom, shuttle))]
pub use crate::__webpool_crossbeam_select as select;

#[cfg(any(loom, shuttle))]
mod backend;
#[cfg(any(loom, shuttle))]
mod channel;
#[cfg(any(loom, shuttle))]
mod select;
#[cfg(any(loom, shuttle))]
mod select_macro;
