//! Thread pools side by side, in one run: `webpool::ThreadPool` against the Rust Book's final
//! pool, the `threadpool` crate, rayon's `ThreadPool::spawn`, and a pool on a crossbeam
//! channel.
//!
//! `cargo bench --bench pool` (or `bash scripts/bench-pool.sh`, which prints the ratios).
//!
//! Workloads, each at 1, 2 and 4 workers:
//! - `empty`: 100 000 jobs that only count down a shared latch, submitted from one thread and
//!   waited for. Each job holds an `Arc` of the latch, cloned by the submitter and dropped by
//!   the worker, as jobs holding an `Arc` of shared state do; at 1 worker that cache line,
//!   written on both sides for every job, dominates (the cell rewards a worker that takes each
//!   job a little late; README, "Benchmarks");
//! - `empty-unshared`: the same jobs counting down a latch the submitter does not write while
//!   it submits (a `static`, held by reference): what the pool itself costs per empty job;
//! - `1us`: the same jobs after about a microsecond of arithmetic each;
//! - `wakeup`: one job submitted to a pool idle long enough for its workers to sleep, timed
//!   until it starts;
//! - `cpu`: the `1us` workload again, timed by hand with the process's CPU time beside the wall
//!   time, so that each job's cost splits into the job's own body and the rest (handing it over,
//!   waiting). Run it under `taskset -c 0` too (`scripts/bench-pool.sh` does) to see the same
//!   pools on one CPU, where no cache line moves between CPUs.
//!
//! In each workload every pool runs the very same closure (it captures one `Arc`, or in
//! `empty-unshared` one reference), so what differs is only how the pool moves it: the others
//! box every job, webpool stores a closure this small inline.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};

/// Jobs per measured iteration of the throughput workloads.
const JOBS: usize = 100_000;

/// The thread counts every pool is measured at.
const THREADS: [usize; 3] = [1, 2, 4];

// ===== the latch every job counts down =====

/// Counts jobs down to zero and wakes the waiting submitter when the last one ends.
struct Latch {
    left: AtomicUsize,
    done: Mutex<bool>,
    finished: Condvar,
}

impl Latch {
    const fn new(count: usize) -> Latch {
        Latch {
            left: AtomicUsize::new(count),
            done: Mutex::new(false),
            finished: Condvar::new(),
        }
    }

    /// Arms the latch for `count` more jobs. Only between batches: every job of the last one
    /// has counted down (at most the last is still inside `notify_one`, which then wakes the
    /// next `wait` spuriously, and that `wait` looks at `done` again).
    fn rearm(&self, count: usize) {
        self.left.store(count, Ordering::Relaxed);
        *self.done.lock().unwrap() = false;
    }

    fn count_down(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            *self.done.lock().unwrap() = true;
            self.finished.notify_one();
        }
    }

    fn wait(&self) {
        let mut done = self.done.lock().unwrap();
        while !*done {
            done = self.finished.wait(done).unwrap();
        }
    }
}

/// About a microsecond of work the optimiser cannot remove.
fn spin_one_microsecond() {
    let mut x = 0u64;
    for i in 0..300u64 {
        x = black_box(x.wrapping_mul(31).wrapping_add(i));
    }
    black_box(x);
}

// ===== the peers, behind one trait =====

type Job = Box<dyn FnOnce() + Send + 'static>;

/// What the benchmark needs from a pool.
trait Pool: Send + Sync {
    fn submit(&self, job: impl FnOnce() + Send + 'static);
}

impl Pool for webpool::ThreadPool {
    fn submit(&self, job: impl FnOnce() + Send + 'static) {
        self.execute(job).expect("the pool is running");
    }
}

impl Pool for threadpool::ThreadPool {
    fn submit(&self, job: impl FnOnce() + Send + 'static) {
        self.execute(job);
    }
}

impl Pool for rayon::ThreadPool {
    fn submit(&self, job: impl FnOnce() + Send + 'static) {
        self.spawn(job);
    }
}

/// The Rust Book's final pool (ch. 21, listing 21-25): workers share an
/// `Arc<Mutex<mpsc::Receiver<Job>>>`, and take the lock only for `recv`.
struct BookPool {
    sender: Option<mpsc::Sender<Job>>,
    workers: Vec<thread::JoinHandle<()>>,
}

impl BookPool {
    fn new(size: usize) -> BookPool {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let workers = (0..size)
            .map(|_| {
                let receiver = Arc::clone(&receiver);
                thread::spawn(move || loop {
                    let message = receiver.lock().unwrap().recv();
                    match message {
                        Ok(job) => job(),
                        Err(_) => break,
                    }
                })
            })
            .collect();
        BookPool {
            sender: Some(sender),
            workers,
        }
    }
}

impl Pool for BookPool {
    fn submit(&self, job: impl FnOnce() + Send + 'static) {
        let sender = self.sender.as_ref().expect("running");
        sender.send(Box::new(job)).expect("workers alive");
    }
}

impl Drop for BookPool {
    fn drop(&mut self) {
        drop(self.sender.take());
        for worker in self.workers.drain(..) {
            worker.join().unwrap();
        }
    }
}

/// Workers receiving boxed jobs from an unbounded crossbeam channel (no lock of our own).
struct CrossbeamPool {
    sender: Option<crossbeam_channel::Sender<Job>>,
    workers: Vec<thread::JoinHandle<()>>,
}

impl CrossbeamPool {
    fn new(size: usize) -> CrossbeamPool {
        let (sender, receiver) = crossbeam_channel::unbounded::<Job>();
        let workers = (0..size)
            .map(|_| {
                let receiver = receiver.clone();
                thread::spawn(move || {
                    for job in receiver {
                        job();
                    }
                })
            })
            .collect();
        CrossbeamPool {
            sender: Some(sender),
            workers,
        }
    }
}

impl Pool for CrossbeamPool {
    fn submit(&self, job: impl FnOnce() + Send + 'static) {
        let sender = self.sender.as_ref().expect("running");
        sender.send(Box::new(job)).expect("workers alive");
    }
}

impl Drop for CrossbeamPool {
    fn drop(&mut self) {
        drop(self.sender.take());
        for worker in self.workers.drain(..) {
            worker.join().unwrap();
        }
    }
}

// ===== the workloads =====

/// Submits `JOBS` jobs from this thread and waits for all of them.
fn run_batch(pool: &impl Pool, work: bool) {
    let latch = Arc::new(Latch::new(JOBS));
    for _ in 0..JOBS {
        let latch = Arc::clone(&latch);
        pool.submit(move || {
            if work {
                spin_one_microsecond();
            }
            latch.count_down();
        });
    }
    latch.wait();
}

/// The latch of the `empty-unshared` workload. Static, so that its jobs hold a plain reference:
/// no count of references for the submitter to write per job. One batch at a time uses it (the
/// benchmarks run one after another).
static UNSHARED_LATCH: Latch = Latch::new(0);

/// `run_batch` of empty jobs whose latch the submitter leaves alone until it waits.
fn run_unshared_batch(pool: &impl Pool) {
    let latch = &UNSHARED_LATCH;
    latch.rearm(JOBS);
    for _ in 0..JOBS {
        pool.submit(move || latch.count_down());
    }
    latch.wait();
}

/// Time from submitting one job to an idle pool until the job starts.
fn wakeup_latency(pool: &impl Pool) -> Duration {
    // Long enough for every pool's workers to give up spinning and sleep.
    thread::sleep(Duration::from_millis(2));
    let (started_tx, started_rx) = mpsc::sync_channel(1);
    let submitted = Instant::now();
    pool.submit(move || started_tx.send(Instant::now()).unwrap());
    let started = started_rx.recv().unwrap();
    started.duration_since(submitted)
}

/// Object-safe view of [`Pool`] for the benchmark loops.
trait Submit {
    fn batch(&self, work: bool);
    fn unshared_batch(&self);
    fn wakeup(&self) -> Duration;
}

impl<P: Pool> Submit for P {
    fn batch(&self, work: bool) {
        run_batch(self, work);
    }

    fn unshared_batch(&self) {
        run_unshared_batch(self);
    }

    fn wakeup(&self) -> Duration {
        wakeup_latency(self)
    }
}

/// The peers at `threads` workers, by name, in report order.
fn pools(threads: usize) -> Vec<(&'static str, Box<dyn Submit>)> {
    vec![
        ("webpool", Box::new(webpool::ThreadPool::new(threads))),
        ("book", Box::new(BookPool::new(threads))),
        ("threadpool", Box::new(threadpool::ThreadPool::new(threads))),
        (
            "rayon",
            Box::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("rayon starts"),
            ),
        ),
        ("crossbeam", Box::new(CrossbeamPool::new(threads))),
    ]
}

/// Criterion's throughput of `batch` (one batch of `JOBS` jobs) for every pool and thread count.
fn throughput(c: &mut Criterion, workload: &str, batch: fn(&dyn Submit)) {
    let mut group = c.benchmark_group(workload);
    group.throughput(Throughput::Elements(JOBS as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for threads in THREADS {
        for (name, pool) in pools(threads) {
            group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, _| {
                b.iter(|| batch(pool.as_ref()));
            });
        }
    }
    group.finish();
}

fn empty_jobs(c: &mut Criterion) {
    throughput(c, "empty", |pool| pool.batch(false));
}

fn empty_unshared_jobs(c: &mut Criterion) {
    throughput(c, "empty-unshared", |pool| pool.unshared_batch());
}

fn microsecond_jobs(c: &mut Criterion) {
    throughput(c, "1us", |pool| pool.batch(true));
}

/// Wake-up latency is measured by hand: each sample needs an idle gap that must not count, and
/// criterion sizes its runs by the counted time alone. Prints median and 90th percentile.
fn wakeup_table() {
    const SAMPLES: usize = 300;
    println!("wakeup latency: one job to an idle pool, {SAMPLES} samples each");
    println!(
        "{:<12} {:>8} {:>12} {:>12}",
        "pool", "threads", "median", "p90"
    );
    for threads in THREADS {
        for (name, pool) in pools(threads) {
            let mut samples: Vec<Duration> = (0..SAMPLES).map(|_| pool.wakeup()).collect();
            samples.sort_unstable();
            println!(
                "{name:<12} {threads:>8} {:>12?} {:>12?}",
                samples[SAMPLES / 2],
                samples[SAMPLES * 9 / 10]
            );
        }
    }
}

/// Nanoseconds of CPU time this process has used so far, over all its threads.
fn process_cpu_ns() -> u128 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    u128::try_from(now.tv_sec).expect("CPU time is not negative") * 1_000_000_000
        + u128::try_from(now.tv_nsec).expect("CPU time is not negative")
}

/// The job body of the `1us` workload alone, on this thread: nanoseconds per call.
fn job_body_ns() -> f64 {
    const CALLS: u32 = 1_000_000;
    let start = Instant::now();
    for _ in 0..CALLS {
        spin_one_microsecond();
    }
    start.elapsed().as_nanos() as f64 / f64::from(CALLS)
}

/// Throughput and CPU time per job of the `1us` workload, per pool and thread count. The CPU
/// time is the whole process's (the submitter, the workers, and the other pools' idle
/// threads), so CPU per job minus the job body is what moving and waiting for a job cost.
fn cpu_table() {
    const MEASURE: Duration = Duration::from_secs(2);
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "cpu per job: 1 us jobs, {} s per pool, on {cpus} CPU(s); the job body alone takes {:.0} ns",
        MEASURE.as_secs(),
        job_body_ns()
    );
    println!(
        "{:<12} {:>8} {:>12} {:>12} {:>8}",
        "pool", "threads", "M jobs/s", "CPU ns/job", "CPU"
    );
    for threads in THREADS {
        for (name, pool) in pools(threads) {
            pool.batch(true); // Warm up: threads started, caches and queues in use.
            let (cpu_before, started) = (process_cpu_ns(), Instant::now());
            let mut jobs = 0u32;
            while started.elapsed() < MEASURE {
                pool.batch(true);
                jobs += u32::try_from(JOBS).expect("a batch fits in a u32");
            }
            let wall = started.elapsed().as_secs_f64();
            let cpu = (process_cpu_ns() - cpu_before) as f64;
            println!(
                "{name:<12} {threads:>8} {:>12.2} {:>12.0} {:>7.0}%",
                f64::from(jobs) / wall / 1e6,
                cpu / f64::from(jobs),
                cpu / wall / 1e7
            );
        }
    }
}

criterion_group!(benches, empty_jobs, empty_unshared_jobs, microsecond_jobs);

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if filter.is_empty() || filter.iter().any(|f| "wakeup".contains(f.as_str())) {
        wakeup_table();
    }
    if filter.is_empty() || filter.iter().any(|f| "cpu".contains(f.as_str())) {
        cpu_table();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
