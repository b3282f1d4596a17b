//! The rewrite on small snippets: each asserts the exact text out, that no line was added or
//! removed, and that every line with nothing to rewrite is byte for byte the same.

use super::{rewrite, Finding, Severity};

/// Rewrites `input`, asserts the result is `expected` and that the rewrite touched only lines
/// with a sync path; returns the findings.
#[track_caller]
fn rewrites_to(input: &str, expected: &str) -> Vec<Finding> {
    let rewritten = rewrite(input).expect("the snippet parses");
    assert_eq!(rewritten.text, expected);
    assert_eq!(
        input.split('\n').count(),
        rewritten.text.split('\n').count(),
        "a line was added or removed"
    );
    // Inside a `use` item a group's prefix may move into its children; elsewhere only a line
    // with a sync-looking word may change.
    let mut in_use = false;
    for (before, after) in input.split('\n').zip(rewritten.text.split('\n')) {
        in_use |= before.trim_start().starts_with("use ");
        let could_change = [
            "std",
            "core",
            "alloc",
            "crossbeam",
            "parking_lot",
            "sync",
            "thread",
        ]
        .iter()
        .any(|word| before.contains(word));
        if !could_change && !in_use {
            assert_eq!(before, after, "a line with no sync path changed");
        }
        in_use &= !before.contains(';');
    }
    syn::parse_file(&rewritten.text).expect("the rewritten text parses");
    rewritten.findings
}

/// The findings of `input` as `line:column: message` lines (warnings marked).
fn findings(input: &str) -> Vec<String> {
    rewrite(input)
        .expect("the snippet parses")
        .findings
        .iter()
        .map(|f| {
            let level = match f.severity {
                Severity::Error => "",
                Severity::Warning => "warning: ",
            };
            format!("{}:{}: {level}{}", f.line, f.column, f.message)
        })
        .collect()
}

#[test]
fn the_books_import_becomes_the_shims() {
    let found = rewrites_to(
        "use std::{\n    sync::{mpsc, Arc, Mutex},\n    thread,\n};\n\nfn f() {}\n",
        "use {\n    webpool::sync::{mpsc, Arc, Mutex},\n    webpool::sync::thread,\n};\n\nfn f() {}\n",
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn linear_use_trees() {
    rewrites_to(
        "use std::sync::{mpsc, Arc, Mutex};",
        "use webpool::sync::{mpsc, Arc, Mutex};",
    );
    rewrites_to("use std::thread;", "use webpool::sync::thread;");
    rewrites_to(
        "use std::thread::{self, JoinHandle};",
        "use webpool::sync::thread::{self, JoinHandle};",
    );
    rewrites_to(
        "use std::sync::Arc as Shared;",
        "use webpool::sync::Arc as Shared;",
    );
    rewrites_to("use std::thread as t;", "use webpool::sync::thread as t;");
    rewrites_to("pub use std::sync::*;", "pub use webpool::sync::*;");
    rewrites_to(
        "use std::sync::atomic::{AtomicUsize, Ordering::{self, SeqCst}};",
        "use webpool::sync::atomic::{AtomicUsize, Ordering::{self, SeqCst}};",
    );
    rewrites_to("use ::std::sync::Arc;", "use ::webpool::sync::Arc;");
    rewrites_to(
        "use core::sync::atomic::AtomicBool;",
        "use webpool::sync::atomic::AtomicBool;",
    );
    rewrites_to("use alloc::sync::Arc;", "use webpool::sync::Arc;");
}

#[test]
fn mixed_groups_move_the_prefix_into_each_child() {
    rewrites_to(
        "use std::{collections::HashMap, sync::Arc, fmt};",
        "use {std::collections::HashMap, webpool::sync::Arc, std::fmt};",
    );
    rewrites_to(
        "use std::{self, thread::{self as t, spawn}, io::{self, Write}};",
        "use {std::{self}, webpool::sync::thread::{self as t, spawn}, std::io::{self, Write}};",
    );
    rewrites_to(
        "use ::std::{sync::{Arc, mpsc::{channel, Sender}}, time::Duration};",
        "use ::{webpool::sync::{Arc, mpsc::{channel, Sender}}, std::time::Duration};",
    );
    rewrites_to(
        "use {std::sync::Arc, std::fmt::Debug};",
        "use {webpool::sync::Arc, std::fmt::Debug};",
    );
    rewrites_to(
        "use std::{self as stdlib, thread};",
        "use {std::{self as stdlib}, webpool::sync::thread};",
    );
    // Nothing to rewrite under the group: left as written.
    rewrites_to(
        "use std::{collections::HashMap, fmt};",
        "use std::{collections::HashMap, fmt};",
    );
}

#[test]
fn comments_and_layout_inside_a_use_are_kept() {
    rewrites_to(
        "use std::{\n    // the queue\n    sync::mpsc, /* workers */ thread,\n    fmt, // printing\n};\n",
        "use {\n    // the queue\n    webpool::sync::mpsc, /* workers */ webpool::sync::thread,\n    std::fmt, // printing\n};\n",
    );
}

#[test]
fn paths_in_expressions_and_types() {
    rewrites_to(
        "fn f() { let a = std::sync::Arc::new(std::sync::Mutex::new(0)); }",
        "fn f() { let a = webpool::sync::Arc::new(webpool::sync::Mutex::new(0)); }",
    );
    rewrites_to(
        "fn f() { std::thread::spawn(|| {}).join().unwrap(); }",
        "fn f() { webpool::sync::thread::spawn(|| {}).join().unwrap(); }",
    );
    rewrites_to(
        "fn f() { let b = std::thread::Builder::new().name(\"w\".into()); }",
        "fn f() { let b = webpool::sync::thread::Builder::new().name(\"w\".into()); }",
    );
    rewrites_to(
        "struct S<T> { m: Arc<std::sync::Mutex<T>>, h: Vec<std::thread::JoinHandle<()>> }",
        "struct S<T> { m: Arc<webpool::sync::Mutex<T>>, h: Vec<webpool::sync::thread::JoinHandle<()>> }",
    );
    rewrites_to(
        "fn f() -> ::std::sync::Arc<::std::sync::atomic::AtomicUsize> { todo!() }",
        "fn f() -> ::webpool::sync::Arc<::webpool::sync::atomic::AtomicUsize> { todo!() }",
    );
    rewrites_to(
        "fn f(o: core::sync::atomic::Ordering) { core::sync::atomic::fence(o) }",
        "fn f(o: webpool::sync::atomic::Ordering) { webpool::sync::atomic::fence(o) }",
    );
    rewrites_to(
        "impl Drop for P { fn drop(&mut self) { if !std::thread::panicking() {} } }",
        "impl Drop for P { fn drop(&mut self) { if !webpool::sync::thread::panicking() {} } }",
    );
    rewrites_to(
        "fn f() { let _ = <std::sync::Arc<u8> as Clone>::clone; }",
        "fn f() { let _ = <webpool::sync::Arc<u8> as Clone>::clone; }",
    );
    rewrites_to(
        "fn f() { let (tx, rx) = std::sync::mpsc::channel::<Job>(); }",
        "fn f() { let (tx, rx) = webpool::sync::mpsc::channel::<Job>(); }",
    );
}

#[test]
fn spacing_inside_a_path_is_replaced_with_the_prefix_only() {
    rewrites_to(
        "fn f() { std :: thread :: yield_now ( ) ; }",
        "fn f() { webpool::sync::thread :: yield_now ( ) ; }",
    );
}

#[test]
fn unrelated_paths_and_text_are_untouched() {
    let input = "// std::sync::Arc in a comment\n/// std::thread::spawn in a doc\nfn f() {\n    let s = \"std::sync::Mutex\";\n    let t = my::sync::Arc::new(1);\n    let u = std::collections::HashMap::<u8, u8>::new();\n    let thread = 3; let sync = thread;\n}\n";
    let found = rewrites_to(input, input);
    assert!(found.is_empty());
}

#[test]
fn paths_inside_macros() {
    rewrites_to(
        "fn f() { let v = vec![std::thread::spawn(|| 1), ::std::thread::spawn(|| 2)]; }",
        "fn f() { let v = vec![webpool::sync::thread::spawn(|| 1), ::webpool::sync::thread::spawn(|| 2)]; }",
    );
    rewrites_to(
        "fn f() { println!(\"{:?} std::thread::current\", std::thread::current().id()); }",
        "fn f() { println!(\"{:?} std::thread::current\", webpool::sync::thread::current().id()); }",
    );
    rewrites_to(
        "macro_rules! shared { ($e:expr) => { std::sync::Arc::new(std::sync::Mutex::new($e)) }; }",
        "macro_rules! shared { ($e:expr) => { webpool::sync::Arc::new(webpool::sync::Mutex::new($e)) }; }",
    );
    rewrites_to(
        "m! { use std::sync::{Arc, Mutex}; use std::thread; }",
        "m! { use webpool::sync::{Arc, Mutex}; use webpool::sync::thread; }",
    );
}

#[test]
fn what_is_not_sound_inside_a_macro_is_left_alone() {
    let input = "fn f() {\n    let a = stringify!(std::thread::spawn);\n    m!($std::thread::spawn, x.std, a::std::sync::Arc);\n    let thread = vec![thread];\n}\n";
    let found = rewrites_to(input, input);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(
        findings("m! { use std::{sync::Arc, fmt}; }"),
        ["1:10: use std::{...} inside a macro: not rewritten (split the sync paths into a use of their own)"]
    );
}

#[test]
fn extern_crate_lines() {
    rewrites_to(
        "extern crate crossbeam_channel;\nextern crate std;\n",
        "use webpool::sync::crossbeam_channel;\nextern crate std;\n",
    );
    rewrites_to(
        "pub extern crate parking_lot as pl;",
        "pub use webpool::sync::parking_lot as pl;",
    );
    assert_eq!(
        findings("#[macro_use]\nextern crate crossbeam_channel;"),
        ["2:14: #[macro_use] extern crate crossbeam_channel: not rewritten; import its macros by path (`use crossbeam_channel::select;`)"]
    );
    assert_eq!(
        findings("extern crate crossbeam_utils;"),
        ["1:14: crossbeam_utils: synchronisation loom cannot see, and webpool's shim has no facade of it"]
    );
}

#[test]
fn crate_facades_are_rewritten_with_their_feature() {
    let input = "use crossbeam_channel::{bounded, Receiver};\nuse parking_lot::{Mutex, Condvar};\nfn f() { let (s, r) = crossbeam_channel::unbounded::<u8>(); crossbeam_channel::select! { recv(r) -> m => {} } }\n";
    let rewritten = rewrite(input).unwrap();
    assert_eq!(
        rewritten.text,
        "use webpool::sync::crossbeam_channel::{bounded, Receiver};\nuse webpool::sync::parking_lot::{Mutex, Condvar};\nfn f() { let (s, r) = webpool::sync::crossbeam_channel::unbounded::<u8>(); webpool::sync::crossbeam_channel::select! { recv(r) -> m => {} } }\n"
    );
    assert_eq!(
        rewritten.features.into_iter().collect::<Vec<_>>(),
        ["crossbeam-channel", "parking_lot"]
    );
    rewrites_to(
        "use crossbeam::channel::{self, Sender};",
        "use webpool::sync::crossbeam_channel::{self, Sender};",
    );
    rewrites_to(
        "use crossbeam::{channel::unbounded, utils::Backoff};",
        "use {webpool::sync::crossbeam_channel::unbounded, crossbeam::utils::Backoff};",
    );
    // A local variable that happens to be named like the crate is not a path to it.
    rewrites_to(
        "fn f(parking_lot: u8) -> u8 { parking_lot }",
        "fn f(parking_lot: u8) -> u8 { parking_lot }",
    );
}

#[test]
fn items_the_shim_lacks_are_named_at_their_place() {
    assert_eq!(
        findings("use std::sync::{Arc, Weak};\nfn f() {\n    std::thread::sleep_ms(1);\n    let r: std::sync::mpsc::RecvTimeoutError;\n    let l = std::sync::LazyLock::new(|| 1);\n}\n"),
        [
            "1:22: std::sync::Weak: not in webpool's shim (loom models no Weak)",
            "3:18: std::thread::sleep_ms: not in webpool's shim (deprecated; `sleep` is in the shim)",
            "4:29: std::sync::mpsc::RecvTimeoutError: not in webpool's shim (the shim's mpsc has no recv_timeout)",
            "5:24: std::sync::LazyLock: not in webpool's shim (loom models no LazyLock)",
        ]
    );
}

#[test]
fn items_reached_through_an_imported_module_are_checked() {
    assert_eq!(
        findings("use std::{sync::mpsc, thread as t};\nfn f() {\n    t::sleep_ms(1);\n    let e: mpsc::RecvTimeoutError;\n    mpsc::channel::<u8>();\n    println!(\"{:?}\", t::current());\n    vec![t::sleep_ms(2)];\n}\n"),
        [
            "3:8: std::thread::sleep_ms: not in webpool's shim (deprecated; `sleep` is in the shim)",
            "4:18: std::sync::mpsc::RecvTimeoutError: not in webpool's shim (the shim's mpsc has no recv_timeout)",
            "7:13: std::thread::sleep_ms: not in webpool's shim (deprecated; `sleep` is in the shim)",
        ]
    );
}

#[test]
fn crates_loom_cannot_see_are_named() {
    assert_eq!(
        findings("use flume::unbounded;\nuse crossbeam_deque::{Injector, Stealer};\nfn f() { let b = crossbeam_utils::Backoff::new(); futures::executor::block_on(async {}); }\n"),
        [
            "1:5: flume: synchronisation loom cannot see, and webpool's shim has no facade of it",
            "2:5: crossbeam_deque: synchronisation loom cannot see, and webpool's shim has no facade of it",
            "3:18: crossbeam_utils: synchronisation loom cannot see, and webpool's shim has no facade of it",
            "3:51: futures: synchronisation loom cannot see, and webpool's shim has no facade of it",
        ]
    );
}

#[test]
fn a_path_at_the_start_of_a_macro_input() {
    rewrites_to(
        "m!(::std::thread::spawn(f));",
        "m!(::webpool::sync::thread::spawn(f));",
    );
    rewrites_to(
        "m!(use ::std::thread;);",
        "m!(use ::webpool::sync::thread;);",
    );
}

#[test]
fn lazy_initialisation_crates_are_a_warning() {
    assert_eq!(
        findings("use once_cell::sync::Lazy;\nlazy_static::lazy_static! { static ref X: u8 = 0; }\n"),
        [
            "1:5: warning: once_cell: a one-time initialisation loom cannot see (its value outlives each explored interleaving)",
            "2:1: warning: lazy_static: a one-time initialisation loom cannot see (its value outlives each explored interleaving)",
        ]
    );
}

#[test]
fn what_loom_cannot_see_is_warned_about() {
    assert_eq!(
        findings("use std::cell::UnsafeCell;\nstatic mut COUNT: usize = 0;\nextern \"C\" { fn abort(); }\nfn f(p: *mut u8) {\n    unsafe { *p = 1; }\n    unsafe { abort() }\n}\nstd::thread_local! { static ID: u8 = 0; }\n"),
        [
            "1:5: warning: std::cell::UnsafeCell: loom cannot see its accesses (a race through it goes unreported)",
            "2:8: warning: static mut COUNT: loom cannot see its accesses (a race on it goes unreported)",
            "3:1: extern block: foreign code runs outside loom's model (FFI)",
            "5:5: warning: unsafe block: memory reached through raw pointers is invisible to loom",
            "8:1: warning: thread_local!: loom runs every model thread on one OS thread, so they all see one value",
        ]
    );
}

#[test]
fn a_glob_over_std_is_refused() {
    assert_eq!(
        findings("use std::*;"),
        ["1:10: use std::*: a glob over the whole crate; its sync and thread modules cannot be rewritten (import them by name)"]
    );
}

#[test]
fn byte_offsets_survive_a_bom_a_shebang_and_wide_characters() {
    rewrites_to(
        "\u{feff}// é ü 日本\nuse std::sync::Arc; fn ü() { let s = \"日本\"; std::thread::yield_now(); }\n",
        "\u{feff}// é ü 日本\nuse webpool::sync::Arc; fn ü() { let s = \"日本\"; webpool::sync::thread::yield_now(); }\n",
    );
    rewrites_to(
        "#!/usr/bin/env run-cargo-script\nuse std::thread;\n",
        "#!/usr/bin/env run-cargo-script\nuse webpool::sync::thread;\n",
    );
    rewrites_to(
        "#![allow(unused)]\r\nuse std::thread;\r\n",
        "#![allow(unused)]\r\nuse webpool::sync::thread;\r\n",
    );
}

#[test]
fn threadpools_own_imports() {
    // threadpool 1.8.1's lib.rs, as published.
    rewrites_to(
        "use std::fmt;\nuse std::sync::atomic::{AtomicUsize, Ordering};\nuse std::sync::mpsc::{channel, Receiver, Sender};\nuse std::sync::{Arc, Condvar, Mutex};\nuse std::thread;\n",
        "use std::fmt;\nuse webpool::sync::atomic::{AtomicUsize, Ordering};\nuse webpool::sync::mpsc::{channel, Receiver, Sender};\nuse webpool::sync::{Arc, Condvar, Mutex};\nuse webpool::sync::thread;\n",
    );
}

#[test]
fn unit_test_items_are_left_alone() {
    let input = "use std::thread;\n#[macro_use]\n#[cfg(test)]\nextern crate lazy_static;\n#[cfg(test)]\nmod tests {\n    use std::sync::Weak;\n    fn t() { std::thread::sleep_ms(1); }\n}\n";
    let found = rewrites_to(
        input,
        "use webpool::sync::thread;\n#[macro_use]\n#[cfg(test)]\nextern crate lazy_static;\n#[cfg(test)]\nmod tests {\n    use std::sync::Weak;\n    fn t() { std::thread::sleep_ms(1); }\n}\n",
    );
    assert!(found.is_empty(), "{found:?}");
}
