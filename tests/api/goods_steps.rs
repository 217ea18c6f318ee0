//! The goods steps of returns and exchanges (issue 13): the shop's return addresses and the one
//! recorded on approval, the carrier and tracking number of the shipment back, and the
//! inspection checklist with the photos a failed inspection needs — on the API, the ticket page
//! and in the evidence pack.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::evidence::{PNG, upload};
use crate::support::{Desk, desk, html};
use aftersales::auth::Role;

/// Adds a return address to the desk's shop as the supervisor.
pub(crate) async fn add_address(desk: &Desk, label: &str, is_default: bool) -> Value {
    let answer = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/return-addresses", desk.shop),
            &desk.supervisor_token,
            json!({ "label": label, "recipient": "王仓管", "phone": "0571-88886666",
                    "address": format!("浙江省杭州市{label} 1 号"), "is_default": is_default }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body
}

/// A checklist with every item ok but those named.
fn checklist(not_ok: &[&str]) -> Value {
    let mut list = json!({});
    for item in ["tags", "accessories", "seal", "signs_of_use", "quantity"] {
        list[item] = json!(if not_ok.contains(&item) { "not_ok" } else { "ok" });
    }
    list
}

/// Opens a return and moves it through `steps` (each with its extra fields); the last answer.
async fn walk(desk: &Desk, steps: &[(&str, Value)]) -> (i64, Value) {
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let mut version = ticket["version"].as_i64().expect("version");
    let mut last = ticket;
    for (to, extra) in steps {
        let answer = desk.transition(id, to, version, extra.clone()).await;
        assert_eq!(answer.status, StatusCode::OK, "→ {to}: {:?}", answer.body);
        version = answer.body["version"].as_i64().expect("version");
        last = answer.body;
    }
    (id, last)
}

const BOUNDARY: &str = "----goodsboundary";
const BOUNDARY_TYPE: &str = "multipart/form-data; boundary=----goodsboundary";

/// A multipart form as a browser sends it: the text fields, then the file field `photo` (an
/// empty part with no name when no file was chosen).
fn multipart(fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    let content_type = if bytes.is_empty() {
        "application/octet-stream"
    } else {
        "image/png"
    };
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The ticket with its timeline.
async fn ticket(desk: &Desk, id: i64) -> Value {
    let answer = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.body
}

/// The `goods` of the last `status_changed` event to `to`.
fn goods_of(ticket: &Value, to: &str) -> Value {
    ticket["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .rev()
        .find(|e| e["kind"] == "status_changed" && e["data"]["to"] == to)
        .map(|e| e["data"]["goods"].clone())
        .unwrap_or(Value::Null)
}

fn shipped() -> Value {
    json!({ "carrier": "sf", "tracking_no": "SF1234567890123" })
}

#[tokio::test]
async fn return_addresses_keep_exactly_one_default_and_only_supervisors_and_admins_change_them() {
    let desk = desk().await;
    let path = format!("/api/v1/shops/{}/return-addresses", desk.shop);
    let first = add_address(&desk, "杭州仓", false).await;
    assert_eq!(first["is_default"], true, "a shop's first address is its default");
    let second = add_address(&desk, "上海仓", true).await;
    assert_eq!(second["is_default"], true);
    let listed = desk.app.get(&path, &desk.agent_token).await;
    assert_eq!(listed.status, StatusCode::OK, "agents read them to choose one");
    let defaults: Vec<&Value> = listed
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter(|a| a["is_default"] == true)
        .collect();
    assert_eq!(defaults.len(), 1);
    assert_eq!(defaults[0]["id"], second["id"]);

    let made = desk
        .app
        .post(
            &format!("{path}/{}/default", first["id"]),
            &desk.supervisor_token,
            json!({}),
        )
        .await;
    assert_eq!(
        (made.status, made.body["is_default"].clone()),
        (StatusCode::OK, json!(true))
    );
    let archived = desk
        .app
        .post(
            &format!("{path}/{}/archive", first["id"]),
            &desk.supervisor_token,
            json!({}),
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK);
    let listed = desk.app.get(&path, &desk.agent_token).await;
    let live = listed.body.as_array().expect("list");
    assert_eq!(live.len(), 1, "the archived one is not offered");
    assert_eq!(
        (live[0]["id"].clone(), live[0]["is_default"].clone()),
        (second["id"].clone(), json!(true)),
        "archiving the default hands it on"
    );

    let refused = desk
        .app
        .post(
            &path,
            &desk.agent_token,
            json!({ "label": "x", "recipient": "x", "phone": "13800138000", "address": "x" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let bad_phone = desk
        .app
        .post(
            &path,
            &desk.supervisor_token,
            json!({ "label": "x", "recipient": "x", "phone": "call me", "address": "x" }),
        )
        .await;
    assert_eq!(bad_phone.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_phone.body["error"]["details"]["field"], "phone");
    let edited = desk
        .app
        .put(
            &format!("{path}/{}", second["id"]),
            &desk.supervisor_token,
            json!({ "label": "上海新仓", "recipient": "李", "phone": "13800138000", "address": "上海市 2 号" }),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    assert_eq!(
        (edited.body["label"].clone(), edited.body["is_default"].clone()),
        (json!("上海新仓"), json!(true))
    );
}

#[tokio::test]
async fn approving_a_return_records_the_default_address_or_the_one_chosen() {
    let desk = desk().await;
    let home = add_address(&desk, "杭州仓", true).await;
    let other = add_address(&desk, "上海仓", false).await;

    let (id, approved) = walk(&desk, &[("approved", json!({}))]).await;
    let expected = "王仓管 0571-88886666 浙江省杭州市杭州仓 1 号";
    assert_eq!(approved["return_address"], expected, "the default, as text");
    let goods = goods_of(&ticket(&desk, id).await, "approved");
    assert_eq!(goods["step"], "return_address");
    assert_eq!(goods["address_id"], home["id"]);
    assert_eq!(goods["text"], expected);

    let (_, chosen) = walk(&desk, &[("approved", json!({ "return_address": other["id"] }))]).await;
    assert_eq!(chosen["return_address"], "王仓管 0571-88886666 浙江省杭州市上海仓 1 号");

    // The ticket keeps the text it recorded whatever the address becomes.
    let edited = desk
        .app
        .put(
            &format!("/api/v1/shops/{}/return-addresses/{}", desk.shop, home["id"]),
            &desk.supervisor_token,
            json!({ "label": "杭州仓", "recipient": "新人", "phone": "13800138000", "address": "别处" }),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK);
    assert_eq!(ticket(&desk, id).await["return_address"], expected);

    let fresh = desk.open("exchange", "wrong_item").await;
    let unknown = desk
        .transition(
            fresh["id"].as_i64().expect("id"),
            "approved",
            1,
            json!({ "return_address": 999_999 }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["error"]["details"]["field"], "return_address");
}

#[tokio::test]
async fn a_shop_without_a_return_address_approves_without_recording_one() {
    let desk = desk().await;
    let (id, approved) = walk(&desk, &[("approved", json!({}))]).await;
    assert_eq!(approved.get("return_address"), None);
    assert_eq!(goods_of(&ticket(&desk, id).await, "approved"), Value::Null);
}

#[tokio::test]
async fn shipped_back_needs_a_carrier_and_a_tracking_number_of_its_shape() {
    let desk = desk().await;
    let (id, approved) = walk(&desk, &[("approved", json!({}))]).await;
    let version = approved["version"].as_i64().expect("version");

    let no_carrier = desk.transition(id, "buyer_shipped", version, json!({})).await;
    assert_eq!(no_carrier.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_carrier.body["error"]["details"]["field"], "carrier");

    let wrong_shape = desk
        .transition(
            id,
            "buyer_shipped",
            version,
            json!({ "carrier": "sf", "tracking_no": "YT1234567890123" }),
        )
        .await;
    assert_eq!(wrong_shape.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_shape.body["error"]["details"]["field"], "tracking_no");
    assert!(
        wrong_shape.error_message().contains("SF1234567890123"),
        "{}",
        wrong_shape.error_message()
    );

    let unknown_carrier = desk
        .transition(
            id,
            "buyer_shipped",
            version,
            json!({ "carrier": "ups", "tracking_no": "1Z999" }),
        )
        .await;
    assert_eq!(
        unknown_carrier.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        unknown_carrier.body
    );

    let shipped = desk
        .transition(
            id,
            "buyer_shipped",
            version,
            json!({ "carrier": "sf", "tracking_no": "sf 1234 5678 90123" }),
        )
        .await;
    assert_eq!(shipped.status, StatusCode::OK, "{:?}", shipped.body);
    assert_eq!(
        shipped.body["return_shipment"],
        json!({ "carrier": "sf", "tracking_no": "SF1234567890123" }),
        "stored in its shape"
    );
    let goods = goods_of(&ticket(&desk, id).await, "buyer_shipped");
    assert_eq!(
        goods,
        json!({ "step": "shipment", "carrier": "sf", "tracking_no": "SF1234567890123" })
    );

    let client = desk.browser("agent-a").await;
    let (_, page) = html(&client, desk.app.url(&format!("/tickets/{id}"))).await;
    assert!(
        page.contains(r#"<code class="mono" id="tracking-no">SF1234567890123</code>"#),
        "a code"
    );
    assert!(page.contains(r#"data-copy="SF1234567890123""#), "with a copy button");
    assert!(!page.contains("href=\"https://"), "and no link to a carrier");
}

#[tokio::test]
async fn a_move_refuses_goods_details_it_does_not_record() {
    let desk = desk().await;
    let ticket = desk.open("return", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let refused = desk.transition(id, "approved", 1, shipped()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["error"]["details"]["field"], "carrier");
    let refund = desk.open("refund", "quality").await;
    let refused = desk
        .transition(
            refund["id"].as_i64().expect("id"),
            "approved",
            1,
            json!({ "return_address": 1 }),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a refund sends nothing back"
    );
    assert_eq!(refused.body["error"]["details"]["field"], "return_address");
}

#[tokio::test]
async fn a_failed_inspection_without_a_photo_is_refused_and_with_one_is_in_the_timeline_and_the_pack() {
    let desk = desk().await;
    let (id, received) = walk(
        &desk,
        &[
            ("approved", json!({})),
            ("buyer_shipped", shipped()),
            ("received", json!({ "checklist": checklist(&[]) })),
        ],
    )
    .await;
    assert_eq!(
        goods_of(&ticket(&desk, id).await, "received"),
        json!({ "step": "inspection", "checklist": checklist(&[]) }),
        "receipt records the checklist given"
    );
    let version = received["version"].as_i64().expect("version");

    let no_photo = desk
        .transition(
            id,
            "inspection_failed",
            version,
            json!({ "checklist": checklist(&["seal"]) }),
        )
        .await;
    assert_eq!(no_photo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_photo.body["error"]["details"]["field"], "photos");

    let (status, photo) = upload(&desk, &desk.agent_token, id, "封签破损.png", PNG).await;
    assert_eq!(status, StatusCode::CREATED);
    let version = version + 1;
    let all_ok = desk
        .transition(
            id,
            "inspection_failed",
            version,
            json!({ "checklist": checklist(&[]), "photos": [photo["id"]] }),
        )
        .await;
    assert_eq!(all_ok.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(all_ok.body["error"]["details"]["field"], "checklist");
    let no_checklist = desk
        .transition(id, "inspection_failed", version, json!({ "photos": [photo["id"]] }))
        .await;
    assert_eq!(no_checklist.body["error"]["details"]["field"], "checklist");
    let foreign = desk
        .transition(
            id,
            "inspection_failed",
            version,
            json!({ "checklist": checklist(&["seal"]), "photos": [photo["id"].as_i64().expect("id") + 1000] }),
        )
        .await;
    assert_eq!(foreign.body["error"]["details"]["field"], "photos");

    let failed = desk
        .transition(
            id,
            "inspection_failed",
            version,
            json!({ "checklist": checklist(&["seal", "signs_of_use"]), "photos": [photo["id"]] }),
        )
        .await;
    assert_eq!(failed.status, StatusCode::OK, "{:?}", failed.body);
    assert_eq!(failed.body["status"], "inspection_failed");
    assert_eq!(
        goods_of(&ticket(&desk, id).await, "inspection_failed"),
        json!({ "step": "inspection", "checklist": checklist(&["seal", "signs_of_use"]),
                "photos": [{ "evidence": photo["id"], "file_name": "封签破损.png" }] })
    );

    let client = desk.browser("agent-a").await;
    let (_, page) = html(&client, desk.app.url(&format!("/tickets/{id}"))).await;
    assert!(page.contains("封签/包装：不合格"), "the checklist on the timeline");
    let pack = client
        .get(desk.app.url(&format!("/tickets/{id}/evidence-pack")))
        .send()
        .await
        .expect("pack");
    assert_eq!(pack.status(), StatusCode::OK);
    let pack = pack.text().await.expect("text");
    assert!(pack.contains("id=\"inspections\""), "the pack has the inspections");
    assert!(pack.contains("封签/包装") && pack.contains("不合格") && pack.contains("使用痕迹"));
    assert!(pack.contains("封签破损.png"));
    assert!(pack.contains("data:image/png;base64,"), "the photo itself");
}

#[tokio::test]
async fn the_ticket_page_takes_the_inspection_photo_in_the_same_post() {
    let desk = desk().await;
    let (id, received) = walk(
        &desk,
        &[
            ("approved", json!({})),
            ("buyer_shipped", shipped()),
            ("received", json!({})),
        ],
    )
    .await;
    let version = received["version"].as_i64().expect("version").to_string();
    let client = desk.browser("agent-a").await;
    let (_, page) = html(&client, desk.app.url(&format!("/tickets/{id}"))).await;
    assert!(page.contains(r#"enctype="multipart/form-data""#) && page.contains(r#"name="photo""#));
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf")
        .to_string();
    let form = |photo: bool| {
        let fields = [
            ("csrf", csrf.as_str()),
            ("to", "inspection_failed"),
            ("version", version.as_str()),
            ("note", "封签被拆"),
            ("tags", "ok"),
            ("accessories", "ok"),
            ("seal", "not_ok"),
            ("signs_of_use", "ok"),
            ("quantity", "ok"),
        ];
        if photo {
            multipart(&fields, "seal.png", PNG)
        } else {
            multipart(&fields, "", b"")
        }
    };
    let refused = client
        .post(desk.app.url(&format!("/tickets/{id}/inspection?csrf={csrf}")))
        .header("content-type", BOUNDARY_TYPE)
        .body(form(false))
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = refused.text().await.expect("text");
    assert!(refused.contains("验货不通过需至少附一张照片"), "said next to the photo");
    assert!(refused.contains("封签被拆"), "the note as typed");
    let evidence: i64 = sqlx::query_scalar("SELECT count(*) FROM evidence")
        .fetch_one(&desk.app.pool)
        .await
        .expect("count");
    assert_eq!(evidence, 0);

    let accepted = client
        .post(desk.app.url(&format!("/tickets/{id}/inspection?csrf={csrf}")))
        .header("content-type", BOUNDARY_TYPE)
        .body(form(true))
        .send()
        .await
        .expect("post");
    assert!(
        accepted.status().is_success() || accepted.status().is_redirection(),
        "{}",
        accepted.status()
    );
    let after = ticket(&desk, id).await;
    assert_eq!(after["status"], "inspection_failed");
    let goods = goods_of(&after, "inspection_failed");
    assert_eq!(goods["checklist"]["seal"], "not_ok");
    assert_eq!(goods["photos"][0]["file_name"], "seal.png");
}

#[tokio::test]
async fn the_return_address_page_is_for_supervisors_and_admins_and_refuses_in_place() {
    let desk = desk().await;
    let agent = desk.browser("agent-a").await;
    let (status, _) = html(&agent, desk.app.url("/settings/return-addresses")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let supervisor = desk.browser("super-a").await;
    let (status, page) = html(&supervisor, desk.app.url("/settings/return-addresses")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, follow_ups) = html(&supervisor, desk.app.url("/follow-ups")).await;
    assert!(
        follow_ups.contains(r#"href="/settings/return-addresses""#),
        "linked from the supervisor's screen"
    );
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf")
        .to_string();
    let shop = desk.shop.to_string();
    let refused = supervisor
        .post(desk.app.url("/settings/return-addresses"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("shop", shop.as_str()),
            ("label", "杭州仓"),
            ("recipient", "王仓管"),
            ("phone", "电话"),
            ("address", "杭州市 1 号"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = refused.text().await.expect("text");
    assert!(refused.contains("请填写电话号码"), "next to the phone");
    assert!(refused.contains("杭州市 1 号"), "what was typed");
    let saved = supervisor
        .post(desk.app.url("/settings/return-addresses"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("shop", shop.as_str()),
            ("label", "杭州仓"),
            ("recipient", "王仓管"),
            ("phone", "0571-88886666"),
            ("address", "杭州市 1 号"),
        ])
        .send()
        .await
        .expect("post");
    assert!(saved.status().is_success() || saved.status().is_redirection());
    let (_, page) = html(&supervisor, desk.app.url("/settings/return-addresses")).await;
    assert!(page.contains("杭州仓") && page.contains("is-default"));
    let owner = desk.app.user("owner-a", Role::Owner, &[desk.shop]).await;
    let listed = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/return-addresses", desk.shop),
            &owner.1,
            json!({ "label": "x", "recipient": "x", "phone": "13800138000", "address": "x" }),
        )
        .await;
    assert_eq!(listed.status, StatusCode::FORBIDDEN, "owners read, never change");
}
