//! The source files of a crate's library: its root and every file a `mod name;` reaches, by
//! rustc's rules (`name.rs` or `name/mod.rs`, `#[path = "..."]`, inline `mod a { mod b; }`).
//! These are the files the rewrite edits and reports on: the pool lives in the library; the
//! crate's tests, benches, examples and build script are not part of the check.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The library's source files under `crate_dir`, as paths relative to it, starting from
/// `root` (relative too, e.g. `src/lib.rs`). A `mod` whose file is missing (compiled only on
/// another platform, say) is skipped; a file outside the crate's folder is not followed.
pub fn library_files(crate_dir: &Path, root: &Path) -> Vec<PathBuf> {
    let mut found = BTreeSet::new();
    visit_file(crate_dir, root, true, &mut found);
    found.into_iter().collect()
}

fn visit_file(crate_dir: &Path, file: &Path, is_mod_rs: bool, found: &mut BTreeSet<PathBuf>) {
    if !found.insert(file.to_path_buf()) {
        return;
    }
    let Ok(text) = fs::read_to_string(crate_dir.join(file)) else {
        found.remove(file);
        return;
    };
    // A file that does not parse is still the crate's: the rewrite reports its error.
    let Ok(parsed) = syn::parse_file(&text) else {
        return;
    };
    let here = file.parent().unwrap_or(Path::new("")).to_path_buf();
    // Where `mod name;` looks: beside a mod.rs-like file, in a folder named after any other.
    let children = if is_mod_rs {
        here.clone()
    } else {
        here.join(file.file_stem().unwrap_or_default())
    };
    visit_items(crate_dir, &parsed.items, &here, &children, found);
}

fn visit_items(
    crate_dir: &Path,
    items: &[syn::Item],
    file_dir: &Path,
    children: &Path,
    found: &mut BTreeSet<PathBuf>,
) {
    for item in items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        let name = module.ident.to_string();
        let path_attr = module.attrs.iter().find_map(|attr| match &attr.meta {
            syn::Meta::NameValue(pair) if pair.path.is_ident("path") => match &pair.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        });
        match (&module.content, path_attr) {
            (Some((_, inner)), path) => {
                let dir = path.map_or_else(|| children.join(&name), |p| children.join(p));
                visit_items(crate_dir, inner, file_dir, &dir, found);
            }
            (None, Some(path)) => {
                let file = normalize(&file_dir.join(path));
                if let Some(file) = file {
                    let is_mod_rs = file.file_name().is_some_and(|n| n == "mod.rs");
                    visit_file(crate_dir, &file, is_mod_rs, found);
                }
            }
            (None, None) => {
                let flat = children.join(format!("{name}.rs"));
                if crate_dir.join(&flat).is_file() {
                    visit_file(crate_dir, &flat, false, found);
                } else {
                    visit_file(crate_dir, &children.join(&name).join("mod.rs"), true, found);
                }
            }
        }
    }
}

/// `path` with `.` and `..` resolved, or `None` if it leaves the crate's folder.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            std::path::Component::Normal(name) => out.push(name),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_mod_declarations_by_rustcs_rules() {
        let dir = std::env::temp_dir().join(format!("pool-check-modules-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let files = [
            ("src/lib.rs", "mod pool; mod inline { mod deep; } #[path = \"odd/place.rs\"] mod odd; #[cfg(windows)] mod gone;"),
            ("src/pool.rs", "mod worker;"),
            ("src/pool/worker.rs", ""),
            ("src/inline/deep/mod.rs", ""),
            ("src/odd/place.rs", ""),
            ("src/unused.rs", ""),
            ("tests/t.rs", ""),
        ];
        for (path, text) in files {
            fs::create_dir_all(dir.join(path).parent().unwrap()).unwrap();
            fs::write(dir.join(path), text).unwrap();
        }
        let found = library_files(&dir, Path::new("src/lib.rs"));
        let _ = fs::remove_dir_all(&dir);
        let found: Vec<String> = found.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            found,
            [
                "src/inline/deep/mod.rs",
                "src/lib.rs",
                "src/odd/place.rs",
                "src/pool/worker.rs",
                "src/pool.rs"
            ]
        );
    }
}
