//! The CSS, JavaScript and icon of `static/`, compiled into the binary so that the binary alone
//! is the whole application. Each file is served under a URL carrying a hash of its content
//! (`/static/app.3f2a9c1b70.css`), cached by browsers for a year: a new release changes the hash,
//! so nobody keeps an old file. Templates link them through [`url`] (`layout.asset(…)`).
//!
//! The files are listed by hand with `include_bytes!` rather than through an embedding crate: the
//! list is short, a unit test checks it against the directory, and `include_bytes!` makes cargo
//! rebuild when a file changes — nothing else is needed.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// A file of `static/` as compiled in: its path below `static/` and its bytes.
struct File {
    name: &'static str,
    bytes: &'static [u8],
}

macro_rules! file {
    ($name:literal) => {
        File {
            name: $name,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/static/", $name)),
        }
    };
}

/// Every file the pages link. (`styleguide.html` is a design reference opened from the source
/// tree, and `vendor/README.md` documents the vendored file; neither is served.)
const FILES: [File; 7] = [
    file!("app.css"),
    file!("app.js"),
    file!("keyboard.js"),
    file!("live.js"),
    file!("new_ticket.js"),
    file!("favicon.svg"),
    file!("vendor/htmx.min.js"),
];

/// How long browsers and proxies may keep a hashed file: it never changes under its URL.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// A file ready to serve.
struct Asset {
    name: &'static str,
    /// `/static/<stem>.<hash>.<ext>`.
    url: String,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// The files with their hashed URLs, computed once (a few hundred microseconds at start-up).
static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|file| Asset {
            name: file.name,
            url: hashed_url(file.name, file.bytes),
            content_type: content_type(file.name),
            bytes: file.bytes,
        })
        .collect()
});

/// `/static/app.css` → `/static/app.<first 10 hex digits of SHA-256>.css`.
fn hashed_url(name: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    match name.rsplit_once('.') {
        Some((stem, extension)) => format!("/static/{stem}.{hash}.{extension}"),
        None => format!("/static/{name}.{hash}"),
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// The URL to link a file of `static/` by, e.g. `url("app.css")` → `/static/app.3f2a9c1b70.css`.
/// A name that is not compiled in gives a URL that answers 404 (the page tests catch it).
pub fn url(name: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|asset| asset.name == name)
        .map(|asset| asset.url.as_str())
        .unwrap_or("/static/missing")
}

/// `GET /static/{*path}`: a compiled-in file by its hashed URL; anything else is 404.
pub async fn serve(Path(path): Path<String>) -> Response {
    let wanted = format!("/static/{path}");
    let Some(asset) = ASSETS.iter().find(|asset| asset.url == wanted) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL)),
        ],
        asset.bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_css_js_and_svg_file_of_static_is_compiled_in() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
        let mut on_disk = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("read static/") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "css" || e == "js" || e == "svg") {
                    let relative = path.strip_prefix(&root).expect("below static/");
                    on_disk.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        on_disk.sort();
        let mut compiled: Vec<String> = FILES.iter().map(|f| f.name.to_string()).collect();
        compiled.sort();
        assert_eq!(compiled, on_disk);
    }

    #[test]
    fn a_url_carries_the_content_hash_before_the_extension() {
        assert_eq!(
            hashed_url("vendor/htmx.min.js", b"x"),
            "/static/vendor/htmx.min.2d711642b7.js"
        );
        assert!(url("app.css").starts_with("/static/app.") && url("app.css").ends_with(".css"));
        assert_eq!(url("nothing.css"), "/static/missing");
    }
}
