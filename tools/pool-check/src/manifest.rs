//! The crate's Cargo.toml: what the tool reads from it, and the scratch copy's version of it.
//!
//! The copy's manifest is the user's, edited with `toml_edit` (the rest of the file stays as
//! written): webpool added as a dependency, a `[workspace]` of its own (the copy sits under
//! some workspace's target folder) with feature resolver 2, the `cfg(loom)` lint allowed, the harness as a test target,
//! relative path dependencies made absolute (they point next to the original, not the copy),
//! and the dev-dependencies dropped (the harness needs none, and an integration test links the
//! library built without `cfg(test)`, so no library code can use them).

use std::path::Path;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

/// What the tool needs to know about the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The package name, as in `[package] name`.
    pub name: String,
    /// Its version (`0.0.0` when the manifest has none).
    pub version: String,
    /// The Rust edition, `2015` when the manifest names none.
    pub edition: String,
    /// The library's crate name (`[lib] name`, else the package name with `-` as `_`).
    pub lib_name: String,
    /// The library's root file, relative to the crate's folder.
    pub lib_path: String,
}

/// Reads the package facts from a Cargo.toml's text.
///
/// # Errors
///
/// If it is not TOML, has no `[package]`, or inherits from its workspace (`x.workspace = true`
/// means nothing once the crate is copied out of that workspace).
pub fn read(text: &str) -> Result<Package, String> {
    let doc: DocumentMut = text.parse().map_err(|err| format!("Cargo.toml: {err}"))?;
    if let Some(key) = inherited(doc.as_table(), "") {
        return Err(format!(
            "Cargo.toml: `{key}` inherits from the workspace; cargo pool-check copies the crate \
             out of it and cannot resolve that yet"
        ));
    }
    let package = doc
        .get("package")
        .and_then(Item::as_table_like)
        .ok_or("Cargo.toml has no [package]: give the folder of one crate")?;
    let text_of = |key: &str| package.get(key).and_then(Item::as_str).map(str::to_owned);
    let name = text_of("name").ok_or("Cargo.toml: [package] has no name")?;
    let lib = doc.get("lib").and_then(Item::as_table_like);
    let lib_text = |key: &str| lib.and_then(|lib| lib.get(key)).and_then(Item::as_str);
    Ok(Package {
        version: text_of("version").unwrap_or_else(|| "0.0.0".to_owned()),
        edition: text_of("edition").unwrap_or_else(|| "2015".to_owned()),
        lib_name: lib_text("name").map_or_else(|| name.replace('-', "_"), str::to_owned),
        lib_path: lib_text("path").unwrap_or("src/lib.rs").to_owned(),
        name,
    })
}

/// The first key under `table` set to `{ workspace = true }`, dotted from `prefix`.
fn inherited(table: &dyn toml_edit::TableLike, prefix: &str) -> Option<String> {
    for (key, item) in table.iter() {
        let path = if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        };
        // `[workspace]` is replaced in the copy, and so is `[lints] workspace = true`.
        if prefix.is_empty() && (key == "workspace" || key == "lints") {
            continue;
        }
        if let Some(inner) = item.as_table_like() {
            if inner.get("workspace").and_then(Item::as_bool) == Some(true) {
                return Some(path);
            }
            if let Some(found) = inherited(inner, &path) {
                return Some(found);
            }
        }
    }
    None
}

/// What the scratch copy's manifest adds.
pub struct Additions<'a> {
    /// The folder of the user's crate (absolute): relative path dependencies resolve from it.
    pub original_dir: &'a Path,
    /// This webpool checkout (absolute).
    pub webpool_dir: &'a Path,
    /// webpool features the rewritten paths need.
    pub features: &'a [&'a str],
    /// The harness's test target: its name and its path in the copy.
    pub test_name: &'a str,
    /// The harness file, relative to the copy.
    pub test_path: &'a str,
}

/// The scratch copy's Cargo.toml, from the user's `text`.
///
/// # Errors
///
/// If `text` is not TOML.
pub fn for_scratch(text: &str, add: &Additions<'_>) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|err| format!("Cargo.toml: {err}"))?;

    // A workspace of its own, and no pointer to the original's. One feature resolver for every
    // copy (an edition-2015 crate would get resolver 1, which unifies features differently):
    // the same features give webpool and loom the same build, shared by all the copies.
    let mut workspace = Table::new();
    workspace["resolver"] = toml_edit::value("2");
    doc["workspace"] = Item::Table(workspace);
    if let Some(package) = doc.get_mut("package").and_then(Item::as_table_like_mut) {
        package.remove("workspace");
    }

    // Dev-dependencies are for the crate's own tests; relative paths point at the original.
    doc.remove("dev-dependencies");
    doc.remove("dev_dependencies");
    absolutize(doc.as_table_mut(), add.original_dir);
    if let Some(targets) = doc.get_mut("target").and_then(Item::as_table_like_mut) {
        for (_, target) in targets.iter_mut() {
            if let Some(target) = target.as_table_like_mut() {
                target.remove("dev-dependencies");
                target.remove("dev_dependencies");
            }
        }
    }

    let mut webpool = InlineTable::new();
    webpool.insert("path", add.webpool_dir.display().to_string().into());
    // The shim and the checker only: not the HTTP server or its crates.
    webpool.insert("default-features", false.into());
    if !add.features.is_empty() {
        webpool.insert(
            "features",
            Value::Array(add.features.iter().copied().collect::<Array>()),
        );
    }
    if doc
        .get("dependencies")
        .and_then(Item::as_table_like)
        .is_none()
    {
        doc["dependencies"] = Item::Table(Table::new());
    }
    doc["dependencies"]["webpool"] = Item::Value(Value::InlineTable(webpool));

    // `#[cfg(loom)]` is the harness's switch: not an unexpected cfg.
    if doc.get("lints").and_then(Item::as_table_like).is_none()
        || doc["lints"].get("workspace").is_some()
    {
        let mut lints = Table::new();
        lints.set_implicit(true);
        doc["lints"] = Item::Table(lints);
    }
    if doc["lints"].get("rust").is_none() {
        doc["lints"]["rust"] = Item::Table(Table::new());
    }
    let mut cfgs = InlineTable::new();
    cfgs.insert("level", "warn".into());
    cfgs.insert(
        "check-cfg",
        Value::Array(["cfg(loom)"].into_iter().collect::<Array>()),
    );
    doc["lints"]["rust"]["unexpected_cfgs"] = Item::Value(Value::InlineTable(cfgs));

    // The harness, by name: a manifest may turn test discovery off (`autotests = false`, as
    // every crate published by a recent cargo does).
    let mut tests = match doc.remove("test") {
        Some(Item::ArrayOfTables(tests)) => tests,
        _ => toml_edit::ArrayOfTables::new(),
    };
    tests.retain(|test| test.get("name").and_then(Item::as_str) != Some(add.test_name));
    let mut harness = Table::new();
    harness["name"] = toml_edit::value(add.test_name);
    harness["path"] = toml_edit::value(add.test_path);
    tests.push(harness);
    doc["test"] = Item::ArrayOfTables(tests);

    Ok(doc.to_string())
}

/// Makes every `path = "..."` dependency under `table` (and its `target.*` tables) absolute,
/// from `base`.
fn absolutize(table: &mut Table, base: &Path) {
    for section in ["dependencies", "build-dependencies", "build_dependencies"] {
        if let Some(deps) = table.get_mut(section).and_then(Item::as_table_like_mut) {
            for (_, dep) in deps.iter_mut() {
                let Some(dep) = dep.as_table_like_mut() else {
                    continue;
                };
                if let Some(path) = dep.get("path").and_then(Item::as_str) {
                    let absolute = base.join(path).display().to_string();
                    dep.insert("path", toml_edit::value(absolute));
                }
            }
        }
    }
    if let Some(targets) = table.get_mut("target").and_then(Item::as_table_mut) {
        for (_, target) in targets.iter_mut() {
            if let Some(target) = target.as_table_mut() {
                absolutize(target, base);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_version_edition_and_lib() {
        let package = read("[package]\nname = \"my-pool\"\nversion = \"1.2.3\"\n").unwrap();
        assert_eq!(
            package,
            Package {
                name: "my-pool".into(),
                version: "1.2.3".into(),
                edition: "2015".into(),
                lib_name: "my_pool".into(),
                lib_path: "src/lib.rs".into(),
            }
        );
        let err = read("[package]\nname = \"a\"\nversion.workspace = true\n").unwrap_err();
        assert!(err.contains("`package.version` inherits"), "{err}");
    }

    #[test]
    fn the_scratch_manifest_adds_webpool_a_workspace_the_lint_and_the_harness() {
        let text = "[package]\nname = \"p\" # mine\nversion = \"0.1.0\"\nautotests = false\nworkspace = \"..\"\n\n[dependencies]\nhelper = { path = \"../helper\" }\nlog = \"0.4\"\n\n[dev-dependencies]\nrand = \"0.8\"\n\n[[test]]\nname = \"pool_check\"\npath = \"old.rs\"\n\n[[test]]\nname = \"other\"\npath = \"tests/other.rs\"\n";
        let out = for_scratch(
            text,
            &Additions {
                original_dir: Path::new("/home/u/p"),
                webpool_dir: Path::new("/src/webpool"),
                features: &["crossbeam-channel"],
                test_name: "pool_check",
                test_path: "tests/pool_check.rs",
            },
        )
        .unwrap();
        assert_eq!(
            out,
            "[package]\nname = \"p\" # mine\nversion = \"0.1.0\"\nautotests = false\n\n[dependencies]\nhelper = { path = \"/home/u/p/../helper\" }\nlog = \"0.4\"\nwebpool = { path = \"/src/webpool\", default-features = false, features = [\"crossbeam-channel\"] }\n\n[workspace]\nresolver = \"2\"\n\n[lints.rust]\nunexpected_cfgs = { level = \"warn\", check-cfg = [\"cfg(loom)\"] }\n\n[[test]]\nname = \"other\"\npath = \"tests/other.rs\"\n\n[[test]]\nname = \"pool_check\"\npath = \"tests/pool_check.rs\"\n"
        );
    }
}
