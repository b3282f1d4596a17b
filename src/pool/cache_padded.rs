//! A value alone on its cache line, for the atomics that different threads write often: the
//! ring's `head` and `tail`, a wait list's count of snoozers.

/// Pads and aligns a value to 128 bytes, so that it never shares a cache line with another
/// (two lines on CPUs that prefetch pairs).
#[repr(align(128))]
pub(super) struct CachePadded<T>(pub(super) T);

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
