//! The channel: one lock over a queue and the counts of live senders and receivers, a
//! condition variable receivers wait on for a message, one senders wait on for room (or, with
//! capacity 0, for their message to be taken).

use std::collections::VecDeque;
use std::fmt;
use std::iter::FusedIterator;
use std::mem;
use std::panic::Location;
use std::time::{Duration, Instant};

use super::backend::{
    block, let_time_pass, lock, object, record, unblock, wait, Action, Arc, Blocked, Condvar,
    Mutex, MutexGuard, ObjectKind,
};
use super::select::Signal;
use super::{RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError};

/// Creates a channel of unbounded capacity; see crossbeam's `unbounded`.
#[track_caller]
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    halves(None, Location::caller())
}

/// Creates a channel that holds at most `cap` messages; see crossbeam's `bounded`. With `cap`
/// 0 it holds none: `send` waits until a receiver takes its message (a rendezvous).
#[track_caller]
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    halves(Some(cap), Location::caller())
}

/// The two halves of a new channel, created at `at`.
fn halves<T>(cap: Option<usize>, at: &'static Location<'static>) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        id: object(ObjectKind::Channel, at),
        cap,
        state: Mutex::new(State {
            queue: VecDeque::new(),
            senders: 1,
            receivers: 1,
            taken: 0,
            reserved: 0,
            blocked_receivers: 0,
            watchers: Vec::new(),
        }),
        available: Condvar::new(),
        space: Condvar::new(),
    });
    let sender = Sender {
        shared: Arc::clone(&shared),
    };
    (sender, Receiver { shared })
}

/// The sending half; see crossbeam's `Sender`. Cloning it adds a sender.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving half; see crossbeam's `Receiver`. Cloning it adds a receiver: each message
/// goes to exactly one of them.
pub struct Receiver<T> {
    pub(super) shared: Arc<Shared<T>>,
}

/// What every handle of a channel shares.
pub(super) struct Shared<T> {
    /// The recorder's index for this channel.
    pub(super) id: usize,
    /// `Some(n)` for `bounded(n)`, `None` for `unbounded`.
    cap: Option<usize>,
    pub(super) state: Mutex<State<T>>,
    /// Receivers wait here for a message or for the last sender to go.
    available: Condvar,
    /// Senders wait here for room, or (capacity 0) for their message to be taken, or for the
    /// last receiver to go.
    space: Condvar,
}

/// The channel's state, guarded by `Shared::state`.
pub(super) struct State<T> {
    /// Messages sent and not yet taken, oldest first. With capacity 0, at most one: a
    /// sender's offer, waiting for a receiver.
    queue: VecDeque<T>,
    /// Live `Sender`s.
    senders: usize,
    /// Live `Receiver`s.
    receivers: usize,
    /// Messages taken so far (a rendezvous sender waits until its own is).
    taken: u64,
    /// Messages a `Select` has claimed for its caller and not yet taken: not for others.
    reserved: usize,
    /// Receivers waiting for a message: asleep in `recv` or in a `Select`, or pausing in a
    /// timed receive. With capacity 0, `try_send` succeeds only if one is (crossbeam hands
    /// the message to a waiting receiver).
    blocked_receivers: usize,
    /// `Select`s asleep on this channel among others, to be woken when it changes.
    watchers: Vec<Arc<Signal>>,
}

impl<T> State<T> {
    /// Messages a receiver may take now (those not claimed by a `Select`).
    fn ready(&self) -> usize {
        self.queue.len() - self.reserved
    }

    /// Wakes every `Select` watching the channel.
    fn wake_watchers(&self) {
        for watcher in &self.watchers {
            watcher.fire();
        }
    }
}

/// Why a non-blocking `try_put` did not send.
enum PutError<T> {
    Full(T),
    Disconnected(T),
}

impl<T> Shared<T> {
    /// How many messages fit before a sender must wait: a rendezvous's offer takes one place.
    fn room(&self) -> usize {
        self.cap.map_or(usize::MAX, |cap| cap.max(1))
    }

    /// Queues `value` in `state` (locked), records the send, and wakes a receiver; or, if
    /// every receiver is gone, records that it was not delivered and hands `value` back.
    /// Recorded under the lock, so no `recv` of this message can be recorded first.
    fn put(
        &self,
        state: &mut State<T>,
        value: T,
        at: Option<&'static Location<'static>>,
    ) -> Result<(), T> {
        let delivered = state.receivers > 0;
        record(
            Action::Send {
                channel: self.id,
                delivered,
            },
            at,
        );
        if !delivered {
            return Err(value);
        }
        state.queue.push_back(value);
        self.available.notify_one();
        state.wake_watchers();
        Ok(())
    }

    /// Sends `value` if that needs no waiting: room in the channel (capacity 0: a receiver
    /// waiting, and no other offer before it), or every receiver gone.
    fn try_put(
        &self,
        state: &mut State<T>,
        value: T,
        at: Option<&'static Location<'static>>,
    ) -> Result<(), PutError<T>> {
        let full = match self.cap {
            Some(0) => state.blocked_receivers == 0 || !state.queue.is_empty(),
            _ => state.queue.len() >= self.room(),
        };
        if full && state.receivers > 0 {
            return Err(PutError::Full(value));
        }
        self.put(state, value, at).map_err(PutError::Disconnected)
    }

    /// Takes the oldest message out of `state` (locked), counting it and waking the senders
    /// that wait for room or for their message to be taken.
    pub(super) fn take(&self, state: &mut State<T>) -> Option<T> {
        if state.ready() == 0 {
            return None;
        }
        let value = state.queue.pop_front()?;
        state.taken += 1;
        if self.cap.is_some() {
            self.space.notify_all();
        }
        Some(value)
    }

    /// A message `try_recv` can return now, or why not.
    fn try_take(&self, state: &mut State<T>) -> Result<T, TryRecvError> {
        match self.take(state) {
            Some(value) => Ok(value),
            None if state.senders == 0 => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Records a `try_recv`-like outcome: a message taken or the channel found closed is a
    /// step of the trace, an empty look is not (it changed nothing).
    fn record_look<E>(&self, outcome: &Result<T, E>, empty: bool, at: &'static Location<'static>) {
        if !empty {
            let (channel, got) = (self.id, outcome.is_ok());
            record(Action::Recv { channel, got }, Some(at));
        }
    }

    /// Claims one message for a `Select` (`Some(true)`), or reports the channel closed and
    /// empty (`Some(false)`, a ready `recv` that will fail), or not ready (`None`).
    pub(super) fn reserve(&self) -> Option<bool> {
        let mut state = lock(&self.state);
        if state.ready() > 0 {
            state.reserved += 1;
            Some(true)
        } else if state.senders == 0 {
            Some(false)
        } else {
            None
        }
    }

    /// Gives back a claim of [`reserve`](Self::reserve) that was not used, waking whoever
    /// waits for that message.
    pub(super) fn release(&self) {
        let mut state = lock(&self.state);
        state.reserved -= 1;
        self.available.notify_one();
        state.wake_watchers();
    }

    /// Takes the message a `Select` claimed.
    pub(super) fn take_reserved(&self, at: &'static Location<'static>) -> T {
        let mut state = lock(&self.state);
        state.reserved -= 1;
        let value = self
            .take(&mut state)
            .expect("a reserved message stays in the channel");
        let channel = self.id;
        record(Action::Recv { channel, got: true }, Some(at));
        value
    }

    /// Adds `signal` to the `Select`s woken when the channel changes; the `Select` counts as
    /// a waiting receiver meanwhile.
    pub(super) fn watch(&self, signal: &Arc<Signal>) {
        let mut state = lock(&self.state);
        state.watchers.push(Arc::clone(signal));
        state.blocked_receivers += 1;
    }

    /// Removes `signal` from the watchers.
    pub(super) fn unwatch(&self, signal: &Arc<Signal>) {
        let mut state = lock(&self.state);
        state
            .watchers
            .retain(|watcher| !Arc::ptr_eq(watcher, signal));
        state.blocked_receivers -= 1;
    }

    /// A timed receive's pause: lets time pass, counted meanwhile as a waiting receiver on a
    /// rendezvous channel, so that a `try_send` may hand it a message then.
    fn pause_as_waiting_receiver(&self) {
        if self.cap != Some(0) {
            let_time_pass();
            return;
        }
        lock(&self.state).blocked_receivers += 1;
        let_time_pass();
        lock(&self.state).blocked_receivers -= 1;
    }

    /// The number of messages in the channel, as crossbeam counts them (a rendezvous holds
    /// none: an offer is not a buffered message).
    fn len(&self) -> usize {
        match self.cap {
            Some(0) => 0,
            _ => lock(&self.state).ready(),
        }
    }

    fn is_full(&self) -> bool {
        match self.cap {
            Some(cap) => self.len() >= cap,
            None => false,
        }
    }
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while the channel is full (capacity 0: until a receiver takes
    /// it).
    ///
    /// # Errors
    ///
    /// [`SendError`] holding `value` if every receiver is gone (also when the last one goes
    /// while this call waits).
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let shared = &*self.shared;
        let (channel, at) = (shared.id, Some(Location::caller()));
        let mut state = lock(&shared.state);
        if state.receivers > 0 && state.queue.len() >= shared.room() {
            block(Blocked::Send { channel }, at);
            while state.receivers > 0 && state.queue.len() >= shared.room() {
                state = wait(&shared.space, state);
            }
            unblock();
        }
        shared.put(&mut state, value, at).map_err(SendError)?;
        if shared.cap == Some(0) {
            return self.await_taken(state, at);
        }
        Ok(())
    }

    /// A rendezvous sender's second half: waits until its offer (the one message in the
    /// queue) is taken, or takes it back if every receiver goes first.
    fn await_taken(
        &self,
        mut state: MutexGuard<'_, State<T>>,
        at: Option<&'static Location<'static>>,
    ) -> Result<(), SendError<T>> {
        let shared = &*self.shared;
        let (channel, ticket) = (shared.id, state.taken + 1);
        block(Blocked::Send { channel }, at);
        while state.receivers > 0 && state.taken < ticket {
            state = wait(&shared.space, state);
        }
        unblock();
        if state.taken >= ticket {
            return Ok(());
        }
        let value = state
            .queue
            .pop_front()
            .expect("an offer not taken is still queued");
        record(
            Action::Send {
                channel,
                delivered: false,
            },
            at,
        );
        Err(SendError(value))
    }

    /// Sends `value` if that needs no waiting.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if the channel is full (capacity 0: unless a receiver waits in
    /// `recv`, in a `Select` or in a timed receive's pause), [`TrySendError::Disconnected`] if every receiver is gone; both hold
    /// `value`.
    #[track_caller]
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let at = Some(Location::caller());
        let mut state = lock(&self.shared.state);
        self.shared
            .try_put(&mut state, value, at)
            .map_err(|error| match error {
                PutError::Full(value) => TrySendError::Full(value),
                PutError::Disconnected(value) => TrySendError::Disconnected(value),
            })
    }

    /// Sends `value` if that needs no waiting, else lets time pass once and tries again
    /// (see the module documentation: the model's timeout).
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] if the channel stayed full,
    /// [`SendTimeoutError::Disconnected`] if every receiver is gone; both hold `value`.
    #[track_caller]
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        let _ = timeout;
        match self.try_send(value) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(value)) => Err(SendTimeoutError::Disconnected(value)),
            Err(TrySendError::Full(value)) => {
                let_time_pass();
                self.try_send(value).map_err(|error| match error {
                    TrySendError::Full(value) => SendTimeoutError::Timeout(value),
                    TrySendError::Disconnected(value) => SendTimeoutError::Disconnected(value),
                })
            }
        }
    }

    /// As [`send_timeout`](Self::send_timeout) (the model has no clock).
    ///
    /// # Errors
    ///
    /// As [`send_timeout`](Self::send_timeout).
    #[track_caller]
    pub fn send_deadline(&self, value: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        let _ = deadline;
        self.send_timeout(value, Duration::ZERO)
    }

    /// Whether the channel holds no message.
    pub fn is_empty(&self) -> bool {
        self.shared.len() == 0
    }

    /// Whether the channel is full (capacity 0: always).
    pub fn is_full(&self) -> bool {
        self.shared.is_full()
    }

    /// The number of messages in the channel.
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// The capacity: `Some(n)` for `bounded(n)`, `None` for `unbounded`.
    pub fn capacity(&self) -> Option<usize> {
        self.shared.cap
    }

    /// Whether `other` sends on the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        lock(&self.shared.state).senders += 1;
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        state.senders -= 1;
        if state.senders == 0 {
            let channel = self.shared.id;
            record(Action::Close { channel }, None);
            // Every receiver asleep in `recv` and every `Select` learns that the channel is
            // closed.
            self.shared.available.notify_all();
            state.wake_watchers();
        }
    }
}

impl<T> Receiver<T> {
    /// Returns the oldest message, waiting while there is none and some sender is alive.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is empty and every sender is gone.
    #[track_caller]
    pub fn recv(&self) -> Result<T, RecvError> {
        let shared = &*self.shared;
        let (channel, at) = (shared.id, Some(Location::caller()));
        block(Blocked::Recv { channel }, at);
        let mut state = lock(&shared.state);
        let received = loop {
            if let Some(value) = shared.take(&mut state) {
                break Ok(value);
            }
            if state.senders == 0 {
                break Err(RecvError);
            }
            // With capacity 0, a `try_send` may now hand its message over.
            state.blocked_receivers += 1;
            state = wait(&shared.available, state);
            state.blocked_receivers -= 1;
        };
        drop(state);
        unblock();
        let got = received.is_ok();
        record(Action::Recv { channel, got }, at);
        received
    }

    /// Returns the oldest message if there is one; never waits.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if there is none but a sender is alive,
    /// [`TryRecvError::Disconnected`] if there is none and every sender is gone.
    #[track_caller]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let shared = &*self.shared;
        let received = shared.try_take(&mut lock(&shared.state));
        let empty = matches!(received, Err(TryRecvError::Empty));
        shared.record_look(&received, empty, Location::caller());
        received
    }

    /// Returns a message if there is one now, else lets time pass once and looks again (see
    /// the module documentation: the model's timeout).
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] if the channel stayed empty,
    /// [`RecvTimeoutError::Disconnected`] if it is empty and every sender is gone.
    #[track_caller]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        let _ = timeout;
        let received = match self.try_recv() {
            Err(TryRecvError::Empty) => {
                self.shared.pause_as_waiting_receiver();
                self.try_recv()
            }
            received => received,
        };
        received.map_err(|error| match error {
            TryRecvError::Empty => RecvTimeoutError::Timeout,
            TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
        })
    }

    /// As [`recv_timeout`](Self::recv_timeout) (the model has no clock).
    ///
    /// # Errors
    ///
    /// As [`recv_timeout`](Self::recv_timeout).
    #[track_caller]
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        let _ = deadline;
        self.recv_timeout(Duration::ZERO)
    }

    /// Whether the channel holds no message.
    pub fn is_empty(&self) -> bool {
        self.shared.len() == 0
    }

    /// Whether the channel is full (capacity 0: always).
    pub fn is_full(&self) -> bool {
        self.shared.is_full()
    }

    /// The number of messages in the channel.
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// The capacity: `Some(n)` for `bounded(n)`, `None` for `unbounded`.
    pub fn capacity(&self) -> Option<usize> {
        self.shared.cap
    }

    /// Whether `other` receives from the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// An iterator that waits for each message and ends when the channel is closed and
    /// empty.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { receiver: self }
    }

    /// An iterator over the messages there are now; never waits.
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { receiver: self }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        lock(&self.shared.state).receivers += 1;
        Receiver {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        state.receivers -= 1;
        if state.receivers > 0 {
            return;
        }
        // As crossbeam's unbounded channel does, the messages nobody will receive are dropped
        // now (a rendezvous's offer stays: its sender takes it back).
        let undelivered = match self.shared.cap {
            Some(0) => VecDeque::new(),
            _ => mem::take(&mut state.queue),
        };
        // Senders waiting for room or for their offer to be taken: the answer is now "gone".
        self.shared.space.notify_all();
        state.wake_watchers();
        drop(state);
        // Outside the lock: their destructors may do anything.
        drop(undelivered);
    }
}

/// A blocking iterator over a receiver's messages; see crossbeam's `Iter`.
pub struct Iter<'a, T> {
    receiver: &'a Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<T> FusedIterator for Iter<'_, T> {}

/// A non-blocking iterator over a receiver's messages; see crossbeam's `TryIter`.
pub struct TryIter<'a, T> {
    receiver: &'a Receiver<T>,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;

    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.receiver.try_recv().ok()
    }
}

/// A blocking iterator that owns its receiver; see crossbeam's `IntoIter`.
pub struct IntoIter<T> {
    receiver: Receiver<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<T> FusedIterator for IntoIter<T> {}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        IntoIter { receiver: self }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sender { .. }")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Iter { .. }")
    }
}

impl<T> fmt::Debug for TryIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("TryIter { .. }")
    }
}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("IntoIter { .. }")
    }
}

/// The checker's trace of the channel: each send and receive is a step at the caller's
/// `file:line` (not inside this file), a `try_recv` that finds the channel empty is none, and
/// the last sender's drop closes it.
#[cfg(all(test, loom))]
mod trace_tests {
    use super::unbounded;
    use crate::sync::trace::{self, Action};

    #[test]
    fn sends_and_receives_are_steps_at_the_callers_line() {
        loom::model(|| {
            trace::start();
            let (sender, receiver) = unbounded::<u8>();
            let created = line!() - 1;
            assert!(receiver.try_recv().is_err());
            sender.send(7).unwrap();
            let sent = line!() - 1;
            assert_eq!(receiver.recv(), Ok(7));
            let received = line!() - 1;
            drop(sender);
            let recorded = trace::snapshot();
            trace::stop();
            let steps: Vec<(String, Option<u32>)> = recorded
                .events
                .iter()
                .map(|event| {
                    let what = match event.action {
                        Action::Send { delivered, .. } => format!("send {delivered}"),
                        Action::Recv { got, .. } => format!("recv {got}"),
                        Action::Close { .. } => "close".to_owned(),
                        ref other => format!("{other:?}"),
                    };
                    let here = event.site.filter(|site| site.file == file!());
                    (what, here.map(|site| site.line))
                })
                .collect();
            let expected = [
                ("send true".to_owned(), Some(sent)),
                ("recv true".to_owned(), Some(received)),
                ("close".to_owned(), None),
            ];
            assert_eq!(steps, expected, "{:#?}", recorded.events);
            let channel = &recorded.objects[0];
            assert_eq!(channel.created.map(|site| site.line), Some(created));
        });
    }
}
