//! The event loop: one thread that owns the listener and every idle connection.
//!
//! It waits for readiness, accepts new connections, and hands each connection that has bytes
//! to read to the pool. Workers hand connections back (through `Ctx::hand_back`) when they
//! have answered everything that arrived; the loop tracks their timeouts. A worker re-arms an
//! idle connection itself and does not wake the loop for it (a request then costs one thread
//! hand-off, not two); the loop takes such hand-backs when it next wakes, for the connection's
//! next request or at the latest at [`HANDBACK_TICK`]. A connection is in exactly one place at
//! a time: idle here, or busy on one worker (or handed back and not yet taken).
//!
//! Closing with unread input (an error, the request cap, a timeout racing a request) happens in
//! stages, as RFC 9112 §9.6 asks: the sending side is shut (the client reads the end of the
//! responses), then the loop itself reads and discards what the client still sends, until the
//! client ends its side, [`LINGER_BYTES`] have been thrown away, or [`LINGER_TIME`] has passed,
//! and only then closes. Closing at once would make the kernel answer the unread bytes with a
//! reset, and a reset destroys the responses not yet delivered. Lingering holds no worker.
//!
//! Shutdown: once `Ctx::shutting_down` is set, the loop closes the listener (the port closes
//! at once) and every idle or lingering connection, stops dispatching, closes connections as
//! workers hand them back, and returns when none is left on a worker, or when the shutdown
//! timeout passes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::time::{Duration, Instant};

use super::conn::{self, Conn};
use super::sys::{Stream, Sys, LISTENER};
use super::{handler, log, write, Ctx, HandBack};
use crate::http::response::DateCache;
use crate::pool::ThreadPool;
use crate::sync::Arc;

/// How long accepting pauses after an error such as "too many open files".
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Connections accepted per readiness report, so a flood of connects cannot starve the
/// connections already open.
const ACCEPT_BATCH: usize = 256;

/// How long a lingering close reads and discards before it closes all the same.
pub(crate) const LINGER_TIME: Duration = Duration::from_secs(5);

/// How many bytes a lingering close reads and discards before it closes all the same.
pub(crate) const LINGER_BYTES: usize = 4 * 1024 * 1024;

/// How often the loop looks for hand-backs while connections are on workers. Workers hand
/// idle connections back without waking the loop (see `Ctx::hand_back`), so an idle
/// connection whose client sends nothing more would otherwise wait for its idle timeout to
/// start until something else woke the loop. Its deadline counts from the hand-back itself, so
/// this is also the most an idle or header timeout fires late.
const HANDBACK_TICK: Duration = Duration::from_millis(50);

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Every connection was answered and closed.
    Drained,
    /// The shutdown timeout passed with this many connections still on workers.
    TimedOut {
        /// Connections still on workers.
        busy: usize,
    },
}

/// Where a connection is, by key.
struct Slot<T> {
    /// What is at this key.
    state: SlotState<T>,
    /// The earliest wake-up queued in the timer heap for this key, if any.
    timer_at: Option<Instant>,
}

/// The states of a key.
enum SlotState<T> {
    /// The key is unused.
    Free,
    /// Waiting here for bytes, until `deadline`.
    Idle { conn: Conn<T>, deadline: Instant },
    /// Closing: its sending side is shut, and what the client still sends is read and thrown
    /// away until the client ends its side, `discarded` reaches [`LINGER_BYTES`], or `deadline`.
    Lingering {
        conn: Conn<T>,
        deadline: Instant,
        discarded: usize,
    },
    /// On a worker. `reported`: the poller reported it ready while it was there, so the worker
    /// has re-armed it and its hand-back is on the way; the loop waits for that hand-back
    /// (see `Ctx::hand_back`) and dispatches the connection again as soon as it arrives.
    Busy { reported: bool },
}

/// The timeout of the wait that follows a wait that reported something: none. Under load the
/// loop thus yields its CPU once and looks again, rather than going to sleep on epoll and being
/// woken for the next ready connection; it blocks only once a look finds nothing. On these
/// 2-core VMs a thread put to sleep and woken costs far more than a yield (the wake-up crosses
/// CPUs), and the yield hands the CPU to the worker just dispatched. Measured against blocking
/// waits (`scripts/bench-ab.sh`, two sets of 5 rounds of 3 s, medians): 1.12x and 1.19x the
/// requests/s at -c50, 1.12x and 1.09x at -c500, 0.99x and 0.97x at -c1 (within noise);
/// `scripts/syscalls-per-request.sh`: at -c50, 15.4 -> 10.0 µs of the server's CPU and 0.60 ->
/// 0.37 context switches per request. The price is at -c1, where every request now costs a
/// yield and a look that finds nothing (14.0 -> 15.8 system calls per request). Looking again
/// only after a wait that reported several keys (never at -c1) was tried and measured against
/// this, three sets: -c1 1.05x, 1.05x, 1.08x, but -c50 0.93x, 1.00x, 0.86x, with -c50 p99 up to
/// 11 ms; -c50 is the cell further from its goal. An idle server pays nothing: after a look
/// that finds nothing the loop blocks as before.
const LOOK_AGAIN: Duration = Duration::ZERO;

/// Yields the CPU before a look that does not block (`LOOK_AGAIN`). Not under loom or shuttle,
/// as in the pool's `Backoff`: a yield decides no outcome, and would only multiply the states
/// the checkers explore.
fn yield_cpu() {
    if !cfg!(any(loom, shuttle)) {
        crate::sync::thread::yield_now();
    }
}

/// A wake-up in the timer heap: "look at this key at this time". The slot's own deadline is
/// what counts: an entry that comes due while its connection has a later deadline is queued
/// again for that deadline. A new entry is only added when a deadline comes earlier than the
/// key's queued one, so the heap stays about as large as the number of connections, however
/// many requests each makes (one entry per request would pile up at high request rates).
type Timer = Reverse<(Instant, usize)>;

/// The loop's state; lives on the event-loop thread only.
struct EventLoop<'a, S: Sys> {
    ctx: &'a Arc<Ctx<S>>,
    pool: &'a ThreadPool,
    /// Connections by key.
    slots: Vec<Slot<S::Stream>>,
    /// Keys ready for reuse.
    free: Vec<usize>,
    /// When to look at idle connections' deadlines.
    timers: BinaryHeap<Timer>,
    /// Open connections, idle or busy.
    open: usize,
    /// Connections on workers, or handed back and not yet taken.
    busy: usize,
    /// Connections reported ready while on a worker, whose hand-back the loop waits for.
    awaiting: usize,
    /// When accepting resumes after an accept error; `None` while accepting normally.
    accept_paused_until: Option<Instant>,
    /// When shutdown began; `None` while serving.
    draining_since: Option<Instant>,
    /// Keys reported ready by the last wait.
    ready: Vec<usize>,
    /// Buffer swapped with the workers' handback list (see `Ctx::take_handbacks`).
    handbacks: Vec<HandBack<S::Stream>>,
    /// Responses the loop writes itself (503), and their `Date`.
    scratch: Vec<u8>,
    date: DateCache,
    /// Where lingering connections' input is read to be thrown away.
    sink: Box<[u8]>,
}

/// Runs the loop until shutdown completes.
///
/// # Errors
///
/// The poller failed.
pub(crate) fn run<S: Sys>(ctx: &Arc<Ctx<S>>, pool: &ThreadPool) -> io::Result<Ended> {
    EventLoop {
        ctx,
        pool,
        slots: Vec::new(),
        free: Vec::new(),
        timers: BinaryHeap::new(),
        open: 0,
        busy: 0,
        awaiting: 0,
        accept_paused_until: None,
        draining_since: None,
        ready: Vec::new(),
        handbacks: Vec::new(),
        scratch: Vec::new(),
        date: DateCache::new(),
        sink: vec![0; 16 * 1024].into_boxed_slice(),
    }
    .run()
}

impl<S: Sys> EventLoop<'_, S> {
    fn run(mut self) -> io::Result<Ended> {
        let mut now = self.ctx.sys.now();
        // Whether the last wait reported anything: then the next one does not block (see
        // `LOOK_AGAIN`).
        let mut reported = false;
        loop {
            let timeout = if reported {
                yield_cpu();
                Some(LOOK_AGAIN)
            } else {
                self.next_deadline(now)
                    .map(|at| at.saturating_duration_since(now))
            };
            self.ready.clear();
            self.ctx.sys.wait(&mut self.ready, timeout)?;
            reported = !self.ready.is_empty();
            now = self.ctx.sys.now();

            if self.draining_since.is_none() && self.ctx.shutting_down() {
                self.begin_drain(now);
            }
            self.take_handbacks(now);
            let mut ready = std::mem::take(&mut self.ready);
            for key in ready.drain(..) {
                if key == LISTENER {
                    self.accept(now);
                } else {
                    self.dispatch(key, now);
                }
            }
            self.ready = ready;
            if self.awaiting > 0 {
                // A connection was reported ready while on a worker, and the loop has just
                // said it waits for its hand-back: look again now that it has said so, or a
                // hand-back pushed just before would go unnoticed (see `Ctx::hand_back`).
                self.take_handbacks(now);
            }
            self.expire(now);

            if let Some(since) = self.draining_since {
                if self.busy == 0 {
                    return Ok(Ended::Drained);
                }
                if now >= later(since, self.ctx.settings.shutdown_timeout) {
                    return Ok(Ended::TimedOut { busy: self.busy });
                }
            }
        }
    }

    /// The earliest moment the loop must wake without an event.
    fn next_deadline(&self, now: Instant) -> Option<Instant> {
        let timer = self.timers.peek().map(|Reverse((at, _))| *at);
        let drain = self
            .draining_since
            .map(|since| later(since, self.ctx.settings.shutdown_timeout));
        let tick = (self.busy > 0).then(|| later(now, HANDBACK_TICK));
        [timer, self.accept_paused_until, drain, tick]
            .into_iter()
            .flatten()
            .min()
    }

    /// Shutdown begins: close the listener and every idle or lingering connection. (Shutdown
    /// does not wait for lingering closes: a lingering connection is closed at once, after
    /// reading away what has already arrived.)
    fn begin_drain(&mut self, now: Instant) {
        self.draining_since = Some(now);
        self.accept_paused_until = None;
        self.ctx.sys.close_listener();
        for key in 0..self.slots.len() {
            if matches!(
                self.slots[key].state,
                SlotState::Idle { .. } | SlotState::Lingering { .. }
            ) {
                self.close(key);
            }
        }
    }

    /// Takes back the connections workers are done with; dispatches again at once those
    /// reported ready while they were away.
    fn take_handbacks(&mut self, now: Instant) {
        let mut handbacks = std::mem::take(&mut self.handbacks);
        self.ctx.take_handbacks(&mut handbacks);
        for handback in handbacks.drain(..) {
            self.busy -= 1;
            match handback {
                HandBack::Closed(key) => {
                    self.forget_report(key);
                    self.release(key);
                }
                HandBack::Idle { conn, since } => {
                    let key = conn.key;
                    let reported = self.forget_report(key);
                    if self.draining_since.is_some() {
                        conn.close(&self.ctx.sys);
                        self.release(key);
                        continue;
                    }
                    let deadline = match conn.request_started {
                        // Part of a request is here: the rest must follow in time.
                        Some(started) => later(started, self.ctx.settings.header_timeout),
                        None => later(since, self.ctx.settings.idle_timeout),
                    };
                    self.park(key, conn, deadline);
                    if reported {
                        self.dispatch(key, now);
                    }
                }
                HandBack::Closing(conn) => {
                    self.forget_report(conn.key);
                    if let Some(conn) = self.rearm_or_close(conn) {
                        self.park_lingering(conn.key, conn, now);
                    }
                }
            }
        }
        self.handbacks = handbacks;
    }

    /// Whether the busy connection at `key` was reported ready while on its worker; stops
    /// waiting for its hand-back.
    fn forget_report(&mut self, key: usize) -> bool {
        let reported = matches!(self.slots[key].state, SlotState::Busy { reported: true });
        if reported {
            self.awaiting -= 1;
            if self.awaiting == 0 {
                self.ctx.set_awaiting(false);
            }
        }
        reported
    }

    /// Accepts pending connections.
    fn accept(&mut self, now: Instant) {
        if self.draining_since.is_some() {
            return;
        }
        for _ in 0..ACCEPT_BATCH {
            match self.ctx.sys.accept() {
                Ok(Some(mut stream)) => {
                    if self.open >= self.ctx.settings.max_connections {
                        let started = Instant::now();
                        let sent = self.reject(&mut stream);
                        if self.ctx.settings.access_log {
                            log::access(&stream, None, 503, sent, started);
                        }
                        stream.finish();
                        continue;
                    }
                    let key = self.allocate();
                    if self.ctx.sys.watch(&stream, key).is_err() {
                        self.free.push(key);
                        continue;
                    }
                    self.open += 1;
                    // A new client must send its first request within the header timeout.
                    let deadline = later(now, self.ctx.settings.header_timeout);
                    self.park(key, Conn::new(stream, key), deadline);
                }
                Ok(None) => break,
                Err(err) if is_transient(&err) => {}
                Err(err) => {
                    // E.g. EMFILE: the pending connection stays queued, so re-arming now would
                    // spin. Log, pause, and retry later.
                    log::line(format_args!(
                        "accept failed: {err}; pausing accepts for {}ms",
                        ACCEPT_BACKOFF.as_millis()
                    ));
                    self.accept_paused_until = Some(now + ACCEPT_BACKOFF);
                    return;
                }
            }
        }
        if self.ctx.sys.arm_listener().is_err() {
            self.accept_paused_until = Some(now + ACCEPT_BACKOFF);
        }
    }

    /// Sends a ready connection to a worker, or answers 503 if the queue is full; reads away
    /// the input of a lingering one.
    fn dispatch(&mut self, key: usize, now: Instant) {
        let Some(slot) = self.slots.get_mut(key) else {
            return;
        };
        match slot.state {
            SlotState::Idle { .. } => {}
            SlotState::Lingering { .. } => return self.linger(key),
            // Its worker re-armed it, and its client sent more before the hand-back arrived:
            // wait for the hand-back, and let the worker know (see `Ctx::hand_back`).
            SlotState::Busy { ref mut reported } => {
                if !*reported {
                    *reported = true;
                    self.awaiting += 1;
                    self.ctx.set_awaiting(true);
                }
                return;
            }
            // Closed meanwhile (timeout, shutdown): a stale report.
            SlotState::Free => return,
        }
        let busy = SlotState::Busy { reported: false };
        let SlotState::Idle { mut conn, .. } = std::mem::replace(&mut slot.state, busy) else {
            unreachable!("matched just above");
        };
        // This loop is the pool's only producer, so room seen here is still there below.
        if self.pool.queued() >= self.pool.queue_capacity() {
            // A readiness report can be only the client ending its side of an idle
            // keep-alive connection: then there is no request to answer 503, and it closes
            // now. (Found by `shuttle_tests/server.rs`: clients that closed while the queue
            // was full got a 503 to a request they never sent.)
            if conn.ended_without_a_request(&mut self.sink) {
                conn.close(&self.ctx.sys);
                self.release(key);
                return;
            }
            // The request that made the connection ready is unread: close in stages.
            let started = Instant::now();
            let sent = self.reject(&mut conn.stream);
            if self.ctx.settings.access_log {
                // Refused before its request was read: logged with `-` for the request.
                log::access(&conn.stream, None, 503, sent, started);
            }
            conn.stream.finish();
            if let Some(conn) = self.rearm_or_close(conn) {
                self.park_lingering(key, conn, now);
            }
            return;
        }
        let job = Dispatched {
            ctx: Arc::clone(self.ctx),
            conn: Some(conn),
        };
        self.busy += 1;
        // `execute`, not `try_execute`: the room is there, but the slot the queue fills next
        // may still be being emptied by a worker that has just taken its job (the queue then
        // reports itself full, however empty it is, until that worker marks the slot free),
        // and `try_execute` would refuse the job and drop the connection unanswered.
        // `execute` waits out that moment, which needs nothing from this thread. (Found by
        // `shuttle_tests/server.rs`: a worker paused there while the loop dispatched enough
        // jobs to come round the ring to its slot, with the queue all but empty.) If the job
        // is refused anyway (shut down), dropping it closes the connection and hands back
        // `Closed`, which keeps the counts right.
        let _ = self.pool.execute(move || job.serve());
    }

    /// Closes idle connections whose deadline has passed, and resumes paused accepting.
    fn expire(&mut self, now: Instant) {
        if self.accept_paused_until.is_some_and(|until| until <= now) {
            self.accept_paused_until = None;
            if self.ctx.sys.arm_listener().is_err() {
                self.accept_paused_until = Some(now + ACCEPT_BACKOFF);
            }
        }
        while let Some(&Reverse((at, key))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            let slot = &mut self.slots[key];
            if slot.timer_at != Some(at) {
                continue; // superseded by an earlier entry for this key, which already ran
            }
            slot.timer_at = None;
            match slot.state {
                // A request may be arriving just as the connection times out: close in stages.
                SlotState::Idle { deadline, .. } if deadline <= now => self.begin_linger(key, now),
                SlotState::Lingering { deadline, .. } if deadline <= now => self.close(key),
                // Used again since this entry was queued: look again at the new deadline.
                SlotState::Idle { deadline, .. } | SlotState::Lingering { deadline, .. } => {
                    slot.timer_at = Some(deadline);
                    self.timers.push(Reverse((deadline, key)));
                }
                // On a worker, or closed: `park` queues a new entry when it is idle again.
                SlotState::Busy { .. } | SlotState::Free => {}
            }
        }
    }

    /// Writes a best-effort 503 on a connection the server cannot take now; returns the size
    /// of its body, for the access log.
    fn reject(&mut self, stream: &mut S::Stream) -> u64 {
        write::send_now(stream, &mut self.scratch, &mut self.date, &handler::busy())
    }

    /// Re-arms a connection back from a worker (or refused) for one more readiness report, and
    /// returns it, to be parked; closes it instead, freeing its key, when shutdown has begun or
    /// the poller refuses.
    fn rearm_or_close(&mut self, conn: Conn<S::Stream>) -> Option<Conn<S::Stream>> {
        let key = conn.key;
        if self.draining_since.is_some() || self.ctx.sys.rearm(&conn.stream, key).is_err() {
            conn.close(&self.ctx.sys);
            self.release(key);
            return None;
        }
        Some(conn)
    }

    /// A key for a new connection.
    fn allocate(&mut self) -> usize {
        match self.free.pop() {
            Some(key) => key,
            None => {
                self.slots.push(Slot {
                    state: SlotState::Free,
                    timer_at: None,
                });
                self.slots.len() - 1
            }
        }
    }

    /// Puts `conn` in its slot to wait for bytes until `deadline`.
    fn park(&mut self, key: usize, conn: Conn<S::Stream>, deadline: Instant) {
        self.slots[key].state = SlotState::Idle { conn, deadline };
        self.queue_timer(key, deadline);
    }

    /// Puts `conn`, armed and with its sending side shut, in its slot to linger from `now`.
    fn park_lingering(&mut self, key: usize, conn: Conn<S::Stream>, now: Instant) {
        let deadline = now + LINGER_TIME;
        self.slots[key].state = SlotState::Lingering {
            conn,
            deadline,
            discarded: 0,
        };
        self.queue_timer(key, deadline);
    }

    /// Makes sure the loop looks at `key` by `deadline`.
    fn queue_timer(&mut self, key: usize, deadline: Instant) {
        let slot = &mut self.slots[key];
        if slot.timer_at.is_none_or(|queued| deadline < queued) {
            slot.timer_at = Some(deadline);
            self.timers.push(Reverse((deadline, key)));
        }
    }

    /// Starts closing the idle connection at `key` in stages: shut its sending side, then
    /// linger. (It is still armed: an idle connection waits for a readiness report.)
    fn begin_linger(&mut self, key: usize, now: Instant) {
        let state = std::mem::replace(&mut self.slots[key].state, SlotState::Free);
        match state {
            SlotState::Idle { mut conn, .. } => {
                conn.stream.finish();
                self.park_lingering(key, conn, now);
            }
            other => self.slots[key].state = other,
        }
    }

    /// Reads and discards what a lingering connection's client sent; closes the connection
    /// once the client has ended its side or the budget is spent, else waits for more.
    fn linger(&mut self, key: usize) {
        let SlotState::Lingering {
            conn, discarded, ..
        } = &mut self.slots[key].state
        else {
            return;
        };
        let more = conn
            .discard_input(&mut self.sink, conn::DISCARD_PER_EVENT)
            .map(|read| *discarded + read)
            .filter(|&total| total < LINGER_BYTES);
        match more {
            Some(total) if self.ctx.sys.rearm(&conn.stream, key).is_ok() => *discarded = total,
            _ => self.close(key),
        }
    }

    /// Closes the idle or lingering connection at `key` now.
    fn close(&mut self, key: usize) {
        let state = std::mem::replace(&mut self.slots[key].state, SlotState::Free);
        if let SlotState::Idle { conn, .. } | SlotState::Lingering { conn, .. } = state {
            conn.close(&self.ctx.sys);
        }
        self.release(key);
    }

    /// Frees `key` after its connection closed.
    fn release(&mut self, key: usize) {
        self.slots[key].state = SlotState::Free;
        self.free.push(key);
        self.open -= 1;
    }
}

/// A connection on its way to a worker. If the job is dropped without running (the pool
/// refused it, or discarded it at shutdown), the connection is closed and reported closed.
struct Dispatched<S: Sys> {
    ctx: Arc<Ctx<S>>,
    conn: Option<Conn<S::Stream>>,
}

impl<S: Sys> Dispatched<S> {
    fn serve(mut self) {
        if let Some(conn) = self.conn.take() {
            conn::serve(&self.ctx, conn);
        }
    }
}

impl<S: Sys> Drop for Dispatched<S> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let key = conn.key;
            conn.close(&self.ctx.sys);
            self.ctx.hand_back(HandBack::Closed(key));
        }
    }
}

/// `wait` after `at`; a wait too long for an `Instant` (a timeout of 10^19 seconds, say) is
/// cut to about a century, which never comes, rather than overflowing.
fn later(at: Instant, wait: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);
    at.checked_add(wait)
        .or_else(|| at.checked_add(CENTURY))
        .unwrap_or(at)
}

/// Accept errors that concern one connection only (it was reset before we took it, say).
fn is_transient(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::PermissionDenied
    )
}
