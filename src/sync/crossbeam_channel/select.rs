//! `Select` over `recv` operations: wait until one of several channels has a message (or is
//! closed), then take it.
//!
//! A ready operation is claimed before `select` returns (the message is reserved: no other
//! receiver can take it), so [`SelectedOperation::recv`] never waits, as crossbeam promises.
//! To wait on several channels at once, a `Select` puts a [`Signal`] on each of them; any
//! change of those channels (a message, the last sender gone, a claim given back) fires it.

use std::fmt;
use std::panic::Location;
use std::ptr;
use std::time::{Duration, Instant};

use super::backend::{block, let_time_pass, lock, record, unblock, wait, Action, Arc, Blocked};
use super::backend::{Condvar, Mutex};
use super::channel::Receiver;
use super::{RecvError, SelectTimeoutError, TrySelectError};

/// What a `Select` needs of a channel it watches (the message type erased).
pub(super) trait Selectable {
    /// Claims a message (`Some(true)`), or reports the channel closed and empty
    /// (`Some(false)`), or not ready (`None`).
    fn reserve(&self) -> Option<bool>;
    /// Gives back an unused claim.
    fn release(&self);
    /// Fires `signal` on every change of the channel, and counts the `Select` as a receiver
    /// waiting on it, until [`unwatch`](Self::unwatch).
    fn watch(&self, signal: &Arc<Signal>);
    /// Stops firing `signal`.
    fn unwatch(&self, signal: &Arc<Signal>);
    /// The recorder's index of the channel.
    fn channel(&self) -> usize;
}

impl<T> Selectable for Receiver<T> {
    fn reserve(&self) -> Option<bool> {
        self.shared.reserve()
    }

    fn release(&self) {
        self.shared.release();
    }

    fn watch(&self, signal: &Arc<Signal>) {
        self.shared.watch(signal);
    }

    fn unwatch(&self, signal: &Arc<Signal>) {
        self.shared.unwatch(signal);
    }

    fn channel(&self) -> usize {
        self.shared.id
    }
}

/// A one-shot wake-up a waiting `Select` sleeps on and the channels it watches fire.
pub(crate) struct Signal {
    fired: Mutex<bool>,
    wake: Condvar,
}

impl Signal {
    fn new() -> Signal {
        Signal {
            fired: Mutex::new(false),
            wake: Condvar::new(),
        }
    }

    /// Wakes the `Select` (called under the firing channel's lock: channel, then signal, is
    /// the only order the two locks are taken in).
    pub(super) fn fire(&self) {
        *lock(&self.fired) = true;
        self.wake.notify_one();
    }

    /// Sleeps until fired.
    fn wait(&self) {
        let mut fired = lock(&self.fired);
        while !*fired {
            fired = wait(&self.wake, fired);
        }
    }
}

/// A set of `recv` operations to wait on together; see crossbeam's `Select`. Only `recv`
/// operations are modelled (see the module documentation of `crossbeam_channel`).
pub struct Select<'a> {
    /// The receivers, in the order added: an operation's index is its position.
    handles: Vec<&'a dyn Selectable>,
}

/// A ready operation `Select` chose, to be completed with [`recv`](Self::recv); see
/// crossbeam's `SelectedOperation`.
#[must_use]
pub struct SelectedOperation<'a> {
    index: usize,
    handle: &'a dyn Selectable,
    /// Whether a message is reserved for `recv` (else the channel was closed and empty).
    claimed: bool,
    /// Whether `recv` was called.
    completed: bool,
}

impl<'a> Select<'a> {
    /// An empty set.
    pub fn new() -> Select<'a> {
        Select {
            handles: Vec::new(),
        }
    }

    /// Adds a `recv` operation on `receiver`; returns its index.
    pub fn recv<T>(&mut self, receiver: &'a Receiver<T>) -> usize {
        self.handles.push(receiver);
        self.handles.len() - 1
    }

    /// The first operation with a message, claimed; else the first on a closed channel;
    /// `None` if none is ready. (Messages first: a loop that drains several channels until
    /// all are closed would otherwise spin on the first one closed, as crossbeam's random
    /// choice never does for long.)
    fn look(&self) -> Option<SelectedOperation<'a>> {
        let mut closed = None;
        for (index, handle) in self.handles.iter().enumerate() {
            match handle.reserve() {
                Some(true) => return Some(self.selected(index, true)),
                Some(false) if closed.is_none() => closed = Some(index),
                _ => {}
            }
        }
        closed.map(|index| self.selected(index, false))
    }

    /// Operation `index`, its message claimed or its channel closed.
    fn selected(&self, index: usize, claimed: bool) -> SelectedOperation<'a> {
        SelectedOperation {
            index,
            handle: self.handles[index],
            claimed,
            completed: false,
        }
    }

    /// A ready operation, if one is ready now; never waits.
    ///
    /// # Errors
    ///
    /// [`TrySelectError`] if none is ready.
    pub fn try_select(&mut self) -> Result<SelectedOperation<'a>, TrySelectError> {
        self.look().ok_or(TrySelectError)
    }

    /// Waits until an operation is ready and returns it. (Where several are, the first
    /// added: crossbeam picks one at random.)
    ///
    /// # Panics
    ///
    /// If no operation was added (crossbeam's would wait for ever).
    #[track_caller]
    pub fn select(&mut self) -> SelectedOperation<'a> {
        assert!(
            !self.handles.is_empty(),
            "Select::select with no operation would wait for ever"
        );
        let at = Some(Location::caller());
        let channel = self.handles[0].channel();
        loop {
            if let Some(operation) = self.look() {
                return operation;
            }
            let signal = Arc::new(Signal::new());
            for handle in &self.handles {
                handle.watch(&signal);
            }
            // A change between the first look and the watch fired no signal: look again.
            let operation = self.look();
            if operation.is_none() {
                block(Blocked::Recv { channel }, at);
                signal.wait();
                unblock();
            }
            for handle in &self.handles {
                handle.unwatch(&signal);
            }
            if let Some(operation) = operation {
                return operation;
            }
        }
    }

    /// A ready operation now, or after letting time pass once (see the module documentation
    /// of `crossbeam_channel`: the model's timeout).
    ///
    /// # Errors
    ///
    /// [`SelectTimeoutError`] if none became ready.
    pub fn select_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        let _ = timeout;
        if let Some(operation) = self.look() {
            return Ok(operation);
        }
        // Waiting on the channels while time passes (a rendezvous's `try_send` may hand this
        // `Select` a message meanwhile); nobody sleeps on the signal.
        let signal = Arc::new(Signal::new());
        for handle in &self.handles {
            handle.watch(&signal);
        }
        let_time_pass();
        for handle in &self.handles {
            handle.unwatch(&signal);
        }
        self.look().ok_or(SelectTimeoutError)
    }

    /// As [`select_timeout`](Self::select_timeout) (the model has no clock).
    ///
    /// # Errors
    ///
    /// As [`select_timeout`](Self::select_timeout).
    pub fn select_deadline(
        &mut self,
        deadline: Instant,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        let _ = deadline;
        self.select_timeout(Duration::ZERO)
    }
}

impl Default for Select<'_> {
    fn default() -> Self {
        Select::new()
    }
}

impl fmt::Debug for Select<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Select { .. }")
    }
}

impl SelectedOperation<'_> {
    /// The index `Select::recv` returned for this operation.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Completes the operation: the message claimed, or [`RecvError`] if the channel was
    /// closed and empty. Never waits.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if the channel was closed and empty when selected.
    ///
    /// # Panics
    ///
    /// If `receiver` is not the one this operation was added with.
    #[track_caller]
    pub fn recv<T>(mut self, receiver: &Receiver<T>) -> Result<T, RecvError> {
        let selected = ptr::from_ref(self.handle).cast::<()>();
        assert!(
            ptr::eq(selected, ptr::from_ref(receiver).cast::<()>()),
            "passed a receiver that wasn't selected"
        );
        self.completed = true;
        let at = Location::caller();
        if self.claimed {
            Ok(receiver.shared.take_reserved(at))
        } else {
            let channel = receiver.shared.id;
            record(
                Action::Recv {
                    channel,
                    got: false,
                },
                Some(at),
            );
            Err(RecvError)
        }
    }
}

impl Drop for SelectedOperation<'_> {
    fn drop(&mut self) {
        if self.completed {
            return;
        }
        if self.claimed {
            self.handle.release();
        }
        // As crossbeam's does.
        if !std::thread::panicking() {
            panic!("dropped `SelectedOperation` without completing the operation");
        }
    }
}

impl fmt::Debug for SelectedOperation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("SelectedOperation { .. }")
    }
}
