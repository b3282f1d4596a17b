//! A type-erased `FnOnce()` that stores small closures inline instead of in a `Box`.
//!
//! Most jobs capture a pointer or two (an `Arc`, a connection handle). Boxing each one costs
//! a `malloc` on the submitting thread and a cross-thread `free` on the worker, which measured
//! as the largest single cost of submitting an empty job. A [`Job`] keeps any closure of up to
//! [`INLINE_WORDS`] machine words, with at most word alignment, in its own bytes; a larger or
//! more strictly aligned closure is boxed first and the `Box` (one word) is stored inline.
//!
//! The unsafe code rests on one invariant, set up in [`Job::new`] and never changed: `data`
//! holds an initialised value of the closure type that `vtable` was made for. `run` and `Drop`
//! each consume it exactly once (`run` wraps `self` in `ManuallyDrop` so `Drop` cannot run
//! after it).

use std::mem::{self, ManuallyDrop, MaybeUninit};

/// Words of closure state stored without a heap allocation (24 bytes on 64-bit targets).
pub(crate) const INLINE_WORDS: usize = 3;

/// A closure ready to run once on any thread.
pub(crate) struct Job {
    /// The closure (or a `Box` of it), as raw bytes aligned for a `usize`.
    data: MaybeUninit<[usize; INLINE_WORDS]>,
    /// How to call or drop what `data` holds.
    vtable: &'static VTable,
}

/// The two things a job can do with its bytes.
struct VTable {
    /// Moves the closure out of the bytes and calls it.
    call: unsafe fn(*mut u8),
    /// Drops the closure in place without calling it.
    drop: unsafe fn(*mut u8),
}

/// Holds the vtable of one closure type, as a constant the compiler promotes to `'static`.
struct VTableOf<F>(F);

impl<F: FnOnce()> VTableOf<F> {
    const VTABLE: VTable = VTable {
        call: call::<F>,
        drop: drop_in_place::<F>,
    };
}

// SAFETY: a `Job` is only ever built from an `F: Send` (see `Job::new`), and it owns that
// value; moving the bytes to another thread moves the closure there.
unsafe impl Send for Job {}

impl Job {
    /// Wraps `f`, inline if it fits, boxed otherwise.
    pub(crate) fn new<F: FnOnce() + Send + 'static>(f: F) -> Job {
        if fits_inline::<F>() {
            Job::inline(f)
        } else {
            Job::inline(Box::new(f))
        }
    }

    /// Stores `f` in the job's own bytes.
    fn inline<F: FnOnce() + Send + 'static>(f: F) -> Job {
        assert!(
            fits_inline::<F>(),
            "the caller checked the size and alignment"
        );
        let mut data = MaybeUninit::<[usize; INLINE_WORDS]>::uninit();
        // SAFETY: `data` is large enough and aligned enough for an `F` (asserted above).
        unsafe { data.as_mut_ptr().cast::<F>().write(f) };
        Job {
            data,
            vtable: &VTableOf::<F>::VTABLE,
        }
    }

    /// Runs the closure, consuming the job. A panic in the closure unwinds out of this call;
    /// the closure's captured values are dropped during the unwinding, exactly once.
    pub(crate) fn run(self) {
        let mut job = ManuallyDrop::new(self);
        // SAFETY: `data` holds the value `vtable` was made for (the module invariant), and
        // `ManuallyDrop` guarantees `Drop` will not touch it again after `call` moves it out.
        unsafe { (job.vtable.call)(job.data.as_mut_ptr().cast()) }
    }

    /// Takes the closure back out without running it.
    ///
    /// # Safety
    ///
    /// The job must have been built by `Job::new::<F>` with this very `F`.
    pub(crate) unsafe fn into_closure<F: FnOnce() + Send + 'static>(self) -> F {
        let mut job = ManuallyDrop::new(self);
        let data = job.data.as_mut_ptr();
        if fits_inline::<F>() {
            // SAFETY: the caller promises `data` holds an `F`, and `ManuallyDrop` keeps `Drop`
            // from dropping it a second time.
            unsafe { data.cast::<F>().read() }
        } else {
            // SAFETY: as above; an `F` too large to fit was stored as a `Box<F>`.
            *unsafe { data.cast::<Box<F>>().read() }
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        // SAFETY: `data` holds the value `vtable` was made for, and nothing has consumed it:
        // both `run` and `into_closure` prevent `Drop` with `ManuallyDrop`.
        unsafe { (self.vtable.drop)(self.data.as_mut_ptr().cast()) }
    }
}

/// Whether an `F` can live in a job's bytes: small enough and no stricter alignment.
const fn fits_inline<F>() -> bool {
    mem::size_of::<F>() <= mem::size_of::<[usize; INLINE_WORDS]>()
        && mem::align_of::<F>() <= mem::align_of::<[usize; INLINE_WORDS]>()
}

/// Moves the `F` at `data` out and calls it.
///
/// # Safety
///
/// `data` must point to an initialised `F` that nothing else will read or drop.
unsafe fn call<F: FnOnce()>(data: *mut u8) {
    // SAFETY: guaranteed by the caller.
    let f = unsafe { data.cast::<F>().read() };
    f();
}

/// Drops the `F` at `data` in place.
///
/// # Safety
///
/// `data` must point to an initialised `F` that nothing else will read or drop.
unsafe fn drop_in_place<F>(data: *mut u8) {
    // SAFETY: guaranteed by the caller.
    unsafe { data.cast::<F>().drop_in_place() }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use std::panic::{self, AssertUnwindSafe};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Counts how many times it was dropped.
    struct DropCounter(Arc<AtomicUsize>);

    impl Drop for DropCounter {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> Arc<AtomicUsize> {
        Arc::new(AtomicUsize::new(0))
    }

    #[test]
    fn small_closure_runs_once_and_drops_its_captures_once() {
        let ran = counter();
        let drops = counter();
        let guard = DropCounter(Arc::clone(&drops));
        let ran_in_job = Arc::clone(&ran);
        let job = Job::new(move || {
            let _guard = &guard;
            ran_in_job.fetch_add(1, Ordering::SeqCst);
        });
        assert!(fits_inline::<(DropCounter, Arc<AtomicUsize>)>());
        job.run();
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn large_closure_is_boxed_and_runs_once() {
        let ran = counter();
        let big = [7u64; 16];
        let ran_in_job = Arc::clone(&ran);
        let job = Job::new(move || {
            assert_eq!(big.iter().sum::<u64>(), 7 * 16);
            ran_in_job.fetch_add(1, Ordering::SeqCst);
        });
        job.run();
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn over_aligned_closure_is_boxed_and_keeps_its_alignment() {
        #[repr(align(64))]
        struct Aligned(u8);
        assert!(!fits_inline::<Aligned>());
        let value = Aligned(42);
        let job = Job::new(move || {
            assert_eq!(std::ptr::from_ref(&value).align_offset(64), 0);
            assert_eq!(value.0, 42);
        });
        job.run();
    }

    #[test]
    fn dropping_an_unrun_job_drops_its_captures_once_inline_and_boxed() {
        let drops = counter();
        let small = DropCounter(Arc::clone(&drops));
        drop(Job::new(move || drop(small)));
        let big = (DropCounter(Arc::clone(&drops)), [0u64; 8]);
        assert!(!fits_inline::<(DropCounter, [u64; 8])>());
        drop(Job::new(move || drop(big)));
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn panicking_job_drops_its_captures_once_while_unwinding() {
        let drops = counter();
        let guard = DropCounter(Arc::clone(&drops));
        let job = Job::new(move || {
            let _guard = &guard;
            panic!("job panicked on purpose");
        });
        let result = panic::catch_unwind(AssertUnwindSafe(|| job.run()));
        assert!(result.is_err());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    /// Wraps `f` in a job and takes it straight back out.
    fn round_trip<F: FnOnce() + Send + 'static>(f: F) -> F {
        // SAFETY: the job was built from this very `F`.
        unsafe { Job::new(f).into_closure::<F>() }
    }

    #[test]
    fn into_closure_gives_back_the_same_closure_inline_and_boxed() {
        let drops = counter();
        let ran = counter();
        let small = DropCounter(Arc::clone(&drops));
        let ran_small = Arc::clone(&ran);
        let back = round_trip(move || {
            let _small = &small;
            ran_small.fetch_add(1, Ordering::SeqCst);
        });
        let big = (DropCounter(Arc::clone(&drops)), [3u64; 8]);
        let ran_big = Arc::clone(&ran);
        let back_big = round_trip(move || {
            let (_guard, payload) = &big;
            assert_eq!(*payload, [3u64; 8]);
            ran_big.fetch_add(10, Ordering::SeqCst);
        });
        assert_eq!(
            drops.load(Ordering::SeqCst),
            0,
            "taking a closure back must not drop it"
        );
        back();
        back_big();
        assert_eq!(ran.load(Ordering::SeqCst), 11);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_job_is_four_words() {
        assert_eq!(
            mem::size_of::<Job>(),
            (INLINE_WORDS + 1) * mem::size_of::<usize>()
        );
    }
}
