//! The readiness poller elsewhere than Linux: the `polling` crate (kqueue on macOS and the
//! BSDs), behind the same small interface as `epoll.rs`, in oneshot mode.

use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

use polling::{Event, Events};

use crate::sync::{self, Mutex};

/// A `polling::Poller` and the event buffer its waits fill.
#[derive(Debug)]
pub(crate) struct Poller {
    poller: polling::Poller,
    /// Kept between waits (only the event loop waits).
    events: Mutex<Events>,
}

impl Poller {
    /// A new poller.
    ///
    /// # Errors
    ///
    /// The system refused (e.g. out of file descriptors).
    pub(crate) fn new() -> io::Result<Poller> {
        Ok(Poller {
            poller: polling::Poller::new()?,
            events: Mutex::new(Events::new()),
        })
    }

    /// Starts watching `source`, armed for one readiness report under `key`.
    ///
    /// # Safety
    ///
    /// `source` must be [deleted](Poller::delete) from this poller before it is closed
    /// (`polling::Poller::add`'s contract).
    ///
    /// # Errors
    ///
    /// The system refused.
    pub(crate) unsafe fn add(&self, source: impl AsFd, key: usize) -> io::Result<()> {
        // SAFETY: the caller deletes `source` before closing it, as this function requires.
        unsafe { self.poller.add(&source.as_fd(), Event::readable(key)) }
    }

    /// Re-arms a watched `source` for one more readiness report under `key`.
    ///
    /// # Errors
    ///
    /// The system refused.
    pub(crate) fn modify(&self, source: impl AsFd, key: usize) -> io::Result<()> {
        self.poller.modify(source.as_fd(), Event::readable(key))
    }

    /// Stops watching `source`.
    ///
    /// # Errors
    ///
    /// The system refused.
    pub(crate) fn delete(&self, source: impl AsFd) -> io::Result<()> {
        self.poller.delete(source.as_fd())
    }

    /// Blocks until a watched source is ready, [`notify`](Poller::notify) is called, or
    /// `timeout` passes; appends the keys of the ready sources to `ready`.
    ///
    /// # Errors
    ///
    /// The poller failed.
    pub(crate) fn wait(&self, ready: &mut Vec<usize>, timeout: Option<Duration>) -> io::Result<()> {
        let mut events = sync::lock(&self.events);
        events.clear();
        self.poller.wait(&mut events, timeout)?;
        ready.extend(events.iter().map(|event| event.key));
        Ok(())
    }

    /// Wakes a thread blocked in [`wait`](Poller::wait), or makes the next wait return at once.
    pub(crate) fn notify(&self) {
        // Fails only if the poller is being dropped.
        let _ = self.poller.notify();
    }
}
