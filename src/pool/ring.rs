//! A bounded multi-producer, multi-consumer queue that can be closed: Dmitry Vyukov's array
//! queue, as crossbeam's array channel builds it.
//!
//! Why not a `Mutex<VecDeque>`? Measured on a 2-core machine, one lock shared by the submitting
//! thread and the workers moved its cache line between cores four times per job and capped an
//! empty-job pool near 3 M jobs/s. Here a producer touches only `tail` and one slot, a consumer
//! only `head` and one slot, and each slot has a cache line of its own, so the one line a job
//! moves from its producer to its consumer is its own slot's.
//!
//! How it works. Each slot carries a `stamp`. `head` and `tail` are positions that count up
//! through "laps" of the buffer: a position is `lap + index`, where `lap` is a multiple of
//! `one_lap` (a power of two above the capacity) and `index < capacity`. A slot whose stamp
//! equals the tail position is free for that lap's producer; a slot whose stamp is the head
//! position plus one holds a value for that lap's consumer. A producer claims a slot by moving
//! `tail` forward with a compare-and-swap, writes the value, and then publishes it by setting
//! the stamp to `tail + 1`; a consumer claims it by moving `head` forward, reads the value, and
//! frees the slot for the next lap by setting the stamp to `head + one_lap`.
//!
//! Closing sets `mark_bit` in `tail` (one `fetch_or`), so a push either claimed its slot
//! before the close, and its value will be popped, or fails with [`PushError::Closed`]: an
//! accepted value can never be stranded by a concurrent close. A pop reports
//! [`Pop::Closed`] only once the queue is both closed and empty.
//!
//! Unlike crossbeam's queue, neither side ever spins waiting for the other to finish a slot
//! it has claimed: a slot still being written reads as empty, one still being emptied reads
//! as full, and the pool's sleep protocol wakes whoever gave up once the slot is done. So no
//! thread's progress depends on another being scheduled, which is what lets loom explore the
//! queue under a small preemption bound without starving the thread in the middle of a slot.
//!
//! Every atomic and the slot cells come from the shim, so under loom the model checks both
//! the orderings and that no two threads ever touch a slot's value at the same time.

use std::mem::MaybeUninit;

use crate::sync::{self, AtomicUsize, Ordering, UnsafeCell};

use super::backoff::Backoff;
use super::cache_padded::CachePadded;

/// The queue.
pub(crate) struct Ring<T> {
    /// Position of the next slot to pop. Written by consumers only.
    head: CachePadded<AtomicUsize>,
    /// Position of the next slot to push, plus `mark_bit` once closed. Written by producers
    /// (and by `close`).
    tail: CachePadded<AtomicUsize>,
    /// The slots; `capacity` of them.
    slots: Box<[Slot<T>]>,
    /// A power of two greater than the largest index; set in `tail` when the queue is closed.
    mark_bit: usize,
    /// The distance between the same slot's positions in consecutive laps (`2 * mark_bit`).
    one_lap: usize,
}

/// One cell of the buffer, aligned (and so sized) to a cache line of its own: 64 bytes, the line
/// of x86-64 and most ARM cores. Unpadded, a slot of the pool's jobs is 40 bytes and neighbouring
/// slots share lines, so a thread at one slot takes the line from a thread on another CPU at the
/// next. Measured on a 2-vCPU VM, three alternated runs of each build, medians in M jobs/s:
/// 1 µs jobs at 4 and 2 workers 4.08 → 4.84 and 4.03 → 4.67 (`cargo bench --bench pool cpu`),
/// at 1 worker unchanged (3.15 → 3.12); empty jobs at 1, 2 and 4 workers 5.50 → 6.03,
/// 5.69 → 6.15 and 5.22 → 6.14 (criterion). The price is 64 bytes a slot instead of 40. Not 128
/// like [`CachePadded`]: that read about 3% more at 1 µs / 4 workers (3 runs), for twice the memory.
#[repr(align(64))]
struct Slot<T> {
    /// Which position this slot is ready for (see the module docs).
    stamp: AtomicUsize,
    /// The value, initialised exactly when the stamp says a consumer may take it.
    value: UnsafeCell<MaybeUninit<T>>,
}

/// Why a push failed; the value is handed back.
pub(crate) enum PushError<T> {
    /// Every slot holds a value.
    Full(T),
    /// The queue was closed.
    Closed(T),
}

/// What a pop found.
pub(crate) enum Pop<T> {
    /// The oldest value.
    Item(T),
    /// Nothing right now.
    Empty,
    /// Nothing, ever again: the queue is closed and empty.
    Closed,
}

// SAFETY: values move between threads through the queue, which needs `T: Send`; the slots are
// only ever accessed by the one thread that claimed them through `head` or `tail`.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above; shared access goes through atomics and claimed slots.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// The most slots a ring can have: a position is `lap + index` plus the mark bit, and both
    /// the mark bit (a power of two above the largest index) and a lap (twice that) must fit in
    /// a `usize`.
    pub(crate) const MAX_CAPACITY: usize = 1 << (usize::BITS - 3);

    /// An open, empty queue of `capacity` slots, all allocated now; `None` if `capacity` is
    /// zero or above [`MAX_CAPACITY`](Self::MAX_CAPACITY), or if the memory for the slots
    /// cannot be had. Never panics or aborts on a size.
    pub(crate) fn new(capacity: usize) -> Option<Ring<T>> {
        if capacity == 0 || capacity > Self::MAX_CAPACITY {
            return None;
        }
        // Both fit: `capacity + 1 <= 2^(BITS-3) + 1`, whose next power of two is at most
        // `2^(BITS-2)`.
        let mark_bit = (capacity + 1).next_power_of_two();
        let one_lap = mark_bit.checked_mul(2)?;
        let mut slots = Vec::new();
        // Fallible: a size the allocator refuses is an answer, not an abort.
        slots.try_reserve_exact(capacity).ok()?;
        slots.extend((0..capacity).map(|index| Slot {
            stamp: AtomicUsize::new(index),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }));
        Some(Ring {
            head: CachePadded(AtomicUsize::new(0)),
            tail: CachePadded(AtomicUsize::new(0)),
            slots: slots.into_boxed_slice(),
            mark_bit,
            one_lap,
        })
    }

    /// Number of slots.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The position after `position`, wrapping to the next lap after the last slot.
    fn next(&self, position: usize) -> usize {
        let index = position & (self.mark_bit - 1);
        let lap = position & !(self.one_lap - 1);
        if index + 1 < self.slots.len() {
            position + 1
        } else {
            lap.wrapping_add(self.one_lap)
        }
    }

    /// Appends `value`, unless the queue is full or closed. Never waits for another thread:
    /// if the slot it needs is still being freed by a consumer, that counts as full.
    pub(crate) fn push(&self, value: T) -> Result<(), PushError<T>> {
        let mut backoff = Backoff::new();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & self.mark_bit != 0 {
                return Err(PushError::Closed(value));
            }
            let slot = &self.slots[tail & (self.mark_bit - 1)];
            let stamp = slot.stamp.load(Ordering::Acquire);
            let ahead = ahead_by(stamp, tail);
            if ahead == 0 {
                // The slot is free for this lap: claim it by moving the tail.
                match self.tail.compare_exchange_weak(
                    tail,
                    self.next(tail),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: winning the compare-and-swap gave this thread the slot until
                        // it publishes the new stamp; the consumer of the previous lap finished
                        // with it before storing the stamp we acquired.
                        slot.value
                            .with_mut(|cell| unsafe { cell.write(MaybeUninit::new(value)) });
                        slot.stamp.store(tail + 1, Ordering::Release);
                        return Ok(());
                    }
                    Err(current) => {
                        tail = current;
                        backoff.spin();
                    }
                }
            } else if ahead < 0 {
                // The slot is still busy with an earlier lap: its value is unconsumed, or its
                // consumer (or producer) has claimed it and not finished. Either way there is
                // no room now. (Waiting for that thread instead would make this one depend on
                // its progress; the pool's sleep protocol wakes a blocked producer when a
                // consumer frees a slot.)
                return Err(PushError::Full(value));
            } else {
                // Our view of the tail is stale: another producer already filled this slot.
                backoff.spin();
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Removes the oldest value. Never waits for another thread: a value whose producer has
    /// claimed its slot but not yet published it does not count yet, and the pop says
    /// [`Pop::Empty`]; the pool's sleep protocol makes that producer wake a sleeper after it
    /// publishes.
    pub(crate) fn pop(&self) -> Pop<T> {
        let mut backoff = Backoff::new();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let slot = &self.slots[head & (self.mark_bit - 1)];
            let stamp = slot.stamp.load(Ordering::Acquire);
            let ahead = ahead_by(stamp, head);
            if ahead == 1 {
                // The slot holds this lap's value: claim it by moving the head.
                match self.head.compare_exchange_weak(
                    head,
                    self.next(head),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: winning the compare-and-swap gave this thread the slot; the
                        // producer wrote the value before the stamp we acquired.
                        let value = slot.value.with(|cell| unsafe { cell.read().assume_init() });
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        return Pop::Item(value);
                    }
                    Err(current) => {
                        head = current;
                        backoff.spin();
                    }
                }
            } else if ahead <= 0 {
                // Nothing published at the head for this lap (the slot is free, or last
                // lap's consumer is still moving its value out). Closed only if nothing was
                // ever claimed past the head: the close bit lives in `tail`, so a tail read
                // with the bit set already counts every claim made before the close.
                let tail = self.tail.load(Ordering::Relaxed);
                return if tail & self.mark_bit != 0 && tail & !self.mark_bit == head {
                    Pop::Closed
                } else {
                    Pop::Empty
                };
            } else {
                // Our view of the head is stale: another consumer already took this slot.
                backoff.spin();
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// Closes the queue: every later push fails. Returns `true` if this call closed it.
    pub(crate) fn close(&self) -> bool {
        self.tail.fetch_or(self.mark_bit, Ordering::SeqCst) & self.mark_bit == 0
    }

    /// Whether the queue has been closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.tail.load(Ordering::SeqCst) & self.mark_bit != 0
    }

    /// Whether a pop now might return something other than [`Pop::Empty`]: a published value
    /// at the head, or `Closed`. May say yes wrongly (from a stale view of the head, which the
    /// pop then corrects); says no only if the head's slot was unpublished when looked at.
    ///
    /// The pool pairs this with a `SeqCst` fence against the producer's fence after it
    /// publishes (the sleep protocol), which is why it looks at the head slot's stamp — the
    /// store that publishes a value — rather than at `tail`.
    pub(crate) fn may_pop(&self) -> bool {
        let head = self.head.load(Ordering::Relaxed);
        let stamp = self.slots[head & (self.mark_bit - 1)]
            .stamp
            .load(Ordering::Acquire);
        if ahead_by(stamp, head) > 0 {
            return true; // published, or a stale head that the pop will correct
        }
        let tail = self.tail.load(Ordering::Relaxed);
        tail & self.mark_bit != 0 && tail & !self.mark_bit == head
    }

    /// Whether a push now might return something other than [`PushError::Full`]: a free slot
    /// at the tail, or `Closed`. The mirror of [`may_pop`](Ring::may_pop): may say yes wrongly
    /// (from a stale view of the tail, which the push then corrects); says no only if the
    /// tail's slot was still busy with an earlier lap when looked at.
    ///
    /// It looks at the tail slot's stamp — the store by which a consumer frees the slot — so
    /// that the pool's sleep protocol can pair it with that consumer's fence.
    pub(crate) fn may_push(&self) -> bool {
        let tail = self.tail.load(Ordering::Relaxed);
        if tail & self.mark_bit != 0 {
            return true; // closed: the push says so
        }
        let stamp = self.slots[tail & (self.mark_bit - 1)]
            .stamp
            .load(Ordering::Acquire);
        ahead_by(stamp, tail) >= 0 // free, or a stale tail that the push will correct
    }

    /// Number of values in the queue; exact when no push or pop is in progress.
    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            // A consistent pair: the tail did not move while the head was read.
            if self.tail.load(Ordering::SeqCst) == tail {
                let head_index = head & (self.mark_bit - 1);
                let tail_index = tail & (self.mark_bit - 1);
                return if head_index < tail_index {
                    tail_index - head_index
                } else if head_index > tail_index {
                    self.slots.len() - head_index + tail_index
                } else if tail & !self.mark_bit == head {
                    0
                } else {
                    self.slots.len()
                };
            }
            sync::spin_hint();
        }
    }
}

/// How far a slot's `stamp` is ahead of `position`: `0` means "free for the producer of this
/// position", `1` means "holds this position's value", more means the position is stale
/// (already filled or emptied), less means the slot is still busy with an earlier lap.
/// Positions only grow, so the wrapping difference is exact.
fn ahead_by(stamp: usize, position: usize) -> isize {
    stamp.wrapping_sub(position) as isize
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // Drop the values nobody popped.
        while let Pop::Item(value) = self.pop() {
            drop(value);
        }
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::pool::job::Job;

    #[test]
    fn a_slot_of_the_pools_jobs_is_one_cache_line() {
        assert_eq!(std::mem::align_of::<Slot<Job>>(), 64);
        assert_eq!(std::mem::size_of::<Slot<Job>>(), 64);
    }

    fn drain<T>(ring: &Ring<T>) -> Vec<T> {
        let mut out = Vec::new();
        while let Pop::Item(value) = ring.pop() {
            out.push(value);
        }
        out
    }

    #[test]
    fn fifo_across_many_laps_at_several_capacities() {
        for capacity in [1, 2, 3, 7, 8, 100] {
            let ring = Ring::new(capacity).unwrap();
            let mut next_in = 0;
            let mut next_out = 0;
            for round in 0..50 {
                let batch = 1 + round % capacity;
                for _ in 0..batch {
                    assert!(ring.push(next_in).is_ok());
                    next_in += 1;
                }
                assert_eq!(ring.len(), batch);
                for value in drain(&ring) {
                    assert_eq!(value, next_out);
                    next_out += 1;
                }
                assert_eq!(ring.len(), 0);
            }
            assert_eq!(next_in, next_out);
        }
    }

    #[test]
    fn full_ring_refuses_and_hands_the_value_back() {
        let ring = Ring::new(3).unwrap();
        for n in 0..3 {
            assert!(ring.push(n).is_ok());
        }
        assert_eq!(ring.len(), 3);
        match ring.push(99) {
            Err(PushError::Full(99)) => {}
            _ => panic!("a full ring must refuse with Full(value)"),
        }
        assert!(matches!(ring.pop(), Pop::Item(0)));
        assert!(ring.push(3).is_ok());
        assert_eq!(drain(&ring), [1, 2, 3]);
    }

    #[test]
    fn may_push_is_false_exactly_while_full_and_open() {
        let ring = Ring::new(2).unwrap();
        for lap in 0..3 {
            assert!(ring.may_push(), "lap {lap}: empty");
            assert!(ring.push(lap).is_ok());
            assert!(ring.may_push(), "lap {lap}: one free slot");
            assert!(ring.push(lap).is_ok());
            assert!(!ring.may_push(), "lap {lap}: full");
            assert!(matches!(ring.pop(), Pop::Item(_)));
            assert!(ring.may_push(), "lap {lap}: a slot freed");
            assert!(matches!(ring.pop(), Pop::Item(_)));
        }
        assert!(ring.push(0).is_ok() && ring.push(1).is_ok());
        ring.close();
        assert!(
            ring.may_push(),
            "closed: a push returns at once, with Closed"
        );
    }

    #[test]
    fn closed_ring_refuses_pushes_but_drains_before_reporting_closed() {
        let ring = Ring::new(4).unwrap();
        assert!(ring.push("a").is_ok());
        assert!(ring.push("b").is_ok());
        assert!(ring.close());
        assert!(!ring.close(), "only the first close reports closing");
        assert!(ring.is_closed());
        assert!(matches!(ring.push("c"), Err(PushError::Closed("c"))));
        assert!(matches!(ring.pop(), Pop::Item("a")));
        assert!(matches!(ring.pop(), Pop::Item("b")));
        assert!(matches!(ring.pop(), Pop::Closed));
        assert!(
            ring.may_pop(),
            "a closed ring always has something to report"
        );
    }

    #[test]
    fn sizes_a_ring_cannot_have_are_refused_without_panicking() {
        assert!(Ring::<u8>::new(0).is_none());
        assert!(Ring::<u8>::new(usize::MAX).is_none());
        assert!(Ring::<u8>::new(Ring::<u8>::MAX_CAPACITY + 1).is_none());
        // Positions fit, but the size in bytes overflows: refused before any allocation.
        assert!(Ring::<u8>::new(Ring::<u8>::MAX_CAPACITY).is_none());
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "miri stops at an allocation it cannot make (resource exhaustion) instead of \
                  returning an error, so the allocator's refusal cannot be observed"
    )]
    fn a_ring_the_allocator_refuses_is_none_not_an_abort() {
        // Positions and byte size fit, but the memory cannot be had: refused by the
        // allocator, not an abort.
        assert!(Ring::<[u8; 64]>::new(1 << 50).is_none());
    }

    #[test]
    fn empty_open_ring_pops_empty() {
        let ring: Ring<u8> = Ring::new(2).unwrap();
        assert!(matches!(ring.pop(), Pop::Empty));
        assert!(!ring.may_pop());
    }

    #[test]
    fn dropping_a_ring_drops_what_it_still_holds() {
        let value = std::sync::Arc::new(());
        let ring = Ring::new(4).unwrap();
        for _ in 0..3 {
            assert!(ring.push(std::sync::Arc::clone(&value)).is_ok());
        }
        assert!(matches!(ring.pop(), Pop::Item(_)));
        drop(ring);
        assert_eq!(std::sync::Arc::strong_count(&value), 1);
    }

    #[test]
    fn concurrent_producers_and_consumers_move_every_value_once() {
        use std::sync::Arc;
        // Under miri, 2 x 20 000 values do not finish in 10 minutes; 2 x 300 still laps the
        // 8-slot ring 75 times, with miri's scheduler preempting at random points.
        const PER_PRODUCER: usize = if cfg!(miri) { 300 } else { 20_000 };
        let ring = Arc::new(Ring::new(8).unwrap());
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let ring = Arc::clone(&ring);
                std::thread::spawn(move || {
                    for n in 0..PER_PRODUCER {
                        let mut value = p * PER_PRODUCER + n;
                        loop {
                            match ring.push(value) {
                                Ok(()) => break,
                                Err(PushError::Full(v)) => {
                                    value = v;
                                    std::thread::yield_now();
                                }
                                Err(PushError::Closed(_)) => unreachable!("never closed"),
                            }
                        }
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let ring = Arc::clone(&ring);
                std::thread::spawn(move || {
                    let mut seen = Vec::new();
                    loop {
                        match ring.pop() {
                            Pop::Item(v) => seen.push(v),
                            Pop::Empty => std::thread::yield_now(),
                            Pop::Closed => return seen,
                        }
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.join().unwrap();
        }
        ring.close();
        let mut all: Vec<usize> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..2 * PER_PRODUCER).collect::<Vec<_>>());
    }
}
