//! What the checker's counterexamples are made of: one model execution, as the steps each
//! thread took through the shim, in the order they happened.
//!
//! Under `--cfg loom` the shim's `Mutex`, `Condvar`, `mpsc` and `thread` report every operation
//! here while a check is recording ([`start`]); the checker ([`crate::check`]) renders the
//! failing execution's [`Trace`] as numbered steps and as an SVG swimlane. Built normally,
//! nothing records: these are only the data types (the renderers' tests build traces by hand).
//!
//! Why the order is exact: loom runs a model's threads one at a time, switching only inside
//! its own operations, and the recorder is plain `std` state that loom does not see (so it adds
//! no interleavings). Each step is recorded next to the operation it reports, on the side of
//! the switch point that keeps the order truthful: a lock is recorded once acquired, a release
//! before the lock is let go, a message inside the channel's critical section.

use std::fmt;

/// Where in the source an operation was called (`#[track_caller]`'s location).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    /// The source file, as the compiler names it (relative to the workspace root).
    pub file: &'static str,
    /// The line.
    pub line: u32,
}

impl Site {
    /// The site of `location`.
    pub fn of(location: &'static std::panic::Location<'static>) -> Site {
        Site {
            file: location.file(),
            line: location.line(),
        }
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// What kind of synchronisation object a [`Trace::objects`] entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// A `Mutex`: named `L1`, `L2`, ...
    Lock,
    /// A `Condvar`: named `C1`, ...
    Condvar,
    /// An `mpsc` channel: named `ch1`, ...
    Channel,
    /// An `RwLock`: named `RW1`, ... (its write side is recorded as `Lock`/`Unlock`, its read
    /// side as `ReadLock`/`ReadUnlock`).
    RwLock,
}

/// A synchronisation object the execution created, with where it was created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// Its kind.
    pub kind: ObjectKind,
    /// Its short name in the trace (`L1`, `C1`, `ch1`).
    pub name: String,
    /// Where it was created (`Mutex::new`, `Condvar::new`, `mpsc::channel`).
    pub created: Option<Site>,
}

/// One thing a thread did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Started thread `child` (an index into [`Trace::threads`]).
    Spawn {
        /// The new thread.
        child: usize,
    },
    /// The thread's closure returned (`panicked: false`) or unwound (`true`).
    Exit {
        /// Whether it ended by a panic.
        panicked: bool,
    },
    /// Joined `child`, which had ended by a panic if `panicked`.
    Join {
        /// The joined thread.
        child: usize,
        /// Whether `join` returned `Err`.
        panicked: bool,
    },
    /// Acquired lock `lock` (an index into [`Trace::objects`]).
    Lock {
        /// The lock.
        lock: usize,
    },
    /// Released lock `lock`.
    Unlock {
        /// The lock.
        lock: usize,
    },
    /// Acquired `RwLock` `lock` for reading (shared: other readers may hold it too).
    ReadLock {
        /// The lock.
        lock: usize,
    },
    /// Released a read lock on `RwLock` `lock`.
    ReadUnlock {
        /// The lock.
        lock: usize,
    },
    /// Released `lock` and went to sleep on `condvar`.
    Wait {
        /// The condition variable.
        condvar: usize,
        /// The lock it released.
        lock: usize,
    },
    /// Woke up from `condvar` and holds `lock` again.
    Woken {
        /// The condition variable.
        condvar: usize,
        /// The lock it holds again.
        lock: usize,
    },
    /// Returned from a wait on `condvar` without a notification (a spurious wake-up the
    /// checker made), holding `lock` again.
    Spurious {
        /// The condition variable.
        condvar: usize,
        /// The lock it holds again.
        lock: usize,
    },
    /// Notified one (`all: false`) or every (`all: true`) waiter of `condvar`.
    Notify {
        /// The condition variable.
        condvar: usize,
        /// `notify_all` rather than `notify_one`.
        all: bool,
    },
    /// Sent a message on `channel` (`delivered: false`: the receiver was gone).
    Send {
        /// The channel.
        channel: usize,
        /// Whether the message went into the channel.
        delivered: bool,
    },
    /// Received from `channel` (`got: false`: it was closed and empty).
    Recv {
        /// The channel.
        channel: usize,
        /// Whether a message came out (rather than `RecvError`).
        got: bool,
    },
    /// Dropped the last sender of `channel`, closing it.
    Close {
        /// The channel.
        channel: usize,
    },
    /// A step of the checker's own script: `execute(job A)`, `job A starts`, ...
    Note(String),
    /// The thread panicked with this message.
    Panic(String),
}

/// What a thread is blocked on, or was doing when the execution stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// Waiting to acquire `lock`.
    Lock {
        /// The lock.
        lock: usize,
    },
    /// Asleep on `condvar`.
    Wait {
        /// The condition variable.
        condvar: usize,
    },
    /// In `send` on a full `channel` (or a rendezvous waiting for its message to be taken).
    Send {
        /// The channel.
        channel: usize,
    },
    /// In `recv` on an empty `channel`.
    Recv {
        /// The channel.
        channel: usize,
    },
    /// In `join` of thread `child`.
    Join {
        /// The thread.
        child: usize,
    },
    /// In a step of the checker's script (`waits for job B's signal`).
    Note(String),
}

/// One step: a thread, an action, and where in the source it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Index into [`Trace::threads`].
    pub thread: usize,
    /// What it did.
    pub action: Action,
    /// Where, when the operation was called through the shim.
    pub site: Option<Site>,
}

/// A thread's state at the end of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Its closure returned or unwound.
    Exited,
    /// Blocked (or about to block) in this operation, called here.
    Blocked(Blocked, Option<Site>),
    /// Runnable: it was between operations when the execution stopped.
    Running,
}

/// One model execution as recorded: threads, objects, steps, and each thread's state at the
/// end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// Thread labels, `main` first (`worker 0`, `worker 1`, `producer`, ...).
    pub threads: Vec<String>,
    /// Locks, condition variables and channels, in creation order.
    pub objects: Vec<Object>,
    /// The steps, in execution order.
    pub events: Vec<Event>,
    /// Each thread's state at the end (same indices as `threads`).
    pub ends: Vec<End>,
    /// Which thread holds each lock at the end (same indices as `objects`; `None` for free
    /// locks and for other objects).
    pub holders: Vec<Option<usize>>,
}

#[cfg(loom)]
pub(crate) use recorder::*;

/// The recorder: global state that the shim's wrappers append to while a check records.
#[cfg(loom)]
mod recorder {
    use std::collections::HashMap;
    use std::panic::Location;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, MutexGuard, PoisonError};

    use super::{Action, Blocked, End, Event, Object, ObjectKind, Site, Trace};

    /// Whether a check is recording. Read on every shim operation, so it is a plain atomic:
    /// the pool's own loom models never turn it on and pay one load per operation.
    static RECORDING: AtomicBool = AtomicBool::new(false);

    /// The trace being recorded. A `std` mutex: loom must not see the recorder.
    static STATE: Mutex<State> = Mutex::new(State {
        trace: Trace {
            threads: Vec::new(),
            objects: Vec::new(),
            events: Vec::new(),
            ends: Vec::new(),
            holders: Vec::new(),
        },
        by_loom_id: None,
        workers: 0,
        model_thread: None,
    });

    /// The recorder's state.
    struct State {
        /// What has been recorded so far.
        trace: Trace,
        /// loom's thread id → index into `trace.threads`.
        by_loom_id: Option<HashMap<loom::thread::ThreadId, usize>>,
        /// Threads spawned by the pool so far (`worker 0`, `worker 1`, ...).
        workers: usize,
        /// The OS thread loom runs the model on (all model threads share it). Anything
        /// recorded from another OS thread comes from a thread loom does not know (a pool on
        /// `std::thread` by mistake), where asking loom who is running would panic.
        model_thread: Option<std::thread::ThreadId>,
    }

    fn state() -> MutexGuard<'static, State> {
        STATE.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts recording a new execution, with the calling loom thread as `main`.
    pub(crate) fn start() {
        let mut state = state();
        state.trace = Trace::default();
        state.workers = 0;
        state.model_thread = Some(std::thread::current().id());
        let mut ids = HashMap::new();
        ids.insert(loom::thread::current().id(), 0);
        state.by_loom_id = Some(ids);
        state.trace.threads.push("main".to_owned());
        state.trace.ends.push(End::Running);
        UNWINDING.store(usize::MAX, Ordering::SeqCst);
        REAL_UNWINDING.store(usize::MAX, Ordering::SeqCst);
        RECORDING.store(true, Ordering::SeqCst);
    }

    /// Stops recording (the execution ended without failing).
    pub(crate) fn stop() {
        RECORDING.store(false, Ordering::SeqCst);
    }

    /// Whether a check is recording.
    pub(crate) fn recording() -> bool {
        RECORDING.load(Ordering::Relaxed)
    }

    /// A copy of what has been recorded so far.
    pub(crate) fn snapshot() -> Trace {
        state().trace.clone()
    }

    /// The calling loom thread's index, if it is known to the recorder.
    fn current(state: &State) -> Option<usize> {
        if state.model_thread != Some(std::thread::current().id()) {
            return None;
        }
        let ids = state.by_loom_id.as_ref()?;
        ids.get(&loom::thread::current().id()).copied()
    }

    /// Registers a new object; returns its index, or `usize::MAX` when not recording.
    pub(crate) fn object(kind: ObjectKind, at: &'static Location<'static>) -> usize {
        if !recording() {
            return usize::MAX;
        }
        let mut state = state();
        let count = state
            .trace
            .objects
            .iter()
            .filter(|object| object.kind == kind)
            .count();
        let prefix = match kind {
            ObjectKind::Lock => "L",
            ObjectKind::Condvar => "C",
            ObjectKind::Channel => "ch",
            ObjectKind::RwLock => "RW",
        };
        state.trace.objects.push(Object {
            kind,
            name: format!("{prefix}{}", count + 1),
            created: Some(Site::of(at)),
        });
        state.trace.holders.push(None);
        state.trace.objects.len() - 1
    }

    /// Records that the calling thread did `action` at `at`.
    pub(crate) fn record(action: Action, at: Option<&'static Location<'static>>) {
        if !recording() {
            return;
        }
        unwinding_check();
        let mut state = state();
        let Some(thread) = current(&state) else {
            return;
        };
        let holders = &mut state.trace.holders;
        match action {
            Action::Lock { lock } | Action::Woken { lock, .. } | Action::Spurious { lock, .. }
                if lock < holders.len() =>
            {
                holders[lock] = Some(thread);
            }
            Action::Unlock { lock } | Action::Wait { lock, .. } if lock < holders.len() => {
                holders[lock] = None;
            }
            _ => {}
        }
        if matches!(action, Action::Exit { .. }) {
            state.trace.ends[thread] = End::Exited;
        }
        state.trace.events.push(Event {
            thread,
            action,
            site: at.map(Site::of),
        });
    }

    /// Records that the calling thread is about to block in `blocked`, called at `at`.
    pub(crate) fn block(blocked: Blocked, at: Option<&'static Location<'static>>) {
        if !recording() {
            return;
        }
        unwinding_check();
        let mut state = state();
        if let Some(thread) = current(&state) {
            state.trace.ends[thread] = End::Blocked(blocked, at.map(Site::of));
        }
    }

    /// Records that the calling thread is no longer blocked.
    pub(crate) fn unblock() {
        if !recording() {
            return;
        }
        let mut state = state();
        if let Some(thread) = current(&state) {
            state.trace.ends[thread] = End::Running;
        }
    }

    /// Records that the calling thread spawns a thread at `at`; returns the new thread's
    /// index for [`enter`]. Threads spawned by the checker are named by `label` (and have no
    /// site: they are not the pool's); the pool's are `worker 0`, `worker 1`, ... in spawn
    /// order.
    pub(crate) fn spawn(
        label: Option<&str>,
        at: Option<&'static Location<'static>>,
    ) -> Option<usize> {
        if !recording() {
            return None;
        }
        let child = {
            let mut state = state();
            current(&state)?;
            let name = match label {
                Some(label) => label.to_owned(),
                None => {
                    state.workers += 1;
                    format!("worker {}", state.workers - 1)
                }
            };
            state.trace.threads.push(name);
            state.trace.ends.push(End::Running);
            state.trace.threads.len() - 1
        };
        record(Action::Spawn { child }, at);
        Some(child)
    }

    /// The trace's name for loom thread `id` (`worker 0`, `main`, ...), if it has one.
    pub(crate) fn label_of(id: loom::thread::ThreadId) -> Option<String> {
        if !recording() {
            return None;
        }
        let state = state();
        let index = *state.by_loom_id.as_ref()?.get(&id)?;
        state.trace.threads.get(index).cloned()
    }

    /// Called first thing on a new thread: binds the calling loom thread to `child`.
    pub(crate) fn enter(child: Option<usize>) {
        let Some(child) = child else { return };
        if !recording() {
            return;
        }
        let mut state = state();
        if state.model_thread != Some(std::thread::current().id()) {
            return;
        }
        let id = loom::thread::current().id();
        if let Some(ids) = state.by_loom_id.as_mut() {
            ids.insert(id, child);
        }
    }

    /// Records the end of the calling thread's closure: a panic's message first when it
    /// ended by one (`panicked`), then the exit. Called on the thread itself, after its
    /// closure returned or its unwinding was caught, where loom may be called.
    pub(crate) fn exit(panicked: bool) {
        if panicked {
            let message = last_panic().unwrap_or_else(|| "(no message)".to_owned());
            record(Action::Panic(message), None);
        }
        record(Action::Exit { panicked }, None);
    }

    /// The model thread (index) that is really unwinding from a panic, with loom's exploration
    /// stopped until it is done, or `usize::MAX`; see [`unwinding_begins`].
    static REAL_UNWINDING: std::sync::atomic::AtomicUsize =
        std::sync::atomic::AtomicUsize::new(usize::MAX);

    /// Called by the checker's panic hook when a model thread starts to unwind (never for
    /// loom's own panics): stops loom from exploring other schedules until the unwinding is
    /// over, so the other model threads do not run while it is under way.
    ///
    /// Why: loom runs every model thread on one OS thread, whose panic count std keeps. While
    /// one model thread unwinds, `std::thread::panicking()` is true for all of them; a std
    /// `MutexGuard` that another thread took before the panic and releases during it poisons
    /// the std mutex inside loom's `Mutex`, and loom's next `lock` of it panics; a second panic
    /// then aborts the process. Neither happens on real threads. With exploration stopped,
    /// loom keeps running the unwinding thread, as long as it can run: one schedule of the
    /// unwinding is explored (the rest of the execution is explored as before).
    pub(crate) fn unwinding_begins() {
        if !recording() {
            return;
        }
        let Some(me) = current(&state()) else { return };
        let stopped = REAL_UNWINDING
            .compare_exchange(usize::MAX, me, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        if stopped {
            loom::stop_exploring();
        }
    }

    /// Lets loom explore again once the unwinding that stopped it is over (caught by the
    /// thread's end, by the pool's own `catch_unwind` or by the checker's). Called at every
    /// recorded operation and at each thread's end; a no-op while a panic is under way.
    pub(crate) fn unwinding_check() {
        if REAL_UNWINDING.load(Ordering::SeqCst) == usize::MAX || std::thread::panicking() {
            return;
        }
        REAL_UNWINDING.store(usize::MAX, Ordering::SeqCst);
        loom::explore();
    }

    /// Whether the thread labelled `label` is blocked (or about to block) in an operation of
    /// the shim's.
    pub(crate) fn blocked(label: &str) -> bool {
        let state = state();
        let trace = &state.trace;
        trace
            .threads
            .iter()
            .position(|name| name == label)
            .is_some_and(|thread| matches!(trace.ends.get(thread), Some(End::Blocked(..))))
    }

    /// Set by the checker's panic hook when loom itself panics (a deadlock, a thread too many):
    /// such a panic must end the model, never be caught as a thread's own.
    static LOOM_PANICKED: AtomicBool = AtomicBool::new(false);

    /// Notes that loom itself is panicking on a model thread.
    pub(crate) fn loom_panics() {
        LOOM_PANICKED.store(true, Ordering::SeqCst);
    }

    /// Whether loom panicked since the last call (and forgets it).
    pub(crate) fn take_loom_panic() -> bool {
        LOOM_PANICKED.swap(false, Ordering::SeqCst)
    }

    /// Whether a model thread other than the calling one holds a lock of the shim's.
    pub(crate) fn others_hold_locks() -> bool {
        let state = state();
        let me = current(&state);
        state
            .trace
            .holders
            .iter()
            .any(|holder| holder.is_some() && *holder != me)
    }

    /// Whether the calling model thread is the one unwinding: `std::thread::panicking()`, but
    /// false on the other model threads while one unwinds (they share its OS thread).
    pub(crate) fn really_unwinding() -> bool {
        if !std::thread::panicking() {
            return false;
        }
        let unwinding = REAL_UNWINDING.load(Ordering::SeqCst);
        if unwinding == usize::MAX || !recording() {
            return true;
        }
        current(&state()).is_none_or(|me| me == unwinding)
    }

    /// The thread (index) that the checker says is unwinding, or `usize::MAX`; see
    /// [`simulate_unwinding`].
    static UNWINDING: std::sync::atomic::AtomicUsize =
        std::sync::atomic::AtomicUsize::new(usize::MAX);

    /// Makes `webpool::sync::thread::panicking()` return `true` on the calling thread (`on`)
    /// or not. Why simulate: loom runs every model thread on one OS thread, so while one
    /// really unwinds, `std::thread::panicking()` is true for all of them, and the std
    /// mutexes inside loom's own `Mutex` poison as other model threads release them.
    pub(crate) fn simulate_unwinding(on: bool) {
        let thread = if on {
            current(&state()).unwrap_or(usize::MAX)
        } else {
            usize::MAX
        };
        UNWINDING.store(thread, Ordering::SeqCst);
    }

    /// Whether the checker says the calling thread is unwinding.
    pub(crate) fn simulated_unwinding() -> bool {
        let unwinding = UNWINDING.load(Ordering::SeqCst);
        unwinding != usize::MAX && recording() && current(&state()) == Some(unwinding)
    }

    /// The message of the latest panic, as the checker's panic hook saved it.
    static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

    /// Saves a panic's message for [`exit`]. Called from a panic hook, so it touches
    /// nothing of loom's (the hook may run inside loom's scheduler, e.g. for its deadlock
    /// report, where calling loom again would panic inside the hook and abort).
    pub(crate) fn save_panic(message: String) {
        *LAST_PANIC.lock().unwrap_or_else(PoisonError::into_inner) = Some(message);
    }

    /// Whether the calling OS thread is the one loom runs the model on (false before any
    /// model ran).
    pub(crate) fn on_model_thread() -> bool {
        state().model_thread == Some(std::thread::current().id())
    }

    /// Why the checker's scenario failed, as its own assertion said it.
    static FAILURE: Mutex<Option<String>> = Mutex::new(None);

    /// Saves why the checker's scenario failed (just before it panics with it).
    pub(crate) fn save_failure(message: String) {
        *FAILURE.lock().unwrap_or_else(PoisonError::into_inner) = Some(message);
    }

    /// Why the checker's scenario failed, if its own assertion said so.
    pub(crate) fn failure() -> Option<String> {
        FAILURE
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The message of the latest panic.
    pub(crate) fn last_panic() -> Option<String> {
        LAST_PANIC
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
