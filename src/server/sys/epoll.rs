//! The readiness poller on Linux: epoll itself, through rustix, in oneshot mode.
//!
//! The `polling` crate (the portable poller, `portable.rs`) does more work per wait than this
//! server needs: every wait re-arms a timerfd for the timeout, re-registers it, reads its
//! eventfd and re-registers that too, four system calls besides `epoll_pwait` itself, whether
//! anything was notified or not. Measured under `wrk -c1` (perf stat's syscall tracepoints),
//! that was 5 `epoll_ctl` per request, where nginx makes none. Here a wait is one
//! `epoll_pwait` (its timeout in milliseconds, rounded up), and the wake-up eventfd is read
//! only in the waits it woke.

use crate::sync::atomic::{AtomicBool, Ordering};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use rustix::event::{epoll, eventfd, EventfdFlags, Timespec};

/// The key the wake-up eventfd reports under; no source is registered with it (the server's
/// keys are slab indices and `LISTENER`).
const WAKE_KEY: u64 = u64::MAX;

/// Readiness reports taken per wait; more wait for the next one. (The buffer is on the stack,
/// 12 bytes each: `epoll::Event` holds a pointer-sized union, not `Send`, so the poller cannot
/// keep it.)
const EVENTS_PER_WAIT: usize = 256;

/// The longest timeout one `epoll_pwait` takes (in milliseconds, an `i32`): about 24.8 days.
/// A longer one is cut to this; the event loop waits again when it passes.
const LONGEST_WAIT: Duration = Duration::from_millis(i32::MAX as u64);

/// An epoll instance with a wake-up eventfd.
#[derive(Debug)]
pub(crate) struct Poller {
    epoll: OwnedFd,
    /// Written by `notify`, registered (level-triggered) under `WAKE_KEY`.
    wake: OwnedFd,
    /// Set by the `notify` that writes `wake`, cleared by the wait it wakes: notifies between
    /// the two write nothing more.
    notified: AtomicBool,
}

impl Poller {
    /// A new epoll instance and eventfd, both close-on-exec.
    ///
    /// # Errors
    ///
    /// The kernel refused one of them (e.g. out of file descriptors).
    pub(crate) fn new() -> io::Result<Poller> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let wake = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        epoll::add(
            &epoll,
            &wake,
            epoll::EventData::new_u64(WAKE_KEY),
            epoll::EventFlags::IN,
        )?;
        Ok(Poller {
            epoll,
            wake,
            notified: AtomicBool::new(false),
        })
    }

    /// Starts watching `source`, armed for one readiness report (readable, or hung up) under
    /// `key`.
    ///
    /// # Safety
    ///
    /// `source` must be [deleted](Poller::delete) from this poller before it is closed. epoll
    /// itself forgets a closed descriptor, but the portable poller (`polling`) requires it,
    /// and both backends keep the one contract so that `OsSys` is written once.
    ///
    /// # Errors
    ///
    /// The kernel refused (e.g. out of memory).
    pub(crate) unsafe fn add(&self, source: impl AsFd, key: usize) -> io::Result<()> {
        Ok(epoll::add(&self.epoll, source, data(key), oneshot())?)
    }

    /// Re-arms a watched `source` for one more readiness report under `key`.
    ///
    /// # Errors
    ///
    /// The kernel refused (e.g. `source` is not watched).
    pub(crate) fn modify(&self, source: impl AsFd, key: usize) -> io::Result<()> {
        Ok(epoll::modify(&self.epoll, source, data(key), oneshot())?)
    }

    /// Stops watching `source`.
    ///
    /// # Errors
    ///
    /// The kernel refused (e.g. `source` is not watched).
    pub(crate) fn delete(&self, source: impl AsFd) -> io::Result<()> {
        Ok(epoll::delete(&self.epoll, source)?)
    }

    /// Blocks until a watched source is ready, [`notify`](Poller::notify) is called, or
    /// `timeout` passes; appends the keys of the ready sources to `ready`.
    ///
    /// # Errors
    ///
    /// `epoll_pwait` failed for a reason other than a signal.
    pub(crate) fn wait(&self, ready: &mut Vec<usize>, timeout: Option<Duration>) -> io::Result<()> {
        let timeout = timeout.map(|t| {
            let t = t.min(LONGEST_WAIT);
            Timespec {
                tv_sec: t.as_secs() as _,
                tv_nsec: t.subsec_nanos().into(),
            }
        });
        // Uninitialised: `epoll_pwait` writes the events it reports, and rustix hands back
        // only those, so no wait pays for filling the buffer first.
        let mut events = [MaybeUninit::<epoll::Event>::uninit(); EVENTS_PER_WAIT];
        let filled = match epoll::wait(&self.epoll, &mut events, timeout.as_ref()) {
            Ok((filled, _)) => filled,
            // A signal (SIGTERM, say) ended the wait: the event loop looks and waits again.
            Err(rustix::io::Errno::INTR) => return Ok(()),
            Err(err) => return Err(err.into()),
        };
        for event in filled.iter() {
            match event.data.u64() {
                WAKE_KEY => self.clear_wake(),
                key => ready.push(key as usize),
            }
        }
        Ok(())
    }

    /// Wakes a thread blocked in [`wait`](Poller::wait), or makes the next wait return at once.
    pub(crate) fn notify(&self) {
        if self
            .notified
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            // Fails only if the counter is about to overflow (2^64 - 2 unread wake-ups) or
            // the eventfd is gone; either way a wake-up is already pending.
            let _ = rustix::io::write(&self.wake, &1u64.to_ne_bytes());
        }
    }

    /// After a wait the eventfd woke: empty the counter, then allow the next notify to write.
    ///
    /// In that order. The other would lose wake-ups for good: a notify between the clear and
    /// the read would set the flag and write, the read would take its write, and the flag would
    /// stay set with nothing left to report, so every later notify would write nothing. (Found
    /// by `wrk -c50`: the server stalled within a second.) In this order a notify before the
    /// clear finds the flag set and writes nothing, and misses nothing either: its caller
    /// published its hand-back (under a lock) before notifying, and the event loop takes the
    /// hand-backs after this wait, under that lock. Had the loop's take come first, the take
    /// would happen before that notify, and so would this clear, and the notify would have
    /// found the flag clear.
    fn clear_wake(&self) {
        let mut counter = [0u8; 8];
        // Nonblocking, and the counter is not zero: it was reported readable, and only this
        // waiter reads it.
        let _ = rustix::io::read(&self.wake, &mut counter);
        self.notified.store(false, Ordering::SeqCst);
    }
}

/// The registration's data: the key, as epoll reports it back.
fn data(key: usize) -> epoll::EventData {
    epoll::EventData::new_u64(key as u64)
}

/// Readable or hung up, one report per arming: a connection is handed to one worker at a
/// time, and is never reported again until it is re-armed.
fn oneshot() -> epoll::EventFlags {
    epoll::EventFlags::IN | epoll::EventFlags::RDHUP | epoll::EventFlags::ONESHOT
}
