//! The Rust Book's thread pool with the worker loop of listing 21-21 (`while let`, which the
//! book shows and then explains does not work; there is no `Drop` yet), as a reader's own
//! crate has it, with one change: the synchronisation types come from `webpool::sync` instead
//! of `std`, so that `webpool::check_pool!` can run the bug catalog against it under loom
//! (`tests/pool_check.rs`).
//!
//! The book's compiler warnings (the unused `workers`, `id` and `thread` fields) are kept
//! quiet here: the fields are the book's, and unused exactly as in the book.
#![allow(dead_code)]

// The only change from the book: was `use std::{sync::{mpsc, Arc, Mutex}, thread};`
use webpool::sync::{mpsc, thread, Arc, Mutex};

/// A fixed set of worker threads fed by a channel.
pub struct ThreadPool {
    workers: Vec<Worker>,
    sender: mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce() + Send + 'static>;

impl ThreadPool {
    /// Create a new ThreadPool.
    ///
    /// The size is the number of threads in the pool.
    ///
    /// # Panics
    ///
    /// The `new` function will panic if the size is zero.
    pub fn new(size: usize) -> ThreadPool {
        assert!(size > 0);

        let (sender, receiver) = mpsc::channel();

        let receiver = Arc::new(Mutex::new(receiver));

        let mut workers = Vec::with_capacity(size);

        for id in 0..size {
            workers.push(Worker::new(id, Arc::clone(&receiver)));
        }

        ThreadPool { workers, sender }
    }

    /// Runs `f` on one of the pool's threads.
    pub fn execute<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        let job = Box::new(f);

        self.sender.send(job).unwrap();
    }
}

struct Worker {
    id: usize,
    thread: thread::JoinHandle<()>,
}

impl Worker {
    fn new(id: usize, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) -> Worker {
        let thread = thread::spawn(move || {
            while let Ok(job) = receiver.lock().unwrap().recv() {
                println!("Worker {id} got a job; executing.");

                job();
            }
        });

        Worker { id, thread }
    }
}
