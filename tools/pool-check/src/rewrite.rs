//! Rewrites one Rust source file's synchronisation paths to webpool's shim.
//!
//! syn parses the file only to *find* the paths and their byte ranges; the rewrite then edits
//! the source text at those ranges and nowhere else. Every other byte stays as the user wrote
//! it, and no edit adds or removes a line break, so each `file:line` a trace prints is a line
//! of the user's own file. What cannot be rewritten (an item the shim lacks, a crate loom
//! cannot see, FFI) and what loom cannot see (`static mut`, `UnsafeCell`, raw pointers) comes
//! back as [`Finding`]s with their line and column.

mod macros;
#[cfg(test)]
mod tests;
mod use_tree;

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use crate::names::{self, Class};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The check cannot be trusted, or will not build: the run stops unless `--force`.
    Error,
    /// Loom cannot see this; the check runs, the user is told.
    Warning,
}

/// Something the rewrite could not rewrite, or that loom cannot see, at a place in the file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Whether it stops the run.
    pub severity: Severity,
    /// What, in one line: `std::sync::Weak: not in webpool's shim (loom models no Weak)`.
    pub message: String,
}

/// A file's rewritten text and what the rewrite found.
#[derive(Debug)]
pub struct Rewritten {
    /// The source with its sync paths replaced.
    pub text: String,
    /// How many places were edited.
    pub edits: usize,
    /// webpool cargo features the rewritten paths need (`crossbeam-channel`, `parking_lot`).
    pub features: BTreeSet<&'static str>,
    /// What could not be rewritten, and what loom cannot see, in file order.
    pub findings: Vec<Finding>,
}

/// One replacement of a byte range of the source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

/// Rewrites `source`'s sync paths.
///
/// # Errors
///
/// If `source` is not Rust syn can parse (the file would not build either).
pub fn rewrite(source: &str) -> syn::Result<Rewritten> {
    let parsed = syn::parse_file(&blank_preamble(source))?;
    let mut rewriter = Rewriter::new(source);
    rewriter.aliases = use_tree::module_aliases(&parsed);
    rewriter.visit_file(&parsed);
    let Rewriter {
        edits,
        mut findings,
        features,
        ..
    } = rewriter;
    let count = edits.len();
    let text = apply(source, edits);
    findings.sort();
    findings.dedup();
    Ok(Rewritten {
        text,
        edits: count,
        features,
        findings,
    })
}

/// `source` with a byte-order mark and a `#!` line blanked to spaces of the same length: syn
/// strips them before parsing, which would shift every byte offset it reports.
fn blank_preamble(source: &str) -> String {
    let mut text = source.to_owned();
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        text = format!("   {rest}");
    }
    let body = text.trim_start_matches(' ');
    if body.starts_with("#!") && !body.trim_start_matches("#!").trim_start().starts_with('[') {
        let end = text.find('\n').unwrap_or(text.len());
        text.replace_range(..end, &" ".repeat(end));
    }
    text
}

/// `source` with `edits` applied. Edits never overlap: each replaces a range of its own.
fn apply(source: &str, mut edits: Vec<Edit>) -> String {
    edits.sort();
    edits.dedup();
    let mut text = String::with_capacity(source.len() + 32 * edits.len());
    let mut done = 0;
    for edit in edits {
        assert!(
            edit.start >= done,
            "overlapping edits at byte {}: a bug in the rewrite",
            edit.start
        );
        text.push_str(&source[done..edit.start]);
        text.push_str(&edit.text);
        done = edit.end;
    }
    text.push_str(&source[done..]);
    text
}

/// The visitor that finds what to edit and what to report.
struct Rewriter<'a> {
    source: &'a str,
    edits: Vec<Edit>,
    findings: Vec<Finding>,
    features: BTreeSet<&'static str>,
    /// Names a `use` bound to a module the shim replaces (`thread` for `use std::thread;`),
    /// with the module's path: paths through them are checked item by item.
    aliases: HashMap<String, Vec<String>>,
}

impl<'a> Rewriter<'a> {
    fn new(source: &'a str) -> Rewriter<'a> {
        Rewriter {
            source,
            edits: Vec::new(),
            findings: Vec::new(),
            features: BTreeSet::new(),
            aliases: HashMap::new(),
        }
    }

    fn edit(&mut self, range: Range<usize>, text: impl Into<String>) {
        self.edits.push(Edit {
            start: range.start,
            end: range.end,
            text: text.into(),
        });
    }

    fn report(&mut self, at: Span, severity: Severity, message: impl Into<String>) {
        let start = at.start();
        self.findings.push(Finding {
            line: start.line,
            column: start.column + 1,
            severity,
            message: message.into(),
        });
    }

    /// Records a rewrite's feature and reports its missing item, if any; `spans` are the
    /// path's segments, to place the report on the missing item.
    fn rewritten(&mut self, class: &Class, spans: &[Span]) {
        if let Class::Rewrite {
            feature, missing, ..
        } = class
        {
            self.features.extend(*feature);
            if let Some(missing) = missing {
                let depth = missing.path.matches("::").count();
                let at = spans.get(depth).or(spans.last()).copied();
                self.report(
                    at.unwrap_or_else(Span::call_site),
                    Severity::Error,
                    format!("{}: {}", missing.path, missing.reason),
                );
            }
        }
    }

    /// Reports a use of a crate loom cannot see.
    fn unseen(&mut self, at: Span, krate: &str) {
        if names::LAZY_INIT_CRATES.contains(&krate) {
            self.report(
                at,
                Severity::Warning,
                format!(
                    "{krate}: a one-time initialisation loom cannot see (its value outlives each \
                     explored interleaving)"
                ),
            );
        } else {
            self.report(
                at,
                Severity::Error,
                format!(
                    "{krate}: synchronisation loom cannot see, and webpool's shim has no facade \
                     of it"
                ),
            );
        }
    }

    /// Checks a path that starts with a name bound to a shim module (`thread::sleep_ms`).
    fn check_alias(&mut self, segments: &[String], spans: &[Span]) {
        let Some(module) = segments.first().and_then(|first| self.aliases.get(first)) else {
            return;
        };
        if segments.len() < 2 {
            return;
        }
        let mut full: Vec<String> = module.clone();
        full.extend(segments[1..].iter().cloned());
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        if let Class::Rewrite {
            missing: Some(missing),
            ..
        } = names::classify(&full)
        {
            let item = missing.path.rsplit("::").next().unwrap_or_default();
            let at = segments
                .iter()
                .position(|segment| segment == item)
                .and_then(|index| spans.get(index))
                .or(spans.last())
                .copied()
                .unwrap_or_else(Span::call_site);
            self.report(
                at,
                Severity::Error,
                format!("{}: {}", missing.path, missing.reason),
            );
        }
    }

    /// Warns about `UnsafeCell` named through `std::cell` or `core::cell`.
    fn check_unsafe_cell(&mut self, segments: &[String], at: Span) {
        if let [root, cell, item, ..] = segments {
            if matches!(root.as_str(), "std" | "core") && cell == "cell" && item == "UnsafeCell" {
                self.report(
                    at,
                    Severity::Warning,
                    format!(
                        "{root}::cell::UnsafeCell: loom cannot see its accesses (a race through \
                         it goes unreported)"
                    ),
                );
            }
        }
    }
}

impl<'ast> Visit<'ast> for Rewriter<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        // A `#[cfg(test)]` item is the crate's own unit tests (or their dependencies): not
        // compiled into the library the check links, so nothing in it is rewritten or reported.
        if !item_attrs(item).iter().any(is_cfg_test) {
            visit::visit_item(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        use_tree::rewrite_use(self, item);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let spans: Vec<Span> = path.segments.iter().map(|s| s.ident.span()).collect();
        let names: Vec<&str> = segments.iter().map(String::as_str).collect();
        let class = names::classify(&names);
        match &class {
            Class::Rewrite {
                prefix_len,
                replacement,
                ..
            } if segments.len() > *prefix_len
                && path
                    .segments
                    .iter()
                    .take(*prefix_len)
                    .all(|s| s.arguments.is_none()) =>
            {
                let start = path.leading_colon.as_ref().map_or_else(
                    || spans[0].byte_range().start,
                    |c| c.span().byte_range().start,
                );
                let end = spans[*prefix_len - 1].byte_range().end;
                let leading = if path.leading_colon.is_some() {
                    "::"
                } else {
                    ""
                };
                self.edit(start..end, format!("{leading}{replacement}"));
                self.rewritten(&class, &spans);
            }
            Class::Unseen { krate } if segments.len() > 1 => self.unseen(spans[0], krate),
            _ => {
                self.check_alias(&segments, &spans);
                self.check_unsafe_cell(&segments, path.span());
            }
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        if mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "thread_local")
        {
            self.report(
                mac.path.span(),
                Severity::Warning,
                "thread_local!: loom runs every model thread on one OS thread, so they all see \
                 one value",
            );
        }
        macros::scan(self, mac);
    }

    fn visit_item_extern_crate(&mut self, item: &'ast syn::ItemExternCrate) {
        let name = item.ident.to_string();
        match names::classify(&[name.as_str(), "_"]) {
            Class::Rewrite {
                prefix_len: 1,
                replacement,
                feature,
                ..
            } => {
                if item.attrs.iter().any(|a| a.path().is_ident("macro_use")) {
                    self.report(
                        item.ident.span(),
                        Severity::Error,
                        format!(
                            "#[macro_use] extern crate {name}: not rewritten; import its \
                             macros by path (`use {name}::select;`)"
                        ),
                    );
                    return;
                }
                let rename = item
                    .rename
                    .as_ref()
                    .map_or_else(String::new, |(_, ident)| format!(" as {ident}"));
                let start = item.extern_token.span.byte_range().start;
                let end = item.semi_token.span.byte_range().end;
                self.edit(start..end, format!("use {replacement}{rename};"));
                self.features.extend(feature);
            }
            Class::Unseen { krate } => self.unseen(item.ident.span(), &krate),
            _ => {}
        }
    }

    fn visit_item_foreign_mod(&mut self, item: &'ast syn::ItemForeignMod) {
        self.report(
            item.abi.extern_token.span,
            Severity::Error,
            "extern block: foreign code runs outside loom's model (FFI)",
        );
        visit::visit_item_foreign_mod(self, item);
    }

    fn visit_item_static(&mut self, item: &'ast syn::ItemStatic) {
        if let syn::StaticMutability::Mut(token) = &item.mutability {
            self.report(
                token.span,
                Severity::Warning,
                format!(
                    "static mut {}: loom cannot see its accesses (a race on it goes unreported)",
                    item.ident
                ),
            );
        }
        visit::visit_item_static(self, item);
    }

    fn visit_expr_unsafe(&mut self, block: &'ast syn::ExprUnsafe) {
        if touches_raw_pointers(&block.block) {
            self.report(
                block.unsafe_token.span,
                Severity::Warning,
                "unsafe block: memory reached through raw pointers is invisible to loom",
            );
        }
        visit::visit_expr_unsafe(self, block);
    }
}

/// Whether `attr` is `#[cfg(test)]`.
fn is_cfg_test(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("cfg")
        && attr
            .meta
            .require_list()
            .is_ok_and(|list| list.tokens.to_string() == "test")
}

/// An item's attributes.
fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(item) => &item.attrs,
        syn::Item::Enum(item) => &item.attrs,
        syn::Item::ExternCrate(item) => &item.attrs,
        syn::Item::Fn(item) => &item.attrs,
        syn::Item::ForeignMod(item) => &item.attrs,
        syn::Item::Impl(item) => &item.attrs,
        syn::Item::Macro(item) => &item.attrs,
        syn::Item::Mod(item) => &item.attrs,
        syn::Item::Static(item) => &item.attrs,
        syn::Item::Struct(item) => &item.attrs,
        syn::Item::Trait(item) => &item.attrs,
        syn::Item::TraitAlias(item) => &item.attrs,
        syn::Item::Type(item) => &item.attrs,
        syn::Item::Union(item) => &item.attrs,
        syn::Item::Use(item) => &item.attrs,
        _ => &[],
    }
}

/// Whether `block` dereferences something or calls a raw-pointer method or `ptr::` function:
/// the heuristic for "memory loom cannot see" (it has no types to tell a `*const T` from a
/// reference).
fn touches_raw_pointers(block: &syn::Block) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_unary(&mut self, expr: &'ast syn::ExprUnary) {
            self.0 |= matches!(expr.op, syn::UnOp::Deref(_));
            visit::visit_expr_unary(self, expr);
        }
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            const RAW: &[&str] = &[
                "read",
                "write",
                "read_volatile",
                "write_volatile",
                "read_unaligned",
                "write_unaligned",
                "add",
                "offset",
                "sub",
                "as_ref",
                "as_mut",
                "copy_from",
                "copy_to",
                "copy_from_nonoverlapping",
                "copy_to_nonoverlapping",
                "swap",
                "replace",
                "drop_in_place",
            ];
            self.0 |= RAW.contains(&call.method.to_string().as_str());
            visit::visit_expr_method_call(self, call);
        }
        fn visit_path(&mut self, path: &'ast syn::Path) {
            self.0 |= path.segments.iter().any(|s| s.ident == "ptr");
            visit::visit_path(self, path);
        }
    }
    let mut finder = Finder(false);
    finder.visit_block(block);
    finder.0
}
