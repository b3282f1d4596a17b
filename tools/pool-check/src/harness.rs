//! The test file the tool writes into the scratch copy: one `webpool::check_pool!` call, its
//! keys from the flags. A flag is a Rust closure, or the name of a preset below.

/// A named shape for one of `check_pool!`'s keys.
pub struct Preset {
    /// The name the flag takes.
    pub name: &'static str,
    /// The closure, `{crate}` standing for the library's crate name; `None` is the book's
    /// default (the key is left out).
    pub closure: Option<&'static str>,
    /// One line for `--help`.
    pub about: &'static str,
}

/// `--new` presets: how to build a pool of `size` workers.
pub const NEW: &[Preset] = &[
    Preset {
        name: "new",
        closure: None,
        about: "`Type::new(size)` (the book's; the default)",
    },
    Preset {
        name: "try-new",
        closure: Some("|size| <Pool>::new(size).unwrap()"),
        about: "`Type::new(size).unwrap()` (a `new` that returns a Result)",
    },
    Preset {
        name: "new-u32",
        closure: Some("|size| <Pool>::new(size as u32)"),
        about: "`Type::new(size as u32)` (scoped_threadpool's)",
    },
    Preset {
        name: "builder",
        closure: Some("|size| {crate}::Builder::new().num_threads(size).build()"),
        about: "`crate::Builder::new().num_threads(size).build()` (threadpool's builder)",
    },
];

/// `--execute` presets: how to submit a job (a `Box<dyn FnOnce() + Send>`).
pub const EXECUTE: &[Preset] = &[
    Preset {
        name: "execute",
        closure: None,
        about: "`pool.execute(job)` (the book's; the default)",
    },
    Preset {
        name: "try-execute",
        closure: Some("|pool, job| { pool.execute(job).unwrap(); }"),
        about: "`pool.execute(job).unwrap()` (an `execute` that returns a Result)",
    },
    Preset {
        name: "spawn",
        closure: Some("|pool, job| { pool.spawn(job); }"),
        about: "`pool.spawn(job)`, its return value dropped",
    },
];

/// `--shutdown` presets: how the pool is shut down at the end of each check.
pub const SHUTDOWN: &[Preset] = &[
    Preset {
        name: "drop",
        closure: None,
        about: "drop the pool (the book's; the default)",
    },
    Preset {
        name: "join",
        closure: Some("|pool| { pool.join(); }"),
        about: "`pool.join()`, then drop it (threadpool's)",
    },
    Preset {
        name: "shutdown",
        closure: Some("|pool| { pool.shutdown(); }"),
        about: "`pool.shutdown()`, then drop it",
    },
];

/// `--join` presets: how to wait for the jobs submitted so far (the card then runs its join
/// checks: `join` returns only after they ran; two threads joining at once both return).
pub const JOIN: &[Preset] = &[
    Preset {
        name: "none",
        closure: None,
        about: "the pool has no join (the default; the join checks read n/a)",
    },
    Preset {
        name: "join",
        closure: Some("|pool| { pool.join(); }"),
        about: "`pool.join()` (threadpool's, workerpool's)",
    },
];

/// `--scoped` presets: how to open one scope on `&mut pool` and submit jobs into it (the card
/// then runs every scenario inside scopes, and checks the scope's own contract).
pub const SCOPED: &[Preset] = &[Preset {
    name: "scoped",
    closure: Some("|pool, body| pool.scoped(|scope| body(&|job| scope.execute(job)))"),
    about: "`pool.scoped(|scope| scope.execute(job))` (scoped_threadpool's)",
}];

/// The `--help` text listing `presets`.
pub fn help(presets: &[Preset]) -> String {
    presets
        .iter()
        .map(|preset| format!("{}: {}", preset.name, preset.about))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The closure a flag's `value` stands for: a preset's (`None` for the default), else `value`
/// itself, which must be a Rust expression.
///
/// # Errors
///
/// If `value` is neither a preset nor an expression.
pub fn resolve(
    flag: &str,
    value: &str,
    presets: &[Preset],
    lib_name: &str,
) -> Result<Option<String>, String> {
    if let Some(preset) = presets.iter().find(|preset| preset.name == value) {
        return Ok(preset
            .closure
            .map(|closure| closure.replace("{crate}", lib_name)));
    }
    syn::parse_str::<syn::Expr>(value).map_err(|err| {
        let names: Vec<&str> = presets.iter().map(|preset| preset.name).collect();
        format!(
            "--{flag} {value:?}: not a preset ({}) nor a Rust expression: {err}",
            names.join(", ")
        )
    })?;
    Ok(Some(value.to_owned()))
}

/// The harness's text: `check_pool!` on `pool_type`, with the keys given (`new`, `execute`,
/// `shutdown`, in the macro's order). `<Pool>` in a key stands for the pool's type.
pub fn text(pool_type: &str, lib_name: &str, edition: &str, keys: &[(&str, String)]) -> String {
    let mut out = String::from(
        "//! Written by cargo pool-check: the check card of the pool, run with\n\
         //! `RUSTFLAGS=\"--cfg loom\" cargo test --release --test pool_check`.\n\
         #![cfg(loom)]\n\n",
    );
    if edition == "2015" {
        out.push_str(&format!(
            "extern crate {lib_name};\nextern crate webpool;\n\n"
        ));
    }
    out.push_str(&format!("webpool::check_pool!(\n    {pool_type},\n"));
    for (key, closure) in keys {
        let closure = closure.replace("<Pool>", &format!("<{pool_type}>"));
        out.push_str(&format!("    {key} = {closure},\n"));
    }
    out.push_str(");\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_expressions() {
        assert_eq!(resolve("shutdown", "drop", SHUTDOWN, "tp"), Ok(None));
        assert_eq!(
            resolve("new", "builder", NEW, "threadpool"),
            Ok(Some(
                "|size| threadpool::Builder::new().num_threads(size).build()".into()
            ))
        );
        assert_eq!(
            resolve("shutdown", "|p| p.stop()", SHUTDOWN, "tp"),
            Ok(Some("|p| p.stop()".into()))
        );
        let err = resolve("shutdown", "jion(", SHUTDOWN, "tp").unwrap_err();
        assert!(
            err.starts_with("--shutdown \"jion(\": not a preset (drop, join, shutdown)"),
            "{err}"
        );
    }

    #[test]
    fn the_harness_is_one_check_pool_call() {
        assert_eq!(
            text(
                "threadpool::ThreadPool",
                "threadpool",
                "2015",
                &[
                    ("new", "|size| <Pool>::new(size).unwrap()".into()),
                    ("shutdown", "|pool| { pool.join(); }".into())
                ]
            ),
            "//! Written by cargo pool-check: the check card of the pool, run with\n\
             //! `RUSTFLAGS=\"--cfg loom\" cargo test --release --test pool_check`.\n\
             #![cfg(loom)]\n\n\
             extern crate threadpool;\nextern crate webpool;\n\n\
             webpool::check_pool!(\n    threadpool::ThreadPool,\n    \
             new = |size| <threadpool::ThreadPool>::new(size).unwrap(),\n    \
             shutdown = |pool| { pool.join(); },\n);\n"
        );
    }
}
