//! Evidence files: photos and PDFs attached, served and packed; refused files leave nothing
//! behind; a form without its file is refused naming what to send.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Desk, browser, desk, html, timeline_kinds};
use aftersales::auth::Role;

/// A one-pixel PNG.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\x04\0\x09\xfb\x03\xfd\xe3U\xf2\x9c\0\0\0\0IEND\xaeB`\x82";

/// A multipart body with one file field `file`: its content type and bytes.
fn multipart(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----evidenceboundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads a file as evidence of ticket `id` through the API: the status and JSON answer.
pub async fn upload(desk: &Desk, token: &str, id: i64, name: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let (content_type, body) = multipart(name, bytes);
    let response = desk
        .app
        .client
        .post(desk.app.url(&format!("/api/v1/tickets/{id}/evidence")))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// How many evidence files are stored.
async fn evidence_rows(desk: &Desk) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM evidence")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn photos_are_attached_served_and_packed_and_refused_files_leave_nothing_behind() {
    let desk = desk().await;
    let ticket = desk.open("return", "damaged").await;
    let id = ticket["id"].as_i64().expect("id");
    let (status, evidence) = upload(&desk, &desk.agent_token, id, "破损照片.png", PNG).await;
    assert_eq!(status, StatusCode::CREATED, "{evidence:?}");
    assert_eq!(evidence["content_type"], "image/png");
    assert_eq!(evidence["file_name"], "破损照片.png");

    let client = browser(&desk.app, "agent-a").await;
    let file = client
        .get(desk.app.url(&format!("/tickets/{id}/evidence/{}", evidence["id"])))
        .send()
        .await
        .expect("get");
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("inline;")
    );
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");
    assert_eq!(file.bytes().await.expect("bytes").as_ref(), PNG);

    let before = evidence_rows(&desk).await;
    let version_before = desk
        .app
        .get(&format!("/api/v1/tickets/{id}"), &desk.agent_token)
        .await
        .body["version"]
        .clone();
    let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
    big.resize(5 * 1024 * 1024 + 1, 7);
    let (status, refused) = upload(&desk, &desk.agent_token, id, "huge.jpg", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(refused["error"]["code"], "evidence_too_large");
    assert!(refused["error"]["message"].as_str().expect("message").contains("5 MB"));
    let (status, refused) = upload(&desk, &desk.agent_token, id, "photo.jpg", b"MZ\x90\0 not a photo").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(refused["error"]["message"].as_str().expect("message").contains("JPEG"));
    assert_eq!(evidence_rows(&desk).await, before, "nothing half-stored");
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(after.body["version"], version_before);
    assert_eq!(
        timeline_kinds(&after.body)
            .iter()
            .filter(|k| *k == "evidence_added")
            .count(),
        1
    );

    // The page: thumbnails, the upload form with its token, the refusal explained in place.
    let page = html(&client, desk.app.url(&format!("/tickets/{id}"))).await.1;
    assert!(page.contains("class=\"evidence-thumb\"") && page.contains("enctype=\"multipart/form-data\""));
    let (content_type, body) = multipart("a.gif", b"GIF89a....");
    let refused = client
        .post(desk.app.url(&format!("/tickets/{id}/evidence")))
        .header("HX-Request", "true")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::OK);
    assert!(
        refused
            .text()
            .await
            .expect("text")
            .contains("只接受 JPEG、PNG、WebP 照片或 PDF")
    );
    let (content_type, body) = multipart("b.png", PNG);
    let unprotected =
        crate::support::browser_with(&desk.app, &crate::support::sign_in(&desk.app, "agent-a").await.0, None)
            .post(desk.app.url(&format!("/tickets/{id}/evidence")))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("post");
    assert_eq!(
        unprotected.status(),
        StatusCode::FORBIDDEN,
        "a form without the CSRF token"
    );
    assert_eq!(evidence_rows(&desk).await, before);

    let pack = client
        .get(desk.app.url(&format!("/tickets/{id}/evidence-pack")))
        .send()
        .await
        .expect("get");
    assert_eq!(pack.status(), StatusCode::OK);
    assert!(
        pack.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("attachment")
    );
    let pack = pack.text().await.expect("text");
    assert!(
        pack.contains("data:image/png;base64,iVBORw0KGgo") && pack.contains("规则判定") && pack.contains("上传了凭证")
    );
    assert!(!pack.contains("<script"));

    let (_, owner) = desk.app.user("owner-a", Role::Owner, &[desk.shop]).await;
    assert_eq!(upload(&desk, &owner, id, "x.png", PNG).await.0, StatusCode::FORBIDDEN);
    let other = desk.app.shop("shop-b").await;
    let (_, foreign) = desk.app.user("agent-b", Role::Agent, &[other]).await;
    assert_eq!(upload(&desk, &foreign, id, "x.png", PNG).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        desk.app
            .get(&format!("/api/v1/tickets/{id}/evidence"), &foreign)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let listed = desk.app.get(&format!("/api/v1/tickets/{id}/evidence"), &owner).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_evidence_form_without_its_file_or_not_multipart_is_refused_naming_what_to_send() {
    let desk = desk().await;
    let ticket = desk.open("return", "damaged").await;
    let id = ticket["id"].as_i64().expect("id");
    let post = |content_type: &'static str, body: &'static str| {
        desk.app
            .client
            .post(desk.app.url(&format!("/api/v1/tickets/{id}/evidence")))
            .bearer_auth(&desk.agent_token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let no_file = post(
        "multipart/form-data; boundary=B",
        "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--B--\r\n",
    )
    .await
    .expect("post");
    assert_eq!(no_file.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let no_file: Value = no_file.json().await.expect("json");
    assert_eq!(no_file["error"]["code"], "invalid_field");
    assert_eq!(no_file["error"]["details"]["field"], "file");
    assert_eq!(
        no_file["error"]["message"],
        "file: The form has no file; choose a photo or PDF to attach."
    );
    let plain = post("text/plain", "a photo").await.expect("post");
    assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
    let plain: Value = plain.json().await.expect("json");
    assert!(
        plain["error"]["message"]
            .as_str()
            .expect("message")
            .contains("multipart/form-data"),
        "{plain}"
    );
    let cut = post(
        "multipart/form-data; boundary=B",
        "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n\u{89}PNG",
    )
    .await
    .expect("post");
    assert_eq!(cut.status(), StatusCode::BAD_REQUEST);
    assert_eq!(evidence_rows(&desk).await, 0, "nothing stored");
}
