//! The report card as a user reads it: each test runs a card in a child process (this binary,
//! one `#[ignore]`d subject test), reads what it printed, and checks the lines a user relies
//! on: the verdicts, the counterexample, the replay command (which it then runs), and the
//! messages for pools the checker cannot check (a `new` that panics, a pool on `std::thread`,
//! an `execute` that never returns).
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release -p webpool-verdicts --test card`.
#![cfg(loom)]

use std::process::{Command, Output};

use webpool::check::run_card;

/// Runs the `#[ignore]`d subject test `test` of this binary as a user's `cargo test` would,
/// with `env` set, and returns its output.
fn card(test: &str, env: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("the path of this test binary");
    Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            test,
            "--nocapture",
            "--test-threads=1",
        ])
        .env_remove("WEBPOOL_CHECK")
        .env_remove("WEBPOOL_CHECK_REPLAY")
        .env_remove("WEBPOOL_CHECK_REQUIRE")
        .envs(env.iter().copied())
        .output()
        .expect("this test binary runs again")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts that `text` has a line starting with `prefix` (after trimming), and returns it.
fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .map(str::trim)
        .find(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{text}"))
}

// ===== the subjects (ignored: each fails by design, and runs only as a child) =====

mod subjects {
    use super::run_card;

    webpool::book_pool!(Final, book_final::ThreadPool);

    #[test]
    #[ignore = "fails by design; run by the card tests"]
    fn book_final() {
        run_card::<Final>("book-final", concat!(module_path!(), "::book_final")).assert_all_pass();
    }

    /// A pool whose `new` panics.
    pub struct PanicsInNew;

    impl PanicsInNew {
        pub fn new(size: usize) -> PanicsInNew {
            panic!("expected panic: cannot start {size} workers");
        }

        pub fn execute<F: FnOnce() + Send + 'static>(&self, job: F) {
            job();
        }
    }

    webpool::book_pool!(Panicky, PanicsInNew);

    #[test]
    #[ignore = "fails by design; run by the card tests"]
    fn panics_in_new() {
        run_card::<Panicky>("panics-in-new", concat!(module_path!(), "::panics_in_new"))
            .assert_all_pass();
    }

    /// The book's final pool with the import swap forgotten: std's threads and channel.
    pub struct OnStdThreads {
        sender: Option<std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>>,
        workers: Vec<std::thread::JoinHandle<()>>,
    }

    impl OnStdThreads {
        pub fn new(size: usize) -> OnStdThreads {
            let (sender, receiver) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
            let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
            let workers = (0..size)
                .map(|_| {
                    let receiver = std::sync::Arc::clone(&receiver);
                    std::thread::spawn(move || loop {
                        let message = receiver.lock().unwrap().recv();
                        match message {
                            // A job touches loom's state, which panics on this thread: only
                            // this thread ends, and the check has already failed.
                            Ok(job) => {
                                drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)))
                            }
                            Err(_) => break,
                        }
                    })
                })
                .collect();
            OnStdThreads {
                sender: Some(sender),
                workers,
            }
        }

        pub fn execute<F: FnOnce() + Send + 'static>(&self, job: F) {
            let sender = self.sender.as_ref().expect("alive until dropped");
            sender.send(Box::new(job)).unwrap();
        }
    }

    impl Drop for OnStdThreads {
        fn drop(&mut self) {
            drop(self.sender.take());
            for worker in self.workers.drain(..) {
                let _ = worker.join();
            }
        }
    }

    webpool::book_pool!(Std, OnStdThreads);

    #[test]
    #[ignore = "fails by design; run by the card tests"]
    fn on_std_threads() {
        run_card::<Std>(
            "on-std-threads",
            concat!(module_path!(), "::on_std_threads"),
        )
        .assert_all_pass();
    }

    /// A pool whose `execute` waits for an answer no worker ever sends, on a std channel, so
    /// loom sees no deadlock: only the checker's watchdog can end it.
    pub struct NeverReturns {
        _worker: webpool::sync::thread::JoinHandle<()>,
    }

    impl NeverReturns {
        pub fn new(size: usize) -> NeverReturns {
            let _ = size;
            NeverReturns {
                _worker: webpool::sync::thread::spawn(|| {}),
            }
        }

        pub fn execute<F: FnOnce() + Send + 'static>(&self, job: F) {
            let (_keep_open, acknowledged) = std::sync::mpsc::channel::<()>();
            drop(job);
            let _ = acknowledged.recv();
        }
    }

    webpool::book_pool!(Stuck, NeverReturns);

    /// A worker that never blocks: it polls a slot under a lock until the pool closes. Correct,
    /// but every interleaving of its loop is as long as loom lets it run.
    type Slot = webpool::sync::Mutex<(Option<Box<dyn FnOnce() + Send>>, bool)>;

    pub struct Spinning {
        slot: webpool::sync::Arc<Slot>,
        worker: Option<webpool::sync::thread::JoinHandle<()>>,
    }

    impl Spinning {
        pub fn new(size: usize) -> Spinning {
            let _ = size;
            let slot: webpool::sync::Arc<Slot> =
                webpool::sync::Arc::new(webpool::sync::Mutex::new((None, false)));
            let mine = webpool::sync::Arc::clone(&slot);
            let worker = webpool::sync::thread::spawn(move || loop {
                let (job, closed) = {
                    let mut slot = mine.lock().unwrap();
                    (slot.0.take(), slot.1)
                };
                match job {
                    Some(job) => job(),
                    None if closed => break,
                    None => {}
                }
            });
            Spinning {
                slot,
                worker: Some(worker),
            }
        }

        pub fn execute<F: FnOnce() + Send + 'static>(&self, job: F) {
            loop {
                let mut slot = self.slot.lock().unwrap();
                if slot.0.is_none() {
                    slot.0 = Some(Box::new(job));
                    return;
                }
            }
        }
    }

    impl Drop for Spinning {
        fn drop(&mut self) {
            self.slot.lock().unwrap().1 = true;
            if let Some(worker) = self.worker.take() {
                worker.join().unwrap();
            }
        }
    }

    webpool::book_pool!(Spins, Spinning);

    #[test]
    #[ignore = "run by the card tests"]
    fn spinning() {
        run_card::<Spins>("spinning", concat!(module_path!(), "::spinning")).assert_all_pass();
    }

    webpool::book_pool!(Respawning, super::survivors::Pool<true>);

    #[test]
    #[ignore = "run by the card tests"]
    fn respawning() {
        run_card::<Respawning>("respawning", concat!(module_path!(), "::respawning"))
            .assert_all_pass();
    }

    webpool::book_pool!(CheckedDrop, super::survivors::Pool<false>);

    #[test]
    #[ignore = "fails by design; run by the card tests"]
    fn checked_drop() {
        run_card::<CheckedDrop>("checked-drop", concat!(module_path!(), "::checked_drop"))
            .assert_all_pass();
    }

    #[test]
    #[ignore = "fails by design; run by the card tests"]
    fn never_returns() {
        run_card::<Stuck>("never-returns", concat!(module_path!(), "::never_returns"))
            .assert_all_pass();
    }
}

/// The book's pool, made to survive a job's panic as threadpool's does: a guard on each
/// worker's stack starts a new worker when a panic unwinds it (`RESPAWN`), and `Drop` closes
/// the channel and joins every worker, replacements included, ignoring the dead ones. Without
/// `RESPAWN` a job's panic costs the pool its worker, and `Drop` re-raises it, but never while
/// its owner unwinds (the card's fix for `drop_while_unwinding`).
mod survivors {
    use webpool::sync::{mpsc, thread, Arc, Mutex};

    type Job = Box<dyn FnOnce() + Send + 'static>;

    pub struct Pool<const RESPAWN: bool> {
        sender: Option<mpsc::Sender<Job>>,
        shared: Arc<Shared>,
    }

    struct Shared {
        receiver: Mutex<mpsc::Receiver<Job>>,
        /// Every worker started and not yet joined, replacements included.
        workers: Mutex<Vec<thread::JoinHandle<()>>>,
    }

    impl<const RESPAWN: bool> Pool<RESPAWN> {
        pub fn new(size: usize) -> Self {
            let (sender, receiver) = mpsc::channel();
            let shared = Arc::new(Shared {
                receiver: Mutex::new(receiver),
                workers: Mutex::new(Vec::new()),
            });
            for _ in 0..size {
                start_worker::<RESPAWN>(&shared);
            }
            Pool {
                sender: Some(sender),
                shared,
            }
        }

        pub fn execute<F: FnOnce() + Send + 'static>(&self, job: F) {
            let sender = self.sender.as_ref().expect("alive until dropped");
            sender.send(Box::new(job)).unwrap();
        }
    }

    fn start_worker<const RESPAWN: bool>(shared: &Arc<Shared>) {
        let mine = Arc::clone(shared);
        let worker = thread::spawn(move || {
            let _sentinel = Sentinel::<RESPAWN>(&mine);
            loop {
                let message = mine.receiver.lock().unwrap().recv();
                match message {
                    Ok(job) => job(),
                    Err(_) => break,
                }
            }
        });
        shared.workers.lock().unwrap().push(worker);
    }

    /// Starts a replacement when its worker's stack unwinds.
    struct Sentinel<'a, const RESPAWN: bool>(&'a Arc<Shared>);

    impl<const RESPAWN: bool> Drop for Sentinel<'_, RESPAWN> {
        fn drop(&mut self) {
            if RESPAWN && thread::panicking() {
                start_worker::<RESPAWN>(self.0);
            }
        }
    }

    impl<const RESPAWN: bool> Drop for Pool<RESPAWN> {
        fn drop(&mut self) {
            drop(self.sender.take());
            loop {
                let next = self.shared.workers.lock().unwrap().pop();
                let Some(worker) = next else { break };
                let ended = worker.join();
                // A pool that replaces its dead workers has nothing to report; the other
                // re-raises a worker's panic, but only when its owner is not unwinding.
                if !RESPAWN && !thread::panicking() {
                    ended.unwrap();
                }
            }
        }
    }
}

/// The macro as a user writes it, for a pool with a builder and a `Result` from `execute`:
/// `webpool::ThreadPool` passes every check.
mod builder_form {
    webpool::check_pool!(
        webpool::ThreadPool,
        new = |size| webpool::Builder::new()
            .threads(size)
            .queue_capacity(2)
            .build()
            .expect("a small pool starts"),
        execute = |pool, job| pool.execute(job).expect("the pool is open"),
    );
}

// ===== the tests =====

#[test]
fn the_book_s_final_pool_gets_its_card_with_a_trace_and_a_replay() {
    let output = card("subjects::book_final", &[]);
    let text = stderr(&output);
    assert!(!output.status.success(), "a failing card fails the test");
    line(
        &text,
        "webpool check: book-final (7 checks under loom, search)",
    );
    line(&text, "ok     rendezvous");
    line(&text, "ok     one_job_then_drop");
    line(&text, "FAILS  panicking_job");
    line(
        &text,
        "loom saw: Drop returned and job B never ran: job A's panic cost the pool its only worker",
    );
    let fix = line(
        &text,
        "the fix: job A's panic ended worker 0 and nothing replaced it",
    );
    assert!(
        fix.ends_with("(webpool::demos::panic_kills_worker)"),
        "{fix}"
    );
    line(&text, "design backlog_is_bounded");
    line(
        &text,
        "unbounded: all 3 jobs were accepted while the only worker was blocked",
    );
    line(&text, "limit  waiting_jobs");
    line(
        &text,
        "webpool check: book-final: 3 of 7 checks passed, 2 failed, 1 design finding",
    );
    // The counterexample: numbered steps with the book crate's file:line, and the end state.
    let spawn = line(&text, "1  main      new(1): spawns worker 0");
    let book = include_str!("../../book-final/src/lib.rs");
    let spawn_line = 1 + book
        .lines()
        .position(|l| l.contains("thread::spawn("))
        .expect("the book spawns its workers");
    assert!(
        spawn.ends_with(&format!("checks/book-final/src/lib.rs:{spawn_line}")),
        "the step names the line of the book's code: {spawn}"
    );
    line(&text, "at the end:");
    line(&text, "swimlane: ");
    assert!(
        text.contains("2 of 7 checks failed (panicking_job, drop_while_unwinding)"),
        "the test's own failure names the checks:\n{text}"
    );
    let steps = text
        .lines()
        .filter(|l| l.trim_start().starts_with(char::is_numeric))
        .count();
    assert!(
        steps > 0 && steps < 3 * 40,
        "traces stay short: {steps} step lines"
    );
}

#[test]
fn the_replay_command_reruns_exactly_the_failing_interleaving() {
    let text = stderr(&card("subjects::book_final", &[]));
    let replay = line(&text, "replay: WEBPOOL_CHECK=panicking_job ");
    let checkpoint = replay
        .split_whitespace()
        .find_map(|word| word.strip_prefix("WEBPOOL_CHECK_REPLAY="))
        .expect("the command names the checkpoint");
    assert!(
        std::path::Path::new(checkpoint).exists(),
        "{checkpoint} was written"
    );
    let searched = trace_of(&text, "FAILS  panicking_job");

    let replayed = stderr(&card(
        "subjects::book_final",
        &[
            ("WEBPOOL_CHECK", "panicking_job"),
            ("WEBPOOL_CHECK_REPLAY", checkpoint),
        ],
    ));
    line(
        &replayed,
        "webpool check: book-final (1 checks under loom, replay)",
    );
    line(&replayed, "FAILS  panicking_job");
    line(
        &replayed,
        "loom saw: Drop returned and job B never ran: job A's panic cost the pool its only worker \
         (interleaving 1",
    );
    assert_eq!(trace_of(&replayed, "FAILS  panicking_job"), searched);
}

#[test]
fn a_replay_file_of_another_test_binary_is_refused() {
    let text = stderr(&card(
        "subjects::book_final",
        &[("WEBPOOL_CHECK", "panicking_job")],
    ));
    let replay = line(&text, "replay: WEBPOOL_CHECK=panicking_job ");
    let checkpoint = replay
        .split_whitespace()
        .find_map(|word| word.strip_prefix("WEBPOOL_CHECK_REPLAY="))
        .expect("the command names the checkpoint");
    // The same file, as if another crate's test binary of the same name had recorded it.
    let foreign = format!("{checkpoint}.foreign.path");
    std::fs::copy(checkpoint, &foreign).expect("the checkpoint can be copied");
    std::fs::write(format!("{foreign}.binary"), "pool_check-0123456789abcdef")
        .expect("the copy's binary can be named");
    let output = card(
        "subjects::book_final",
        &[
            ("WEBPOOL_CHECK", "panicking_job"),
            ("WEBPOOL_CHECK_REPLAY", foreign.as_str()),
        ],
    );
    let refused = stderr(&output);
    assert!(!output.status.success());
    assert!(
        refused.contains(
            "was recorded by the test binary pool_check-0123456789abcdef, not by this one"
        ),
        "{refused}"
    );
    assert!(
        !refused.contains("FAILS"),
        "nothing was replayed:\n{refused}"
    );
}

#[test]
fn a_pool_loom_cannot_finish_is_undecided_not_failed() {
    let output = card(
        "subjects::spinning",
        &[("WEBPOOL_CHECK", "one_job_then_drop")],
    );
    let text = stderr(&output);
    assert!(output.status.success(), "no verdict is no failure:\n{text}");
    line(&text, "??     one_job_then_drop");
    line(
        &text,
        "undecided: one interleaving took more steps than loom allows",
    );
    line(
        &text,
        "webpool check: spinning: 0 of 1 checks passed, 0 failed, 1 undecided",
    );
    assert!(!text.contains("FAILS"), "{text}");
}

#[test]
fn a_pool_that_replaces_a_dead_worker_loses_nothing_and_passes() {
    let output = card(
        "subjects::respawning",
        &[(
            "WEBPOOL_CHECK",
            "panicking_job,drop_while_unwinding,one_job_then_drop",
        )],
    );
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    line(&text, "ok     panicking_job");
    line(&text, "ok     drop_while_unwinding");
    line(&text, "ok     one_job_then_drop");
}

#[test]
fn the_cards_fix_for_drop_while_unwinding_passes_it_whatever_else_fails() {
    let output = card(
        "subjects::checked_drop",
        &[("WEBPOOL_CHECK", "panicking_job,drop_while_unwinding")],
    );
    let text = stderr(&output);
    assert!(!output.status.success(), "{text}");
    // The checks are independent: the worker a panic costs is panicking_job's failure alone.
    line(&text, "ok     drop_while_unwinding");
    line(&text, "FAILS  panicking_job");
    line(
        &text,
        "the fix: job A's panic ended worker 0 and nothing replaced it",
    );
}

#[test]
fn an_unbounded_queue_is_a_design_finding_unless_required() {
    let only = [("WEBPOOL_CHECK", "backlog_is_bounded")];
    let output = card("subjects::book_final", &only);
    let text = stderr(&output);
    assert!(
        output.status.success(),
        "a design finding fails nothing:\n{text}"
    );
    line(&text, "design backlog_is_bounded");
    line(
        &text,
        "unbounded: all 3 jobs were accepted while the only worker was blocked",
    );

    let required = [
        ("WEBPOOL_CHECK", "backlog_is_bounded"),
        ("WEBPOOL_CHECK_REQUIRE", "bounded"),
    ];
    let output = card("subjects::book_final", &required);
    let text = stderr(&output);
    assert!(!output.status.success(), "required, it fails:\n{text}");
    assert!(
        text.contains("1 of 1 checks failed (backlog_is_bounded)"),
        "{text}"
    );
}

/// The numbered steps printed under the card line starting with `head`.
fn trace_of(text: &str, head: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.trim().starts_with(head))
        .skip_while(|l| !l.trim().starts_with("how it happened:"))
        .skip(1)
        .take_while(|l| !l.trim().starts_with("swimlane:"))
        .map(|l| l.trim().to_owned())
        .collect()
}

#[test]
fn a_pool_that_panics_in_new_is_named_on_every_line() {
    let output = card(
        "subjects::panics_in_new",
        &[("WEBPOOL_CHECK", "rendezvous,panicking_job")],
    );
    let text = stderr(&output);
    assert!(!output.status.success());
    let said = line(
        &text,
        "loom saw: main panicked in new(2): expected panic: cannot start 2 workers",
    );
    assert!(said.contains("interleaving 1"), "{said}");
    line(
        &text,
        "loom saw: main panicked in new(1): expected panic: cannot start 1 workers",
    );
}

#[test]
fn a_pool_on_std_threads_is_refused_not_passed() {
    let output = card(
        "subjects::on_std_threads",
        &[("WEBPOOL_CHECK", "one_job_then_drop")],
    );
    let text = stderr(&output);
    assert!(!output.status.success());
    line(&text, "FAILS  one_job_then_drop");
    // Which of two diagnoses comes first depends on the OS scheduler (the std worker may
    // touch loom's types before the first `execute` returns); both name the fix.
    let said = line(&text, "loom saw: ");
    assert!(
        said.contains("std::thread") && said.contains("webpool::sync::thread"),
        "{said}"
    );
    assert!(
        !text.contains("replay: "),
        "nothing outside loom replays:\n{text}"
    );
}

#[test]
fn an_execute_that_never_returns_is_reported_by_the_watchdog() {
    let output = card(
        "subjects::never_returns",
        &[
            ("WEBPOOL_CHECK", "one_job_then_drop"),
            ("WEBPOOL_CHECK_TIMEOUT", "3"),
        ],
    );
    let text = stderr(&output);
    assert!(!output.status.success());
    line(&text, "FAILS  one_job_then_drop");
    line(
        &text,
        "loom saw: no verdict after 3s (interleaving 1); main is still in execute(job A)",
    );
    assert!(!text.contains("replay: "), "a hang has no replay:\n{text}");
}

#[test]
fn an_unknown_check_name_is_a_clear_error() {
    let output = card("subjects::book_final", &[("WEBPOOL_CHECK", "rendezvuos")]);
    let text = stderr(&output);
    assert!(!output.status.success());
    assert!(
        text.contains(
            "WEBPOOL_CHECK names no check \"rendezvuos\"; the checks are: one_job_then_drop, \
             rendezvous,"
        ),
        "{text}"
    );
}
