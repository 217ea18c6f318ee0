//! The CSS, JavaScript and icon compiled into the binary, as a browser fetches them.

use reqwest::StatusCode;

use crate::support::{html, spawn_app};

/// The values of `attribute="/static/…"` in a page.
fn static_links(page: &str, attribute: &str) -> Vec<String> {
    let marker = format!("{attribute}=\"/static/");
    page.match_indices(&marker)
        .filter_map(|(i, _)| {
            let start = i + attribute.len() + 2;
            page[start..].find('"').map(|end| page[start..start + end].to_string())
        })
        .collect()
}

#[tokio::test]
async fn a_page_links_its_css_and_js_by_hashed_urls_served_for_a_year_with_their_types() {
    let app = spawn_app().await;
    let (status, page) = html(&app.client, app.url("/login")).await;
    assert_eq!(status, StatusCode::OK);
    let mut links = static_links(&page, "href");
    links.extend(static_links(&page, "src"));
    let css: Vec<&String> = links.iter().filter(|l| l.ends_with(".css")).collect();
    let js: Vec<&String> = links.iter().filter(|l| l.ends_with(".js")).collect();
    // One stylesheet; htmx, the page helpers and the keyboard shortcuts.
    let url = |name: &str| aftersales::assets::url(name).to_string();
    assert_eq!(css, [&url("app.css")], "{links:?}");
    let mut expected_js = vec![url("vendor/htmx.min.js"), url("app.js"), url("keyboard.js")];
    expected_js.sort();
    let mut linked_js: Vec<String> = js.iter().map(|l| l.to_string()).collect();
    linked_js.sort();
    assert_eq!(linked_js, expected_js, "{links:?}");
    for link in &links {
        let response = app.client.get(app.url(link)).send().await.expect("asset");
        assert_eq!(response.status(), StatusCode::OK, "{link}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let expected_type = match link.rsplit('.').next() {
            Some("css") => "text/css; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            Some("svg") => "image/svg+xml",
            other => panic!("unexpected asset {other:?}"),
        };
        assert_eq!(header("content-type"), expected_type, "{link}");
        assert_eq!(header("cache-control"), "public, max-age=31536000, immutable", "{link}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{link}");
        // The URL names the content: a file name, then ten hex digits, then the extension.
        let name = link.rsplit('/').next().unwrap_or("");
        let parts: Vec<&str> = name.rsplitn(3, '.').collect();
        assert!(
            parts.len() == 3 && parts[1].len() == 10 && parts[1].chars().all(|c| c.is_ascii_hexdigit()),
            "{link}"
        );
        assert!(!response.bytes().await.expect("body").is_empty(), "{link}");
    }
    // The pages still allow only same-origin scripts and styles, which these are.
    let login = app.client.get(app.url("/login")).send().await.expect("login");
    let csp = login
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
        "{csp}"
    );
}

#[tokio::test]
async fn an_unknown_asset_or_a_stale_hash_is_not_found() {
    let app = spawn_app().await;
    let current = aftersales::assets::url("app.css");
    let stale = format!(
        "{}0000000000.css",
        current
            .trim_end_matches(".css")
            .trim_end_matches(|c: char| c.is_ascii_hexdigit())
    );
    for path in [
        "/static/nothing.css".to_string(),
        "/static/app.css".to_string(),
        stale,
        "/static/vendor/README.md".to_string(),
        "/static/../Cargo.toml".to_string(),
    ] {
        let response = app.client.get(app.url(&path)).send().await.expect("asset");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
