//! Content types for static files, by file extension.

use std::path::Path;

/// The type sent for files whose extension is unknown (RFC 9110 §8.3).
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// Extensions (lowercase) and their content types. Text types name their charset, since
/// browsers otherwise guess; webpool serves text as UTF-8.
const TYPES: &[(&str, &str)] = &[
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("txt", "text/plain; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
    ("csv", "text/csv; charset=utf-8"),
    ("xml", "text/xml; charset=utf-8"),
    ("json", "application/json"),
    ("map", "application/json"),
    ("webmanifest", "application/manifest+json"),
    ("wasm", "application/wasm"),
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("svg", "image/svg+xml"),
    ("ico", "image/x-icon"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("otf", "font/otf"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
    ("wav", "audio/wav"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
];

/// The Content-Type for `path`, by its extension (ASCII case-insensitive); unknown or missing
/// extensions give [`DEFAULT_CONTENT_TYPE`].
///
/// ```
/// use std::path::Path;
/// use webpool::http::mime::content_type;
///
/// assert_eq!(content_type(Path::new("index.HTML")), "text/html; charset=utf-8");
/// assert_eq!(content_type(Path::new("logo.png")), "image/png");
/// assert_eq!(content_type(Path::new("archive.tar.unknown")), "application/octet-stream");
/// ```
pub fn content_type(path: &Path) -> &'static str {
    let Some(extension) = path.extension().and_then(|e| e.to_str()) else {
        return DEFAULT_CONTENT_TYPE;
    };
    TYPES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(extension))
        .map_or(DEFAULT_CONTENT_TYPE, |&(_, content_type)| content_type)
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    #[test]
    fn known_extensions() {
        let cases = [
            ("a.html", "text/html; charset=utf-8"),
            ("a.css", "text/css; charset=utf-8"),
            ("a.js", "text/javascript; charset=utf-8"),
            ("a.mjs", "text/javascript; charset=utf-8"),
            ("a.json", "application/json"),
            ("a.txt", "text/plain; charset=utf-8"),
            ("a.png", "image/png"),
            ("a.jpg", "image/jpeg"),
            ("a.JPEG", "image/jpeg"),
            ("a.gif", "image/gif"),
            ("a.svg", "image/svg+xml"),
            ("a.ico", "image/x-icon"),
            ("a.webp", "image/webp"),
            ("a.wasm", "application/wasm"),
            ("a.pdf", "application/pdf"),
            ("a.xml", "text/xml; charset=utf-8"),
            ("a.woff", "font/woff"),
            ("a.woff2", "font/woff2"),
            ("a.mp4", "video/mp4"),
            ("dir/a.tar.gz", "application/gzip"),
        ];
        for (path, expected) in cases {
            assert_eq!(content_type(Path::new(path)), expected, "{path}");
        }
    }

    #[test]
    fn unknown_or_missing_extensions() {
        for path in ["Makefile", ".html", "a.", "a.exe", "a.html.bak", ""] {
            assert_eq!(
                content_type(Path::new(path)),
                DEFAULT_CONTENT_TYPE,
                "{path}"
            );
        }
    }

    #[test]
    fn every_text_type_names_its_charset() {
        for (extension, content_type) in TYPES {
            assert_eq!(*extension, extension.to_ascii_lowercase());
            if content_type.starts_with("text/") {
                assert!(content_type.ends_with("; charset=utf-8"), "{content_type}");
            }
        }
    }
}
