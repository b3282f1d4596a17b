//! `use` items: where the sync prefix is, and what to do with a `{...}` group that mixes sync
//! and other paths of the same crate.
//!
//! A linear prefix is replaced in place: `use std::sync::{mpsc, Arc};` becomes
//! `use webpool::sync::{mpsc, Arc};`, `use std::thread as t;` becomes
//! `use webpool::sync::thread as t;`. A group under `std` (`use std::{sync::Arc, fmt};`) cannot
//! keep its `std::` prefix for some children and not others, so the prefix moves into the
//! children: `use {webpool::sync::Arc, std::fmt};` (a prefix-less group is valid Rust in every
//! edition). Both edits stay on the item's own lines.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::UseTree;

use super::{Rewriter, Severity};
use crate::names::{self, Class};

/// Where the path being walked starts in the text, and what has been done to it.
#[derive(Clone, Copy)]
struct At {
    /// Byte offset of the path's text: its leading `::` if it has one, else its first segment.
    start: usize,
    /// Byte offset of its first segment.
    ident_start: usize,
    /// Whether it starts with `::`.
    leading: bool,
    /// Whether its sync prefix has been replaced already (the rest is only checked).
    rewritten: bool,
}

/// Rewrites a `use` item's sync paths and checks its items.
pub(super) fn rewrite_use(rewriter: &mut Rewriter<'_>, item: &syn::ItemUse) {
    let ident_start = item.tree.span().byte_range().start;
    let at = At {
        start: item
            .leading_colon
            .as_ref()
            .map_or(ident_start, |colon| colon.span().byte_range().start),
        ident_start,
        leading: item.leading_colon.is_some(),
        rewritten: false,
    };
    walk(rewriter, &item.tree, &mut Vec::new(), at);
}

/// Walks `tree`, under the segments `path` (names and spans).
fn walk(rewriter: &mut Rewriter<'_>, tree: &UseTree, path: &mut Vec<(String, Span)>, at: At) {
    match tree {
        UseTree::Path(step) => {
            path.push((step.ident.to_string(), step.ident.span()));
            let mut at = at;
            match leaf(rewriter, path, at, false) {
                Step::Rewritten => at.rewritten = true,
                Step::Stop => {
                    path.pop();
                    return;
                }
                Step::Continue => {}
            }
            walk(rewriter, &step.tree, path, at);
            path.pop();
        }
        UseTree::Name(name) => {
            path.push((name.ident.to_string(), name.ident.span()));
            leaf(rewriter, path, at, true);
            path.pop();
        }
        UseTree::Rename(rename) => {
            path.push((rename.ident.to_string(), rename.ident.span()));
            leaf(rewriter, path, at, true);
            path.pop();
        }
        UseTree::Glob(glob) => {
            let names: Vec<&str> = path.iter().map(|(name, _)| name.as_str()).collect();
            if !at.rewritten && names::classify(&names) == Class::Undecided {
                rewriter.report(
                    glob.star_token.span,
                    Severity::Error,
                    format!(
                        "use {}::*: a glob over the whole crate; its sync and thread modules \
                         cannot be rewritten (import them by name)",
                        names.join("::")
                    ),
                );
            }
        }
        UseTree::Group(group) => {
            if at.rewritten || path.is_empty() {
                for child in &group.items {
                    let child_at = if at.rewritten { at } else { fresh(child) };
                    walk(rewriter, child, path, child_at);
                }
                return;
            }
            let names: Vec<&str> = path.iter().map(|(name, _)| name.as_str()).collect();
            if names::classify(&names) != Class::Undecided {
                return;
            }
            split_group(rewriter, group, path, at);
        }
    }
}

/// An [`At`] for a child of a group whose prefix moved into its children.
fn fresh(child: &UseTree) -> At {
    let start = child.span().byte_range().start;
    At {
        start,
        ident_start: start,
        leading: false,
        rewritten: false,
    }
}

/// What the walk does after a segment.
enum Step {
    /// The sync prefix ends here and was replaced.
    Rewritten,
    /// Nothing below is for the rewrite (a crate loom cannot see, reported).
    Stop,
    /// Go on.
    Continue,
}

/// Handles the segment that ends `path` (`is_leaf`: the last one of its branch).
fn leaf(rewriter: &mut Rewriter<'_>, path: &[(String, Span)], at: At, is_leaf: bool) -> Step {
    let names: Vec<&str> = path.iter().map(|(name, _)| name.as_str()).collect();
    let spans: Vec<Span> = path.iter().map(|(_, span)| *span).collect();
    let class = names::classify(&names);
    if is_leaf {
        rewriter.check_unsafe_cell(
            &path
                .iter()
                .map(|(name, _)| name.clone())
                .collect::<Vec<_>>(),
            spans[0],
        );
    }
    match &class {
        Class::Rewrite {
            prefix_len,
            replacement,
            ..
        } => {
            if !at.rewritten && *prefix_len == path.len() {
                let end = spans[prefix_len - 1].byte_range().end;
                let leading = if at.leading { "::" } else { "" };
                rewriter.edit(at.start..end, format!("{leading}{replacement}"));
            }
            if is_leaf || (!at.rewritten && *prefix_len == path.len()) {
                // The item check needs the whole path: done at the leaf (with the prefix's
                // feature recorded once at the prefix).
                if is_leaf {
                    rewriter.rewritten(&class, &spans);
                } else if let Class::Rewrite { feature, .. } = &class {
                    rewriter.features.extend(*feature);
                }
            }
            if !at.rewritten && *prefix_len == path.len() {
                Step::Rewritten
            } else {
                Step::Continue
            }
        }
        Class::Unseen { krate } => {
            if !at.rewritten {
                rewriter.unseen(spans[0], krate);
            }
            Step::Stop
        }
        Class::Undecided | Class::Other => Step::Continue,
    }
}

/// A group under a crate's root (`std::{sync::Arc, fmt}`): its children are walked as paths
/// of their own; if any is rewritten, the prefix text moves from before the `{` into each
/// child that was not.
fn split_group(
    rewriter: &mut Rewriter<'_>,
    group: &syn::UseGroup,
    path: &mut Vec<(String, Span)>,
    at: At,
) {
    let brace = group.brace_token.span.open().byte_range().start;
    let prefix = rewriter.source[at.ident_start..brace].to_owned();
    let mut kept = Vec::new();
    let mut any_rewritten = false;
    for child in &group.items {
        let before = rewriter.edits.len();
        walk(rewriter, child, path, fresh(child));
        if rewriter.edits.len() == before {
            kept.push(child);
        } else {
            any_rewritten = true;
        }
    }
    if !any_rewritten {
        return;
    }
    rewriter.edit(at.ident_start..brace, "");
    for child in kept {
        let range = child.span().byte_range();
        let is_self = match child {
            UseTree::Name(name) => name.ident == "self",
            UseTree::Rename(rename) => rename.ident == "self",
            _ => false,
        };
        if is_self {
            // `std::{self}`: `std::self` is not a path.
            rewriter.edit(range.start..range.start, format!("{prefix}{{"));
            rewriter.edit(range.end..range.end, "}");
        } else {
            rewriter.edit(range.start..range.start, prefix.clone());
        }
    }
}

/// The names this file's `use` items bind to a module the shim replaces whole
/// (`use std::thread;` binds `thread`; `use std::sync::mpsc as chan;` binds `chan`), with the
/// module's path.
pub(super) fn module_aliases(file: &syn::File) -> HashMap<String, Vec<String>> {
    struct Aliases(HashMap<String, Vec<String>>);
    impl<'ast> Visit<'ast> for Aliases {
        fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
            collect(&item.tree, &mut Vec::new(), &mut self.0);
        }
    }
    fn collect(tree: &UseTree, path: &mut Vec<String>, into: &mut HashMap<String, Vec<String>>) {
        let mut bind = |path: &[String], name: &syn::Ident, alias: &syn::Ident| {
            let mut full = path.to_vec();
            if name != "self" {
                full.push(name.to_string());
            }
            let names: Vec<&str> = full.iter().map(String::as_str).collect();
            if names::is_shim_module(&names) {
                into.insert(alias.to_string(), full);
            }
        };
        match tree {
            UseTree::Path(step) => {
                path.push(step.ident.to_string());
                collect(&step.tree, path, into);
                path.pop();
            }
            UseTree::Name(name) => {
                let alias = if name.ident == "self" {
                    path.last()
                        .map(|last| syn::Ident::new(last, name.ident.span()))
                } else {
                    Some(name.ident.clone())
                };
                if let Some(alias) = alias {
                    bind(path, &name.ident, &alias);
                }
            }
            UseTree::Rename(rename) => bind(path, &rename.ident, &rename.rename),
            UseTree::Group(group) => {
                for child in &group.items {
                    collect(child, path, into);
                }
            }
            UseTree::Glob(_) => {}
        }
    }
    let mut aliases = Aliases(HashMap::new());
    aliases.visit_file(file);
    aliases.0
}
