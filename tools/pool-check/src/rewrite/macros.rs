//! Paths inside macro invocations and `macro_rules!` bodies, found token by token.
//!
//! syn leaves a macro's arguments as tokens (only the macro knows their grammar), so
//! `vec![std::thread::spawn(f)]` or `println!("{:?}", std::thread::current().id())` hold their
//! paths as plain `Ident` `::` `Ident` runs. A run that starts with a sync prefix
//! (`std::sync`, `std::thread`, `crossbeam_channel`, ...) and goes on past it is a path to a
//! sync item in any macro that passes Rust through, and is rewritten as a path outside a macro
//! would be. What is not sound to rewrite is left alone and, if it matters, reported:
//! `stringify!`-like macros (their output is text), a `$name` metavariable, a segment in the
//! middle of a longer path, and a `{...}` group under `std` (a `use` inside a macro).

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

use super::{Rewriter, Severity};
use crate::names::{self, Class};

/// Macros whose input becomes text or is not Rust code: left untouched.
const TEXT_MACROS: &[&str] = &[
    "stringify",
    "concat",
    "compile_error",
    "include",
    "include_str",
    "include_bytes",
    "env",
    "option_env",
];

/// Keywords that may stand right before a `::path` (`use ::std::thread`, `&mut ::std::...`):
/// an identifier before `::` that is not one of these makes the `::` a path's middle.
const PRECEDE_PATHS: &[&str] = &[
    "use", "return", "in", "as", "dyn", "impl", "mut", "const", "break", "for", "where", "yield",
];

/// Rewrites the sync paths in `mac`'s tokens.
pub(super) fn scan(rewriter: &mut Rewriter<'_>, mac: &syn::Macro) {
    let name = mac
        .path
        .segments
        .last()
        .map(|segment| segment.ident.to_string());
    if name.is_some_and(|name| TEXT_MACROS.contains(&name.as_str())) {
        return;
    }
    scan_stream(rewriter, mac.tokens.clone());
}

fn is_punct(token: Option<&TokenTree>, ch: char) -> bool {
    matches!(token, Some(TokenTree::Punct(punct)) if punct.as_char() == ch)
}

/// Whether `tokens[at]` and `tokens[at + 1]` are a `::`.
fn is_path_sep(tokens: &[TokenTree], at: usize) -> bool {
    matches!(tokens.get(at), Some(TokenTree::Punct(p)) if p.as_char() == ':' && p.spacing() == Spacing::Joint)
        && is_punct(tokens.get(at + 1), ':')
}

fn scan_stream(rewriter: &mut Rewriter<'_>, stream: TokenStream) {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let mut index = 0;
    while index < tokens.len() {
        let TokenTree::Ident(first) = &tokens[index] else {
            if let TokenTree::Group(group) = &tokens[index] {
                scan_stream(rewriter, group.stream());
            }
            index += 1;
            continue;
        };
        // `$std` is a metavariable; `x.std` a field; `use` is no path's first segment.
        if PRECEDE_PATHS.contains(&first.to_string().as_str())
            || index > 0
                && (is_punct(tokens.get(index - 1), '$') || is_punct(tokens.get(index - 1), '.'))
        {
            index += 1;
            continue;
        }
        let leading = index >= 2 && is_path_sep(&tokens, index - 2);
        // `a::std::sync`: the middle of a longer path, not a path to std.
        if leading
            && index >= 3
            && matches!(&tokens[index - 3], TokenTree::Ident(before) if !PRECEDE_PATHS.contains(&before.to_string().as_str()))
        {
            index += 1;
            continue;
        }
        let mut segments = vec![first.clone()];
        let mut last = index;
        while is_path_sep(&tokens, last + 1) {
            match tokens.get(last + 3) {
                Some(TokenTree::Ident(next)) => {
                    segments.push(next.clone());
                    last += 3;
                }
                _ => break,
            }
        }
        let continues = is_path_sep(&tokens, last + 1);
        let before = index.checked_sub(if leading { 3 } else { 1 });
        let after_use =
            before.is_some_and(|at| matches!(&tokens[at], TokenTree::Ident(kw) if kw == "use"));
        path(
            rewriter,
            &tokens,
            index,
            leading,
            &segments,
            continues || after_use,
        );
        index = last + 1;
    }
}

/// Handles the path `segments` found at `tokens[index]`; `continues`: it goes on past its last
/// identifier (into a `{` group), or follows `use`, so a bare prefix is a module path too.
fn path(
    rewriter: &mut Rewriter<'_>,
    tokens: &[TokenTree],
    index: usize,
    leading: bool,
    segments: &[proc_macro2::Ident],
    continues: bool,
) {
    let names: Vec<String> = segments.iter().map(ToString::to_string).collect();
    let strs: Vec<&str> = names.iter().map(String::as_str).collect();
    let spans: Vec<proc_macro2::Span> = segments.iter().map(proc_macro2::Ident::span).collect();
    let class = names::classify(&strs);
    match &class {
        Class::Rewrite {
            prefix_len,
            replacement,
            ..
        } if segments.len() > *prefix_len || (segments.len() == *prefix_len && continues) => {
            let start = if leading {
                tokens[index - 2].span().byte_range().start
            } else {
                spans[0].byte_range().start
            };
            let end = spans[prefix_len - 1].byte_range().end;
            let colons = if leading { "::" } else { "" };
            rewriter.edit(start..end, format!("{colons}{replacement}"));
            rewriter.rewritten(&class, &spans);
        }
        Class::Undecided
            if continues
                && matches!(tokens.get(index + 3 * segments.len()), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace) =>
        {
            rewriter.report(
                spans[0],
                Severity::Error,
                format!(
                    "use {}::{{...}} inside a macro: not rewritten (split the sync paths into \
                     a use of their own)",
                    names.join("::")
                ),
            );
        }
        Class::Unseen { krate } if segments.len() > 1 => rewriter.unseen(spans[0], krate),
        _ => rewriter.check_alias(&names, &spans),
    }
}
