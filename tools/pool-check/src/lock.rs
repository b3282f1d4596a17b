//! The scratch copy's first `Cargo.lock`: webpool's own, so webpool and loom resolve to the
//! versions webpool's build uses (every scratch copy then shares one build of them in the
//! shared target folder, and cargo needs no index update for them), plus the registry
//! packages the crate's own lock file pins, where webpool's does not have that version.

use toml_edit::{ArrayOfTables, DocumentMut, Item};

/// The merged lock file's text, from webpool's lock and the crate's (if it has one). Falls
/// back to webpool's alone if the crate's cannot be read as a lock file.
pub fn seed(webpool_lock: &str, crate_lock: Option<&str>) -> String {
    let Ok(mut base) = webpool_lock.parse::<DocumentMut>() else {
        return webpool_lock.to_owned();
    };
    let Some(theirs) = crate_lock.and_then(|text| text.parse::<DocumentMut>().ok()) else {
        return webpool_lock.to_owned();
    };
    let key = |package: &toml_edit::Table| {
        (
            package
                .get("name")
                .and_then(Item::as_str)
                .map(str::to_owned),
            package
                .get("version")
                .and_then(Item::as_str)
                .map(str::to_owned),
        )
    };
    let Some(packages) = base
        .get_mut("package")
        .and_then(Item::as_array_of_tables_mut)
    else {
        return webpool_lock.to_owned();
    };
    let known: Vec<_> = packages.iter().map(key).collect();
    let extra = theirs
        .get("package")
        .and_then(Item::as_array_of_tables)
        .map(ArrayOfTables::iter)
        .into_iter()
        .flatten()
        // Only registry packages with their checksum: a path package is re-resolved anyway,
        // and an entry without a checksum (lock format 1 kept them apart) is refused by cargo.
        .filter(|package| package.contains_key("source") && package.contains_key("checksum"))
        .filter(|package| !known.contains(&key(package)))
        .cloned()
        .collect::<Vec<_>>();
    for package in extra {
        packages.push(package);
    }
    base.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEBPOOL: &str = "version = 4\n\n[[package]]\nname = \"loom\"\nversion = \"0.7.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"aa\"\n";

    #[test]
    fn webpools_lock_plus_the_crates_own_registry_pins() {
        let theirs = "version = 3\n\n[[package]]\nname = \"num_cpus\"\nversion = \"1.13.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"bb\"\n\n[[package]]\nname = \"loom\"\nversion = \"0.7.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"aa\"\n\n[[package]]\nname = \"mine\"\nversion = \"0.1.0\"\n";
        assert_eq!(
            seed(WEBPOOL, Some(theirs)),
            format!("{WEBPOOL}\n[[package]]\nname = \"num_cpus\"\nversion = \"1.13.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"bb\"\n")
        );
    }

    #[test]
    fn an_empty_or_missing_crate_lock_leaves_webpools() {
        // threadpool 1.8.1 ships an empty Cargo.lock.
        assert_eq!(seed(WEBPOOL, Some("")), WEBPOOL);
        assert_eq!(seed(WEBPOOL, None), WEBPOOL);
    }
}
