//! `std::sync::mpsc`, or under loom a channel with the same observable semantics.
//!
//! The Rust Book's thread pool is built on `mpsc`, and its shutdown bugs live in how the pool
//! reacts to a channel closing. loom's own `mpsc` cannot show them: its `recv` never reports
//! that every sender is gone, and its `send` never reports that the receiver is (loom issue
//! #213), so a model of the book's pool would hang or pass where the real one fails. This
//! module gives the models a channel that behaves like std's:
//!
//! - [`Sender::send`] fails with [`SendError`], handing the value back, once the [`Receiver`]
//!   is dropped;
//! - [`Receiver::recv`] returns the buffered messages in order, then blocks while some
//!   [`Sender`] is alive, and returns [`RecvError`] once every sender is dropped and the
//!   buffer is empty;
//! - dropping the receiver drops the messages still buffered;
//! - a `Sender` is `Clone + Send + Sync`; a `Receiver` is `Send` but not `Sync`.
//!
//! Built normally, the items here are std's own (`std::sync::mpsc::{channel, Sender, ..}`).
//! Built with `--cfg loom`, they are the small unbounded channel below, made of the shim's
//! `Mutex` and `Condvar`, so loom explores every interleaving of it too. Its semantics are
//! themselves model-checked in `loom_tests/channel.rs`.
//!
//! Built with `--cfg shuttle`, they are shuttle's own channel, which reports disconnection as
//! std's does (`recv` fails once every sender is gone and the buffer is empty, `send` fails
//! once the receiver is gone, a blocked `recv` or `send` wakes to say so), as
//! `shuttle_tests/channel.rs` checks. Two differences no pool can rely on: its `Receiver` is
//! `Sync` (std's is not, so code that builds with std builds with it), and the messages still
//! buffered when the receiver is dropped are dropped with the last sender, not at once.

#[cfg(not(any(loom, shuttle)))]
pub use std::sync::mpsc::{
    channel, sync_channel, Iter, Receiver, RecvError, SendError, Sender, SyncSender, TryRecvError,
    TrySendError,
};

#[cfg(all(shuttle, not(loom)))]
pub use shuttle::sync::mpsc::{
    channel, sync_channel, Iter, Receiver, RecvError, SendError, Sender, SyncSender, TryRecvError,
    TrySendError,
};

#[cfg(loom)]
pub use self::model::{
    channel, sync_channel, Iter, Receiver, RecvError, SendError, Sender, SyncSender, TryRecvError,
    TrySendError,
};

#[cfg(loom)]
mod model {
    use std::cell::Cell;
    use std::collections::VecDeque;
    use std::fmt;
    use std::marker::PhantomData;
    use std::mem;

    use std::panic::Location;
    use std::sync::PoisonError;

    // loom's own lock and condition variable, not the shim's traced ones: a counterexample
    // shows `send` and `recv` on the channel, not the channel's insides.
    use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

    use crate::sync::trace::{self, Action, Blocked, ObjectKind};

    /// Locks the channel's state (no user code runs under it, so poisoning cannot happen).
    fn lock<T>(shared: &Shared<T>) -> MutexGuard<'_, State<T>> {
        shared.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates an unbounded channel; see [`std::sync::mpsc::channel`].
    #[track_caller]
    pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
        halves(None, Location::caller())
    }

    /// Creates a channel that holds at most `bound` messages; see
    /// [`std::sync::mpsc::sync_channel`]. With `bound` 0, `send` waits until its message is
    /// received (a rendezvous).
    #[track_caller]
    pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
        let (inner, receiver) = halves(Some(bound), Location::caller());
        (SyncSender { inner }, receiver)
    }

    /// The two halves of a new channel, created at `at`, bounded or not.
    fn halves<T>(bound: Option<usize>, at: &'static Location<'static>) -> (Sender<T>, Receiver<T>) {
        let shared = Arc::new(Shared {
            id: trace::object(ObjectKind::Channel, at),
            state: Mutex::new(State {
                queue: VecDeque::new(),
                senders: 1,
                receiver_alive: true,
                received: 0,
            }),
            available: Condvar::new(),
            bound: bound.map(|bound| (bound, Condvar::new())),
        });
        let sender = Sender {
            shared: Arc::clone(&shared),
        };
        let receiver = Receiver {
            shared,
            _not_sync: PhantomData,
        };
        (sender, receiver)
    }

    /// The sending half of a [`sync_channel`]; see [`std::sync::mpsc::SyncSender`].
    pub struct SyncSender<T> {
        /// A sender of the same shared state; only `send` differs.
        inner: Sender<T>,
    }

    /// Why `try_send` did not send; the message is handed back.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub enum TrySendError<T> {
        /// The channel holds `bound` messages already.
        Full(T),
        /// The receiver is gone.
        Disconnected(T),
    }

    /// The sending half; see [`std::sync::mpsc::Sender`].
    pub struct Sender<T> {
        shared: Arc<Shared<T>>,
    }

    /// The receiving half; see [`std::sync::mpsc::Receiver`]. Like std's, it is not `Sync`:
    /// one thread at a time receives, which is why the book wraps it in a `Mutex`.
    pub struct Receiver<T> {
        shared: Arc<Shared<T>>,
        /// Makes the type `!Sync`, as std's is.
        _not_sync: PhantomData<Cell<()>>,
    }

    /// An iterator over messages, ending when the channel is closed; see
    /// [`std::sync::mpsc::Iter`].
    pub struct Iter<'a, T> {
        receiver: &'a Receiver<T>,
    }

    /// `send` failed because the receiver is gone; the message is handed back.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    /// `recv` failed because every sender is gone and no message is left.
    #[derive(PartialEq, Eq, Clone, Copy, Debug)]
    pub struct RecvError;

    /// Why `try_recv` returned no message.
    #[derive(PartialEq, Eq, Clone, Copy, Debug)]
    pub enum TryRecvError {
        /// No message now, but a sender is still alive.
        Empty,
        /// No message, and every sender is gone.
        Disconnected,
    }

    /// What both halves share.
    struct Shared<T> {
        /// The recorder's index for this channel.
        id: usize,
        state: Mutex<State<T>>,
        /// The receiver waits here for a message or for the last sender to go.
        available: Condvar,
        /// For a `sync_channel`: its bound, and where senders wait for room (or, with bound
        /// 0, for their message to be received). `None` for `channel`, whose model is then
        /// exactly what it was before `sync_channel` existed.
        bound: Option<(usize, Condvar)>,
    }

    /// The channel's state, guarded by `Shared::state`.
    struct State<T> {
        /// Messages sent and not yet received, oldest first.
        queue: VecDeque<T>,
        /// Live `Sender`s.
        senders: usize,
        /// Whether the `Receiver` is alive.
        receiver_alive: bool,
        /// Messages received so far (a rendezvous sender waits for its own to be).
        received: u64,
    }

    impl<T> Sender<T> {
        /// Sends `value`, or hands it back if the receiver is gone. Never blocks (the
        /// channel is unbounded).
        ///
        /// # Errors
        ///
        /// [`SendError`] holding `value` if the receiver has been dropped.
        #[track_caller]
        pub fn send(&self, value: T) -> Result<(), SendError<T>> {
            let mut state = lock(&self.shared);
            self.shared
                .put(&mut state, value, Some(Location::caller()))
                .map_err(SendError)?;
            drop(state);
            // At most one thread waits: the receiver is not `Sync`.
            self.shared.available.notify_one();
            Ok(())
        }
    }

    impl<T> Shared<T> {
        /// Queues `value` in `state` (locked) and records the send, or records that it was
        /// not delivered and hands `value` back if the receiver is gone. Recorded under the
        /// lock, so no `recv` of this message can be recorded first.
        fn put(
            &self,
            state: &mut State<T>,
            value: T,
            at: Option<&'static Location<'static>>,
        ) -> Result<(), T> {
            let delivered = state.receiver_alive;
            let channel = self.id;
            trace::record(Action::Send { channel, delivered }, at);
            if !delivered {
                return Err(value);
            }
            state.queue.push_back(value);
            Ok(())
        }

        /// Takes the oldest message out of `state` (locked), counting it and waking the
        /// senders of a sync channel that wait for room or for their message to be taken.
        fn take(&self, state: &mut State<T>) -> Option<T> {
            let value = state.queue.pop_front()?;
            state.received += 1;
            if let Some((_, space)) = &self.bound {
                space.notify_all();
            }
            Some(value)
        }
    }

    impl<T> SyncSender<T> {
        /// Sends `value`, waiting while the channel is full (with bound 0: until the value
        /// is received), or hands it back if the receiver is gone.
        ///
        /// # Errors
        ///
        /// [`SendError`] holding `value` if the receiver has been dropped. (With bound 0,
        /// a receiver dropped after the value was handed over but before it was taken
        /// drops the value, and `send` returns `Ok`.)
        #[track_caller]
        pub fn send(&self, value: T) -> Result<(), SendError<T>> {
            let shared = &self.inner.shared;
            let (bound, space) = shared.bound.as_ref().expect("a sync channel has a bound");
            let (channel, at) = (shared.id, Some(Location::caller()));
            let mut state = lock(shared);
            while state.receiver_alive && state.queue.len() >= (*bound).max(1) {
                trace::block(Blocked::Send { channel }, at);
                state = space.wait(state).unwrap_or_else(PoisonError::into_inner);
                trace::unblock();
            }
            shared.put(&mut state, value, at).map_err(SendError)?;
            let ticket = state.received + state.queue.len() as u64;
            if *bound == 0 {
                shared.available.notify_one();
                trace::block(Blocked::Send { channel }, at);
                while state.receiver_alive && state.received < ticket {
                    state = space.wait(state).unwrap_or_else(PoisonError::into_inner);
                }
                trace::unblock();
                return Ok(());
            }
            drop(state);
            shared.available.notify_one();
            Ok(())
        }

        /// Sends `value` if there is room now; never waits.
        ///
        /// # Errors
        ///
        /// [`TrySendError::Full`] if the channel holds `bound` messages (with bound 0:
        /// always, as no receiver is known to be waiting), [`TrySendError::Disconnected`] if
        /// the receiver is gone; both hold `value`.
        #[track_caller]
        pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
            let shared = &self.inner.shared;
            let (bound, _) = shared.bound.as_ref().expect("a sync channel has a bound");
            let at = Some(Location::caller());
            let mut state = lock(shared);
            if state.receiver_alive && state.queue.len() >= *bound {
                return Err(TrySendError::Full(value));
            }
            shared
                .put(&mut state, value, at)
                .map_err(TrySendError::Disconnected)?;
            drop(state);
            shared.available.notify_one();
            Ok(())
        }
    }

    impl<T> Clone for SyncSender<T> {
        fn clone(&self) -> SyncSender<T> {
            SyncSender {
                inner: self.inner.clone(),
            }
        }
    }

    impl<T> fmt::Debug for SyncSender<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SyncSender").finish_non_exhaustive()
        }
    }

    /// Prints `Full(..)` or `Disconnected(..)`, as std does.
    impl<T> fmt::Debug for TrySendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TrySendError::Full(_) => f.write_str("Full(..)"),
                TrySendError::Disconnected(_) => f.write_str("Disconnected(..)"),
            }
        }
    }

    impl<T> fmt::Display for TrySendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TrySendError::Full(_) => f.write_str("sending on a full channel"),
                TrySendError::Disconnected(_) => f.write_str("sending on a closed channel"),
            }
        }
    }

    impl<T> std::error::Error for TrySendError<T> {}

    impl<T> Clone for Sender<T> {
        fn clone(&self) -> Sender<T> {
            lock(&self.shared).senders += 1;
            Sender {
                shared: Arc::clone(&self.shared),
            }
        }
    }

    impl<T> Drop for Sender<T> {
        fn drop(&mut self) {
            let mut state = lock(&self.shared);
            state.senders -= 1;
            let last = state.senders == 0;
            if last {
                let channel = self.shared.id;
                trace::record(Action::Close { channel }, None);
            }
            drop(state);
            if last {
                // Wake a receiver blocked in `recv`: the channel is now closed.
                self.shared.available.notify_one();
            }
        }
    }

    impl<T> Receiver<T> {
        /// Returns the oldest message, blocking while there is none and some sender is
        /// alive.
        ///
        /// # Errors
        ///
        /// [`RecvError`] once the buffer is empty and every sender has been dropped.
        #[track_caller]
        pub fn recv(&self) -> Result<T, RecvError> {
            let channel = self.shared.id;
            let at = Some(Location::caller());
            trace::block(Blocked::Recv { channel }, at);
            let mut state = lock(&self.shared);
            let received = loop {
                if let Some(value) = self.shared.take(&mut state) {
                    break Ok(value);
                }
                if state.senders == 0 {
                    break Err(RecvError);
                }
                state = self
                    .shared
                    .available
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            };
            trace::unblock();
            let got = received.is_ok();
            trace::record(Action::Recv { channel, got }, at);
            received
        }

        /// Returns the oldest message if there is one; never blocks.
        ///
        /// # Errors
        ///
        /// [`TryRecvError::Empty`] if no message is buffered but a sender is alive,
        /// [`TryRecvError::Disconnected`] if none is buffered and every sender is gone.
        #[track_caller]
        pub fn try_recv(&self) -> Result<T, TryRecvError> {
            let mut state = lock(&self.shared);
            let received = match self.shared.take(&mut state) {
                Some(value) => Ok(value),
                None if state.senders == 0 => Err(TryRecvError::Disconnected),
                None => Err(TryRecvError::Empty),
            };
            if !matches!(received, Err(TryRecvError::Empty)) {
                let (channel, got) = (self.shared.id, received.is_ok());
                trace::record(Action::Recv { channel, got }, Some(Location::caller()));
            }
            received
        }

        /// An iterator that blocks for each message and ends when the channel is closed.
        pub fn iter(&self) -> Iter<'_, T> {
            Iter { receiver: self }
        }
    }

    impl<T> Drop for Receiver<T> {
        fn drop(&mut self) {
            let mut state = lock(&self.shared);
            state.receiver_alive = false;
            let undelivered = mem::take(&mut state.queue);
            drop(state);
            if let Some((_, space)) = &self.shared.bound {
                // Senders waiting for room or for a rendezvous: the answer is now "gone".
                space.notify_all();
            }
            // As std does: the messages nobody will receive are dropped now, outside the
            // lock (their destructors may do anything).
            drop(undelivered);
        }
    }

    impl<T> Iterator for Iter<'_, T> {
        type Item = T;

        #[track_caller]
        fn next(&mut self) -> Option<T> {
            self.receiver.recv().ok()
        }
    }

    impl<'a, T> IntoIterator for &'a Receiver<T> {
        type Item = T;
        type IntoIter = Iter<'a, T>;

        fn into_iter(self) -> Iter<'a, T> {
            self.iter()
        }
    }

    impl<T> fmt::Debug for Sender<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Sender").finish_non_exhaustive()
        }
    }

    impl<T> fmt::Debug for Receiver<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Receiver").finish_non_exhaustive()
        }
    }

    impl<T> fmt::Debug for Iter<'_, T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Iter").finish_non_exhaustive()
        }
    }

    /// Prints `SendError { .. }`, as std does (the message need not be `Debug`).
    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }

    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("sending on a closed channel")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("receiving on a closed channel")
        }
    }

    impl std::error::Error for RecvError {}

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("receiving on an empty channel"),
                TryRecvError::Disconnected => {
                    f.write_str("receiving on an empty and disconnected channel")
                }
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

/// The checker's trace of `try_recv`, which the mutation run found unchecked
/// (`scripts/mutants/equivalent.txt` listed it as the one gap in this file): a `try_recv` that
/// takes a message or finds the channel closed is a step of the trace, and one that finds it
/// empty is not (it changed nothing, and a pool polling in a loop would flood the trace).
#[cfg(all(test, loom))]
mod trace_tests {
    use super::{channel, TryRecvError};
    use crate::sync::trace::{self, Action};

    #[test]
    fn try_recv_records_what_it_took_and_not_an_empty_look() {
        loom::model(|| {
            let (sender, receiver) = channel::<u8>();
            trace::start();
            assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
            sender.send(7).unwrap();
            assert_eq!(receiver.try_recv(), Ok(7));
            drop(sender);
            assert_eq!(receiver.try_recv(), Err(TryRecvError::Disconnected));
            let recorded = trace::snapshot();
            trace::stop();
            let receives: Vec<bool> = recorded
                .events
                .iter()
                .filter_map(|event| match event.action {
                    Action::Recv { got, .. } => Some(got),
                    _ => None,
                })
                .collect();
            assert_eq!(receives, [true, false], "{:#?}", recorded.events);
        });
    }
}
