//! Why a pool could not be built, and why it did not take a job. A refused job is always
//! handed back, unrun, so the caller decides what becomes of it (a server answers 503 with the
//! connection the job held).

use std::fmt;
use std::io;

use super::Builder;
#[cfg(doc)]
use super::ThreadPool;

/// Why a [`ThreadPool`] could not be built.
#[derive(Debug)]
pub enum PoolCreationError {
    /// A pool needs at least one thread.
    ZeroThreads,
    /// A queue needs room for at least one job.
    ZeroCapacity,
    /// More threads than [`Builder::MAX_THREADS`].
    TooManyThreads(usize),
    /// A queue this large cannot be allocated (or its positions would not fit in a `usize`).
    QueueTooLarge(usize),
    /// The operating system refused to start a worker thread.
    Spawn(io::Error),
}

/// Why [`ThreadPool::execute`] did not accept a job; the job is handed back inside, unrun.
pub enum ExecuteError<F> {
    /// The pool is shutting down (it was before the call, or began while the call waited for
    /// room); it accepts no new jobs.
    ShutDown(F),
}

/// Why [`ThreadPool::try_execute`] did not accept a job; the job is handed back inside.
pub enum TryExecuteError<F> {
    /// The queue is at capacity right now.
    Full(F),
    /// The pool is shutting down and accepts no new jobs.
    ShutDown(F),
}

impl fmt::Display for PoolCreationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolCreationError::ZeroThreads => {
                f.write_str("a thread pool needs at least one thread")
            }
            PoolCreationError::ZeroCapacity => {
                f.write_str("a thread pool's queue needs room for at least one job")
            }
            PoolCreationError::TooManyThreads(threads) => write!(
                f,
                "a thread pool may have at most {} threads, not {threads}",
                Builder::MAX_THREADS
            ),
            PoolCreationError::QueueTooLarge(capacity) => {
                write!(
                    f,
                    "a thread pool's queue of {capacity} jobs cannot be allocated"
                )
            }
            PoolCreationError::Spawn(err) => write!(f, "could not start a worker thread: {err}"),
        }
    }
}

impl std::error::Error for PoolCreationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PoolCreationError::Spawn(err) => Some(err),
            _ => None,
        }
    }
}

impl From<PoolCreationError> for io::Error {
    fn from(err: PoolCreationError) -> io::Error {
        match err {
            PoolCreationError::Spawn(err) => err,
            other => io::Error::new(io::ErrorKind::InvalidInput, other),
        }
    }
}

impl<F> ExecuteError<F> {
    /// The job that was not accepted.
    pub fn into_inner(self) -> F {
        match self {
            ExecuteError::ShutDown(job) => job,
        }
    }
}

// By hand, like `TryExecuteError`'s: a closure has no `Debug`, and `execute(..).unwrap()` needs
// one.
impl<F> fmt::Debug for ExecuteError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecuteError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<F> fmt::Display for ExecuteError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecuteError::ShutDown(_) => f.write_str("the thread pool is shutting down"),
        }
    }
}

impl<F> std::error::Error for ExecuteError<F> {}

impl<F> TryExecuteError<F> {
    /// The job that was not accepted.
    pub fn into_inner(self) -> F {
        match self {
            TryExecuteError::Full(job) | TryExecuteError::ShutDown(job) => job,
        }
    }

    /// `true` if the queue was full (the pool is still running).
    pub fn is_full(&self) -> bool {
        matches!(self, TryExecuteError::Full(_))
    }

    /// `true` if the pool was shutting down.
    pub fn is_shut_down(&self) -> bool {
        matches!(self, TryExecuteError::ShutDown(_))
    }
}

impl<F> fmt::Debug for TryExecuteError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryExecuteError::Full(_) => f.write_str("Full(..)"),
            TryExecuteError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<F> fmt::Display for TryExecuteError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryExecuteError::Full(_) => f.write_str("the thread pool's queue is full"),
            TryExecuteError::ShutDown(_) => f.write_str("the thread pool is shutting down"),
        }
    }
}

impl<F> std::error::Error for TryExecuteError<F> {}
