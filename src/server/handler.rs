//! What each request gets: the book's routes, static files under `--root`, and the HTTP rules
//! that apply to both (methods, validators and 304, byte ranges). `/` is the root's
//! `index.html` when there is one (looked for on each request), else the book's `hello.html`.
//!
//! Pure apart from reading files under the root and `/sleep`'s sleeping: a function from a
//! parsed request to a [`Response`], which the connection code writes.

use std::borrow::Cow;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::http::date::{format_http_date, parse_http_date, unix_seconds};
use crate::http::etag::{content_etag, file_etag, if_none_match};
use crate::http::mime::content_type;
use crate::http::path::resolve;
use crate::http::range::{parse_range, RangeRequest};
use crate::http::request::TargetForm;
use crate::http::response::error_page;
use crate::http::{Method, Request};

/// The methods every route allows.
const ALLOW: &str = "GET, HEAD, OPTIONS";

/// Content type of the embedded pages and error pages.
const HTML: &str = "text/html; charset=utf-8";

/// The built-in page served for `/` and `/sleep`. The pages live in `site/`, not with the test
/// fixtures: they are what the binary ships.
const HELLO_HTML: &[u8] = include_bytes!("../../site/hello.html");

/// The built-in page served for paths that match nothing.
const NOT_FOUND_HTML: &[u8] = include_bytes!("../../site/404.html");

/// Everything the routes need to know, fixed at start-up.
#[derive(Debug)]
pub(crate) struct Site {
    /// Directory static files are served from, canonicalised; `None` serves only the
    /// built-in pages.
    root: Option<PathBuf>,
    /// How long `/sleep` sleeps.
    sleep: Duration,
    /// `hello.html`, with its validators.
    hello: Page,
    /// `404.html`.
    not_found: Page,
    /// Whether `/__panic` exists (a route that panics, for tests of panic handling).
    test_routes: bool,
}

/// A built-in page and its validators.
#[derive(Debug)]
struct Page {
    /// The page itself.
    body: &'static [u8],
    /// Strong entity tag derived from the content, so it is the same in every run.
    etag: String,
    /// When the page last changed: the executable's modification time.
    modified: SystemTime,
}

/// A response, ready to be written.
#[derive(Debug)]
pub(crate) struct Response<'a> {
    /// Status code.
    pub(crate) status: u16,
    /// `Content-Type`, if there is content.
    pub(crate) content_type: Option<&'static str>,
    /// Headers beyond the ones every response gets.
    pub(crate) headers: Vec<(&'static str, Cow<'a, str>)>,
    /// The body a GET gets (HEAD gets the same headers and no body).
    pub(crate) body: Body<'a>,
    /// Whether the connection must close after this response.
    pub(crate) close: bool,
}

/// The content of a response.
#[derive(Debug)]
pub(crate) enum Body<'a> {
    /// No content: 204 and 304 send no `Content-Length` at all.
    None,
    /// Bytes in memory.
    Bytes(Cow<'a, [u8]>),
    /// `len` bytes of `file` starting at `start`, streamed.
    File {
        /// The open file.
        file: File,
        /// First byte to send.
        start: u64,
        /// Number of bytes to send.
        len: u64,
    },
}

impl Body<'_> {
    /// The `Content-Length` to send, or `None` for no content.
    pub(crate) fn len(&self) -> Option<u64> {
        match self {
            Body::None => None,
            Body::Bytes(bytes) => Some(bytes.len() as u64),
            Body::File { len, .. } => Some(*len),
        }
    }
}

impl Site {
    /// A site serving the built-in pages, and files under `root` if given.
    ///
    /// # Errors
    ///
    /// `root` does not exist or is not a directory.
    pub(crate) fn new(root: Option<&Path>, sleep: Duration, test_routes: bool) -> io::Result<Site> {
        let root = match root {
            Some(root) => {
                let root = root.canonicalize().map_err(|err| {
                    io::Error::new(err.kind(), format!("root {}: {err}", root.display()))
                })?;
                if !root.is_dir() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("root {} is not a directory", root.display()),
                    ));
                }
                Some(root)
            }
            None => None,
        };
        // The pages are part of the binary, so they changed when the binary did.
        let modified = std::env::current_exe()
            .and_then(|exe| exe.metadata())
            .and_then(|meta| meta.modified())
            .unwrap_or_else(|_| SystemTime::now());
        Ok(Site {
            root,
            sleep,
            hello: Page::new(HELLO_HTML, modified),
            not_found: Page::new(NOT_FOUND_HTML, modified),
            test_routes,
        })
    }

    /// The response to `request`.
    ///
    /// # Panics
    ///
    /// Only on `/__panic` when test routes are enabled, by design; the connection code turns a
    /// panic here into a 500.
    pub(crate) fn respond<'s>(&'s self, request: &Request<'_>) -> Response<'s> {
        let path = request.path();
        match request.method() {
            Method::Get | Method::Head => {}
            Method::Options => return options(),
            _ => return method_not_allowed(),
        }
        if request.target_form() == TargetForm::Asterisk {
            return error(400, "`*` is only for OPTIONS");
        }
        match path {
            "/" => match &self.root {
                // A site of one's own starts at its index page; the book's page is the default.
                Some(root) if root.join("index.html").is_file() => static_file(root, request),
                _ => self.hello.serve(request),
            },
            "/sleep" => {
                crate::sync::sleep(self.sleep);
                self.hello.serve(request)
            }
            "/__panic" if self.test_routes => panic!("/__panic: a handler panicked on purpose"),
            _ => match &self.root {
                Some(root) => static_file(root, request),
                None => self.not_found(),
            },
        }
    }

    /// Whether answering `request` may take a while (`/sleep`, a file under the root), so that
    /// the connection code first sends the answers it holds, and records the request as
    /// running for a shutdown that gives up on it to name. Only `/` is answered at once: from
    /// memory, the built-in page; or the root's `index.html`, a file read without waiting on
    /// anything but its reader, whom the write timeout bounds.
    pub(crate) fn may_take_a_while(&self, request: &Request<'_>) -> bool {
        request.path() != "/"
    }

    /// 404 with the built-in page.
    fn not_found(&self) -> Response<'_> {
        Response {
            status: 404,
            content_type: Some(HTML),
            headers: Vec::new(),
            body: Body::Bytes(Cow::Borrowed(self.not_found.body)),
            close: false,
        }
    }
}

impl Page {
    fn new(body: &'static [u8], modified: SystemTime) -> Page {
        Page {
            body,
            etag: content_etag(body),
            modified,
        }
    }

    /// 200 (or 304, or 206/416) with the page.
    fn serve<'p>(&'p self, request: &Request<'_>) -> Response<'p> {
        let representation = Representation {
            content_type: HTML,
            etag: Cow::Borrowed(&self.etag),
            modified: self.modified,
            len: self.body.len() as u64,
        };
        representation.respond(request, |start, len| {
            // `start + len` never exceeds the page: `respond` clamps ranges to `len`.
            let range = usize::try_from(start).unwrap_or(usize::MAX)
                ..usize::try_from(start + len).unwrap_or(usize::MAX);
            Ok(Body::Bytes(Cow::Borrowed(
                self.body.get(range).unwrap_or_default(),
            )))
        })
    }
}

/// What validators and ranges are computed from.
struct Representation<'a> {
    content_type: &'static str,
    etag: Cow<'a, str>,
    modified: SystemTime,
    len: u64,
}

impl<'a> Representation<'a> {
    /// Applies the conditional and range rules, then asks `body` for the bytes to send.
    fn respond(
        self,
        request: &Request<'_>,
        body: impl FnOnce(u64, u64) -> io::Result<Body<'a>>,
    ) -> Response<'a> {
        let last_modified = format_http_date(self.modified);
        if self.not_modified(request) {
            return Response {
                status: 304,
                content_type: None,
                headers: vec![
                    ("ETag", self.etag),
                    ("Last-Modified", Cow::Owned(last_modified)),
                ],
                body: Body::None,
                close: false,
            };
        }
        let range = match request.header("range") {
            Some(value) if request.method() == Method::Get => parse_range(value, self.len),
            _ => RangeRequest::Full,
        };
        let (status, start, len, content_range) = match range {
            RangeRequest::Full => (200, 0, self.len, None),
            RangeRequest::Partial { start, end } => (
                206,
                start,
                end - start + 1,
                Some(format!("bytes {start}-{end}/{}", self.len)),
            ),
            RangeRequest::Unsatisfiable => {
                let mut response = error(416, "no byte of the requested range exists");
                response
                    .headers
                    .push(("Content-Range", Cow::Owned(format!("bytes */{}", self.len))));
                return response;
            }
        };
        let body = match body(start, len) {
            Ok(body) => body,
            Err(err) => return error(500, &format!("reading the file failed: {err}")),
        };
        let mut headers = vec![
            ("ETag", self.etag),
            ("Last-Modified", Cow::Owned(last_modified)),
            ("Accept-Ranges", Cow::Borrowed("bytes")),
        ];
        if let Some(content_range) = content_range {
            headers.push(("Content-Range", Cow::Owned(content_range)));
        }
        Response {
            status,
            content_type: Some(self.content_type),
            headers,
            body,
            close: false,
        }
    }

    /// RFC 9110 §13.2.2: If-None-Match decides when present; otherwise If-Modified-Since,
    /// compared at the one-second resolution of HTTP dates.
    fn not_modified(&self, request: &Request<'_>) -> bool {
        if let Some(tags) = request.header("if-none-match") {
            return if_none_match(tags, &self.etag);
        }
        let Some(since) = request
            .header("if-modified-since")
            .and_then(|value| std::str::from_utf8(value).ok())
            .and_then(parse_http_date)
        else {
            return false;
        };
        unix_seconds(self.modified) <= unix_seconds(since)
    }
}

/// Serves the file `request` names under `root`, if it is really under `root`.
fn static_file<'a>(root: &Path, request: &Request<'_>) -> Response<'a> {
    let safe = match resolve(request.path()) {
        Ok(safe) => safe,
        Err(err) => {
            // A malformed or climbing path is a parse error like any other (the resolver is
            // the parser's): answer, then close, as for every error the parser finds.
            let mut response = error(err.status(), err.reason());
            response.close = true;
            return response;
        }
    };
    let candidate = root.join(safe.to_relative_path());
    // Canonicalising resolves symlinks: a link that leads outside the root is refused here.
    let Ok(mut path) = candidate.canonicalize() else {
        return error(404, "no such file");
    };
    if !path.starts_with(root) {
        return error(404, "no such file");
    }
    if path.is_dir() {
        if !safe.is_dir_request() {
            // Relative links in the index page need the trailing slash.
            let mut response = error(301, "moved to the directory's own address");
            response
                .headers
                .push(("Location", Cow::Owned(format!("{safe}/"))));
            return response;
        }
        path = match path.join("index.html").canonicalize() {
            Ok(index) if index.starts_with(root) => index,
            _ => return error(404, "no index.html in this directory"),
        };
    }
    let (file, meta) = match File::open(&path).and_then(|file| {
        let meta = file.metadata()?;
        Ok((file, meta))
    }) {
        Ok(opened) => opened,
        Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
            return error(403, "the file cannot be read")
        }
        Err(_) => return error(404, "no such file"),
    };
    if !meta.is_file() {
        return error(404, "not a regular file");
    }
    let modified = meta.modified().unwrap_or(UNIX_EPOCH);
    let representation = Representation {
        content_type: content_type(&path),
        etag: Cow::Owned(file_etag(meta.len(), modified)),
        modified,
        len: meta.len(),
    };
    representation.respond(request, move |start, len| {
        Ok(Body::File { file, start, len })
    })
}

/// An error response with a short HTML page; 4xx/5xx responses other than 404 close the
/// connection only where the connection code decides so.
pub(crate) fn error<'a>(status: u16, detail: &str) -> Response<'a> {
    Response {
        status,
        content_type: Some(HTML),
        headers: Vec::new(),
        body: Body::Bytes(Cow::Owned(error_page(status, detail))),
        close: false,
    }
}

/// 503 for a connection the server cannot take now (its queue or its connection cap is full),
/// which then closes: the client may try again in a second.
pub(crate) fn busy<'a>() -> Response<'a> {
    let mut response = error(503, "the server is busy; try again shortly");
    response.headers.push(("Retry-After", Cow::Borrowed("1")));
    response.close = true;
    response
}

/// 405 with the methods that are allowed.
fn method_not_allowed<'a>() -> Response<'a> {
    let mut response = error(405, "this server only serves GET, HEAD and OPTIONS");
    response.headers.push(("Allow", Cow::Borrowed(ALLOW)));
    response
}

/// 204 with the methods that are allowed.
fn options<'a>() -> Response<'a> {
    Response {
        status: 204,
        content_type: None,
        headers: vec![("Allow", Cow::Borrowed(ALLOW))],
        body: Body::None,
        close: false,
    }
}
