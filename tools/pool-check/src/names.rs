//! The one table of what the rewrite knows: which paths name a synchronisation module, what
//! they become in webpool's shim, which of their items the shim has, and which crates are
//! synchronisation loom cannot see. Everything else in the tool asks [`classify`].

/// Items of `std::sync` that `webpool::sync` has (the modules `mpsc` and `atomic` included).
pub const SYNC_ITEMS: &[&str] = &[
    "Arc",
    "Mutex",
    "MutexGuard",
    "Condvar",
    "WaitTimeoutResult",
    "mpsc",
    "atomic",
    "RwLock",
    "RwLockReadGuard",
    "RwLockWriteGuard",
    "Barrier",
    "BarrierWaitResult",
    "Once",
    "OnceLock",
    "LockResult",
    "PoisonError",
    "TryLockError",
    "TryLockResult",
];

/// Items of `std::thread` that `webpool::sync::thread` has.
pub const THREAD_ITEMS: &[&str] = &[
    "spawn",
    "Builder",
    "JoinHandle",
    "scope",
    "Scope",
    "ScopedJoinHandle",
    "park",
    "park_timeout",
    "current",
    "yield_now",
    "sleep",
    "panicking",
    "Thread",
    "ThreadId",
    "available_parallelism",
    "Result",
];

/// Items of `std::sync::mpsc` that `webpool::sync::mpsc` has.
pub const MPSC_ITEMS: &[&str] = &[
    "channel",
    "sync_channel",
    "Iter",
    "Receiver",
    "RecvError",
    "SendError",
    "Sender",
    "SyncSender",
    "TryRecvError",
    "TrySendError",
];

/// Items of `std::sync::atomic` that `webpool::sync::atomic` has (loom's atomics).
pub const ATOMIC_ITEMS: &[&str] = &[
    "AtomicBool",
    "AtomicI8",
    "AtomicI16",
    "AtomicI32",
    "AtomicI64",
    "AtomicIsize",
    "AtomicU8",
    "AtomicU16",
    "AtomicU32",
    "AtomicU64",
    "AtomicUsize",
    "AtomicPtr",
    "Ordering",
    "fence",
    "spin_loop_hint",
];

/// Why an item the shim lacks is missing, where there is more to say than "not in the shim".
const MISSING_REASONS: &[(&str, &str)] = &[
    ("Weak", "loom models no Weak"),
    ("LazyLock", "loom models no LazyLock"),
    ("OnceState", "loom models no Once::call_once_force"),
    ("Exclusive", "no loom model"),
    ("ReentrantLock", "no loom model"),
    ("mpmc", "no loom model"),
    ("sleep_ms", "deprecated; `sleep` is in the shim"),
    (
        "LocalKey",
        "thread-locals: loom runs every model thread on one OS thread",
    ),
    (
        "AccessError",
        "thread-locals: loom runs every model thread on one OS thread",
    ),
    ("RecvTimeoutError", "the shim's mpsc has no recv_timeout"),
    ("TryIter", "the shim's mpsc has no try_iter"),
    ("IntoIter", "the shim's mpsc has no into_iter"),
    ("compiler_fence", "loom models no compiler_fence"),
];

/// Crates whose synchronisation loom cannot see and the shim has no facade for, by the name
/// a path uses (`-` as `_`). A pool that uses one cannot be checked until it has a facade.
pub const UNSEEN_SYNC_CRATES: &[&str] = &[
    "crossbeam",
    "crossbeam_utils",
    "crossbeam_deque",
    "crossbeam_queue",
    "crossbeam_epoch",
    "flume",
    "spin",
    "futures",
    "futures_channel",
    "futures_util",
    "futures_executor",
    "tokio",
    "async_std",
    "async_channel",
    "event_listener",
    "once_cell",
    "lazy_static",
    "arc_swap",
    "rayon",
    "rayon_core",
    "kanal",
    "concurrent_queue",
    "atomic_waker",
    "parking",
];

/// Crates of [`UNSEEN_SYNC_CRATES`] that pools use for a global set up once, not for their
/// protocol: a warning, not a refusal (loom does not see the initialisation, and the value
/// outlives each explored interleaving).
pub const LAZY_INIT_CRATES: &[&str] = &["once_cell", "lazy_static"];

/// A crate the shim has a loom-backed facade of: the name a path uses, the facade's path, and
/// the webpool cargo feature that builds it.
pub struct Facade {
    /// The module path a rewritten path starts with.
    pub replacement: &'static str,
    /// webpool's cargo feature that provides it.
    pub feature: &'static str,
}

const CROSSBEAM_CHANNEL: Facade = Facade {
    replacement: "webpool::sync::crossbeam_channel",
    feature: "crossbeam-channel",
};

const PARKING_LOT: Facade = Facade {
    replacement: "webpool::sync::parking_lot",
    feature: "parking_lot",
};

/// What a path is, from the rewrite's point of view.
#[derive(Debug, PartialEq, Eq)]
pub enum Class {
    /// Not a synchronisation path: left as it is.
    Other,
    /// Its first `prefix_len` segments are replaced by `replacement`; `feature` is the
    /// webpool cargo feature the replacement needs, if any. `missing` is set when the item the
    /// path names is not in the shim (the path is still rewritten, and reported).
    Rewrite {
        prefix_len: usize,
        replacement: &'static str,
        feature: Option<&'static str>,
        missing: Option<Missing>,
    },
    /// The path starts a module that is synchronisation, but not yet far enough to tell which
    /// (`std` alone, before a `{` group): the group's children say.
    Undecided,
    /// A crate loom cannot see (see [`UNSEEN_SYNC_CRATES`]).
    Unseen { krate: String },
}

/// An item the shim lacks: its full path as written (`std::sync::Weak`) and why.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct Missing {
    /// The path up to the missing item, `::`-joined (`std::sync::Weak`).
    pub path: String,
    /// Why, in a few words.
    pub reason: String,
}

/// The standard library's crate names a sync path can start with.
fn is_std_root(name: &str) -> bool {
    matches!(name, "std" | "core" | "alloc")
}

/// Classifies the path `segments` (identifiers only, from its first segment).
pub fn classify(segments: &[&str]) -> Class {
    let Some(&first) = segments.first() else {
        return Class::Other;
    };
    if is_std_root(first) {
        let Some(&second) = segments.get(1) else {
            return Class::Undecided;
        };
        let (replacement, items, rest) = match second {
            "sync" => ("webpool::sync", SYNC_ITEMS, &segments[2..]),
            "thread" if first == "std" => ("webpool::sync::thread", THREAD_ITEMS, &segments[2..]),
            _ => return Class::Other,
        };
        return Class::Rewrite {
            prefix_len: 2,
            replacement,
            feature: None,
            missing: missing_item(&segments[..2], items, rest),
        };
    }
    if first == "crossbeam_channel" {
        return facade(1, &CROSSBEAM_CHANNEL);
    }
    if first == "parking_lot" {
        return facade(1, &PARKING_LOT);
    }
    if first == "crossbeam" {
        return match segments.get(1) {
            Some(&"channel") => facade(2, &CROSSBEAM_CHANNEL),
            None => Class::Undecided,
            Some(_) => Class::Unseen {
                krate: "crossbeam".to_owned(),
            },
        };
    }
    if UNSEEN_SYNC_CRATES.contains(&first) {
        return Class::Unseen {
            krate: first.to_owned(),
        };
    }
    Class::Other
}

fn facade(prefix_len: usize, facade: &'static Facade) -> Class {
    Class::Rewrite {
        prefix_len,
        replacement: facade.replacement,
        feature: Some(facade.feature),
        missing: None,
    }
}

/// The first item of `rest` (after the module path `module`) that the shim lacks, checking
/// one level into `mpsc` and `atomic`.
fn missing_item(module: &[&str], items: &[&str], rest: &[&str]) -> Option<Missing> {
    let &item = rest.first()?;
    if matches!(item, "self" | "*") {
        return None;
    }
    let mut path: Vec<&str> = module.to_vec();
    path.push(item);
    if !items.contains(&item) {
        return Some(missing(&path, item));
    }
    let inner = match item {
        "mpsc" => MPSC_ITEMS,
        "atomic" => ATOMIC_ITEMS,
        _ => return None,
    };
    let &sub = rest.get(1)?;
    if matches!(sub, "self" | "*") || inner.contains(&sub) {
        return None;
    }
    path.push(sub);
    Some(missing(&path, sub))
}

fn missing(path: &[&str], item: &str) -> Missing {
    let why = MISSING_REASONS
        .iter()
        .find(|(name, _)| *name == item)
        .map_or_else(String::new, |(_, why)| format!(" ({why})"));
    Missing {
        path: path.join("::"),
        reason: format!("not in webpool's shim{why}"),
    }
}

/// The module a use of `segments` imports, if it is one the shim replaces whole (`std::sync`,
/// `std::thread`, `std::sync::mpsc`, `std::sync::atomic`): later paths through its name are
/// checked item by item.
pub fn is_shim_module(segments: &[&str]) -> bool {
    match segments {
        [root, "sync"] => is_std_root(root),
        ["std", "thread"] => true,
        [root, "sync", "mpsc" | "atomic"] => is_std_root(root),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_sync_items_are_rewritten_and_missing_ones_named() {
        assert_eq!(
            classify(&["std", "sync", "Arc", "new"]),
            Class::Rewrite {
                prefix_len: 2,
                replacement: "webpool::sync",
                feature: None,
                missing: None
            }
        );
        let Class::Rewrite { missing, .. } = classify(&["std", "sync", "Weak"]) else {
            panic!("std::sync::Weak is a sync path");
        };
        assert_eq!(
            missing,
            Some(Missing {
                path: "std::sync::Weak".into(),
                reason: "not in webpool's shim (loom models no Weak)".into()
            })
        );
        let Class::Rewrite { missing, .. } = classify(&["std", "sync", "mpsc", "RecvTimeoutError"])
        else {
            panic!("std::sync::mpsc is a sync path");
        };
        assert_eq!(missing.unwrap().path, "std::sync::mpsc::RecvTimeoutError");
    }

    #[test]
    fn core_has_no_thread_and_other_std_modules_are_left_alone() {
        assert_eq!(classify(&["core", "thread", "spawn"]), Class::Other);
        assert_eq!(classify(&["std", "collections", "HashMap"]), Class::Other);
        assert_eq!(classify(&["std"]), Class::Undecided);
        assert_eq!(classify(&["my_crate", "sync", "Arc"]), Class::Other);
    }

    #[test]
    fn facades_and_unseen_crates() {
        assert!(matches!(
            classify(&["crossbeam", "channel", "unbounded"]),
            Class::Rewrite {
                prefix_len: 2,
                feature: Some("crossbeam-channel"),
                ..
            }
        ));
        assert_eq!(
            classify(&["crossbeam", "deque", "Worker"]),
            Class::Unseen {
                krate: "crossbeam".into()
            }
        );
        assert_eq!(
            classify(&["flume", "unbounded"]),
            Class::Unseen {
                krate: "flume".into()
            }
        );
    }
}
