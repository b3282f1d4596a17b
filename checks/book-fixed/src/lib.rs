//! The Rust Book's final thread pool (`checks/book-final`) after the two fixes its report card
//! asks for, as the README's "Check your own pool" walkthrough makes them: each job runs inside
//! `catch_unwind` (check `panicking_job`), and the channel is a `sync_channel` bounded by the
//! number of workers (check `backlog_is_bounded`). Every check passes.

// The only change from the book: was `use std::{sync::{mpsc, Arc, Mutex}, thread};`
use webpool::sync::{mpsc, thread, Arc, Mutex};

/// A fixed set of worker threads fed by a channel.
pub struct ThreadPool {
    workers: Vec<Worker>,
    sender: Option<mpsc::SyncSender<Job>>,
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

        // Fix 2: a bounded channel. `execute` waits while `size` jobs are queued.
        let (sender, receiver) = mpsc::sync_channel(size);

        let receiver = Arc::new(Mutex::new(receiver));

        let mut workers = Vec::with_capacity(size);

        for id in 0..size {
            workers.push(Worker::new(id, Arc::clone(&receiver)));
        }

        ThreadPool {
            workers,
            sender: Some(sender),
        }
    }

    /// Runs `f` on one of the pool's threads, waiting while `size` jobs are queued.
    pub fn execute<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        let job = Box::new(f);

        self.sender.as_ref().unwrap().send(job).unwrap();
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        drop(self.sender.take());

        for worker in self.workers.drain(..) {
            println!("Shutting down worker {}", worker.id);

            worker.thread.join().unwrap();
        }
    }
}

struct Worker {
    id: usize,
    thread: thread::JoinHandle<()>,
}

impl Worker {
    fn new(id: usize, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) -> Worker {
        let thread = thread::spawn(move || loop {
            let message = receiver.lock().unwrap().recv();

            match message {
                Ok(job) => {
                    println!("Worker {id} got a job; executing.");

                    // Fix 1: a panicking job fails alone; the worker lives on.
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                        println!("Worker {id}: the job panicked; carrying on.");
                    }
                }
                Err(_) => {
                    println!("Worker {id} disconnected; shutting down.");
                    break;
                }
            }
        });

        Worker { id, thread }
    }
}
