//! The working-day calendar through the API and the calculator page: the DOMAIN.md worked
//! deadlines, unknown years, an admin replacing, adding and removing a year (used at once),
//! and what agents may and may not do.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Answer, Desk, desk, html};
use aftersales::auth::Role;

/// `GET /api/v1/calendar/deadline` as the agent; `from` is percent-encoded here.
async fn deadline(desk: &Desk, from: &str, working_days: i64) -> Answer {
    desk.app
        .get(
            &format!(
                "/api/v1/calendar/deadline?from={}&working_days={working_days}",
                from.replace('+', "%2B")
            ),
            &desk.agent_token,
        )
        .await
}

fn counted_dates(answer: &Answer) -> Vec<String> {
    answer.body["days"]
        .as_array()
        .expect("days")
        .iter()
        .filter(|d| d["counted"] == true)
        .map(|d| d["date"].as_str().unwrap_or("").to_string())
        .collect()
}

fn day<'a>(answer: &'a Answer, date: &str) -> &'a Value {
    answer.body["days"]
        .as_array()
        .expect("days")
        .iter()
        .find(|d| d["date"] == date)
        .unwrap_or_else(|| panic!("{date} in {:?}", answer.body))
}

/// A made-up 2027 schedule: New Year's Day, a Spring Festival week with one make-up Sunday.
fn schedule_2027() -> Value {
    let mut days = vec![json!({ "date": "2027-01-01", "is_off_day": true, "name": "元旦" })];
    for d in 6..=12 {
        days.push(json!({ "date": format!("2027-02-{d:02}"), "is_off_day": true, "name": "春节" }));
    }
    days.push(json!({ "date": "2027-02-14", "is_off_day": false, "name": "春节" }));
    json!({ "days": days, "source": "测试用 2027 年安排" })
}

/// An admin of the desk's app, with an API token.
async fn admin(desk: &Desk) -> String {
    desk.app.user("admin-a", Role::Admin, &[]).await.1
}

async fn delete(desk: &Desk, path: &str, token: &str) -> StatusCode {
    desk.app
        .client
        .delete(desk.app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("delete")
        .status()
}

// --- the deadline calculator ---

#[tokio::test]
async fn four_working_days_from_a_monday_morning_end_at_midnight_after_friday() {
    let desk = desk().await;
    let answer = deadline(&desk, "2025-03-10T10:00:00+08:00", 4).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["deadline"], "2025-03-15T00:00:00+08:00");
    assert_eq!(answer.body["last_day"], "2025-03-14");
    assert_eq!(answer.body["working_days"], 4);
    assert_eq!(answer.body["from"], "2025-03-10T10:00:00+08:00");
    assert_eq!(answer.body["time_zone"], "Asia/Shanghai");
    assert_eq!(
        counted_dates(&answer),
        ["2025-03-11", "2025-03-12", "2025-03-13", "2025-03-14"]
    );
}

#[tokio::test]
async fn four_working_days_from_the_friday_before_spring_festival_count_the_make_up_sunday_and_skip_the_holiday() {
    let desk = desk().await;
    let answer = deadline(&desk, "2025-01-24T16:00:00+08:00", 4).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["last_day"], "2025-02-06");
    assert_eq!(answer.body["deadline"], "2025-02-07T00:00:00+08:00");
    assert_eq!(
        counted_dates(&answer),
        ["2025-01-26", "2025-01-27", "2025-02-05", "2025-02-06"]
    );
    let sunday = day(&answer, "2025-01-26");
    assert_eq!(sunday["kind"], "make_up_workday");
    assert_eq!(sunday["name"], "春节");
    assert_eq!(day(&answer, "2025-01-25")["kind"], "weekend");
    assert_eq!(day(&answer, "2025-01-29")["kind"], "holiday");
    assert_eq!(day(&answer, "2025-01-29")["counted"], false);
}

#[tokio::test]
async fn the_same_instant_given_in_utc_gives_the_same_deadline() {
    let desk = desk().await;
    let answer = deadline(&desk, "2025-03-10T02:00:00Z", 4).await;
    assert_eq!(answer.body["deadline"], "2025-03-15T00:00:00+08:00");
    assert_eq!(answer.body["from"], "2025-03-10T10:00:00+08:00");
}

#[tokio::test]
async fn zero_working_days_end_at_midnight_after_the_day_of_application() {
    let desk = desk().await;
    let answer = deadline(&desk, "2025-10-01T09:00:00+08:00", 0).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["last_day"], "2025-10-01");
    assert_eq!(answer.body["deadline"], "2025-10-02T00:00:00+08:00");
    assert_eq!(answer.body["days"], json!([]));
}

#[tokio::test]
async fn a_make_up_sunday_is_counted_as_a_working_day() {
    let desk = desk().await;
    // Saturday 2025-09-27; Sunday 09-28 is worked before the National Day holiday.
    let answer = deadline(&desk, "2025-09-27T10:00:00+08:00", 1).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["last_day"], "2025-09-28");
    assert_eq!(answer.body["deadline"], "2025-09-29T00:00:00+08:00");
    assert_eq!(day(&answer, "2025-09-28")["kind"], "make_up_workday");
}

#[tokio::test]
async fn an_unencoded_plus_in_the_offset_is_still_understood() {
    let desk = desk().await;
    let answer = desk
        .app
        .get(
            "/api/v1/calendar/deadline?from=2025-03-10T10:00:00+08:00&working_days=4",
            &desk.agent_token,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["last_day"], "2025-03-14");
}

#[tokio::test]
async fn a_deadline_reaching_a_year_without_data_counts_weekdays_there_and_says_it_is_provisional() {
    let desk = desk().await;
    for (from, last_day, year) in [
        // Wed 2026-12-30 → 12-31, Fri 2027-01-01 (a working day, provisionally), 01-04, 01-05.
        ("2026-12-30T10:00:00+08:00", "2027-01-05", 2027),
        ("2028-03-01T10:00:00+08:00", "2028-03-07", 2028),
        ("2023-12-20T10:00:00+08:00", "2023-12-26", 2023),
    ] {
        let answer = deadline(&desk, from, 4).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        assert_eq!(answer.body["last_day"], last_day);
        assert_eq!(answer.body["provisional_year"], year);
    }
    // Inside the known years nothing is provisional.
    let exact = deadline(&desk, "2026-12-24T10:00:00+08:00", 4).await;
    assert_eq!(exact.body["last_day"], "2026-12-30");
    assert_eq!(exact.body["provisional_year"], Value::Null);
}

#[tokio::test]
async fn a_malformed_from_is_400_naming_the_parameter() {
    let desk = desk().await;
    for from in ["yesterday", "2025-03-10", "2025-03-10T10:00:00", "2025-02-30T10:00:00Z"] {
        let answer = deadline(&desk, from, 4).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{from}");
        assert!(answer.error_message().starts_with("from:"), "{:?}", answer.body);
    }
    let missing = desk
        .app
        .get("/api/v1/calendar/deadline?working_days=4", &desk.agent_token)
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing.error_message().contains("from"), "{:?}", missing.body);
}

#[tokio::test]
async fn working_days_outside_0_to_60_are_400_naming_the_parameter() {
    let desk = desk().await;
    assert_eq!(
        deadline(&desk, "2025-03-10T10:00:00+08:00", 60).await.status,
        StatusCode::OK
    );
    for n in ["61", "-1", "four"] {
        let answer = desk
            .app
            .get(
                &format!("/api/v1/calendar/deadline?from=2025-03-10T10:00:00%2B08:00&working_days={n}"),
                &desk.agent_token,
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{n}");
        assert!(answer.error_message().contains("working_days"), "{:?}", answer.body);
    }
}

#[tokio::test]
async fn the_calendar_api_needs_a_signed_in_user() {
    let desk = desk().await;
    for path in [
        "/api/v1/calendar/deadline?from=2025-03-10T10:00:00%2B08:00&working_days=4",
        "/api/v1/calendar/years",
        "/api/v1/calendar/years/2025",
    ] {
        let response = desk.app.client.get(desk.app.url(path)).send().await.expect("get");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

// --- the years ---

#[tokio::test]
async fn the_seeded_years_are_listed_with_their_counts_and_days() {
    let desk = desk().await;
    let years = desk.app.get("/api/v1/calendar/years", &desk.agent_token).await;
    assert_eq!(years.status, StatusCode::OK);
    let list: Vec<(i64, i64, i64)> = years
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|y| {
            (
                y["year"].as_i64().unwrap_or(0),
                y["holidays"].as_i64().unwrap_or(0),
                y["make_up_days"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(list, [(2024, 28, 8), (2025, 28, 5), (2026, 33, 6)]);
    assert!(
        years.body[1]["source"]
            .as_str()
            .is_some_and(|s| s.contains("holiday-cn") && s.contains("gov.cn")),
        "{:?}",
        years.body
    );
    let year = desk.app.get("/api/v1/calendar/years/2025", &desk.agent_token).await;
    assert_eq!(year.status, StatusCode::OK);
    assert_eq!(year.body["days"].as_array().map(Vec::len), Some(33));
    assert_eq!(
        year.body["days"][1],
        json!({ "date": "2025-01-26", "is_off_day": false, "name": "春节" })
    );
    let unknown = desk.app.get("/api/v1/calendar/years/2030", &desk.agent_token).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_adds_2027_and_deadlines_use_it_at_once_with_its_make_up_day() {
    let desk = desk().await;
    let admin = admin(&desk).await;
    // Friday before the made-up Spring Festival week.
    let before = deadline(&desk, "2027-02-05T10:00:00+08:00", 4).await;
    assert_eq!(
        before.body["provisional_year"], 2027,
        "weekends only before it is added"
    );
    assert_eq!(before.body["last_day"], "2027-02-11");

    let put = desk
        .app
        .put("/api/v1/calendar/years/2027", &admin, schedule_2027())
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["year"], 2027);
    assert_eq!(put.body["days"].as_array().map(Vec::len), Some(9));

    let after = deadline(&desk, "2027-02-05T10:00:00+08:00", 4).await;
    assert_eq!(after.status, StatusCode::OK, "{:?}", after.body);
    assert_eq!(
        counted_dates(&after),
        ["2027-02-14", "2027-02-15", "2027-02-16", "2027-02-17"]
    );
    assert_eq!(after.body["deadline"], "2027-02-18T00:00:00+08:00");
    assert_eq!(day(&after, "2027-02-14")["kind"], "make_up_workday");

    // 2028 is still unknown.
    let into_2028 = deadline(&desk, "2027-12-28T10:00:00+08:00", 4).await;
    assert_eq!(into_2028.status, StatusCode::OK);
    assert_eq!(into_2028.body["provisional_year"], 2028);

    let years = desk.app.get("/api/v1/calendar/years", &desk.agent_token).await;
    assert_eq!(years.body[3]["year"], 2027);
    assert_eq!(years.body[3]["holidays"], 8);
    assert_eq!(years.body[3]["make_up_days"], 1);
    assert_eq!(years.body[3]["source"], "测试用 2027 年安排");
}

#[tokio::test]
async fn replacing_a_year_drops_the_dates_it_no_longer_lists() {
    let desk = desk().await;
    let admin = admin(&desk).await;
    let put = desk
        .app
        .put("/api/v1/calendar/years/2027", &admin, schedule_2027())
        .await;
    assert_eq!(put.status, StatusCode::OK);
    let only_new_year =
        json!({ "days": [{ "date": "2027-01-01", "is_off_day": true, "name": "元旦" }], "source": "更正" });
    let put = desk.app.put("/api/v1/calendar/years/2027", &admin, only_new_year).await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    let year = desk.app.get("/api/v1/calendar/years/2027", &desk.agent_token).await;
    assert_eq!(year.body["days"].as_array().map(Vec::len), Some(1));
    assert_eq!(year.body["source"], "更正");
    // 02-08..02-12 are ordinary weekdays now.
    let answer = deadline(&desk, "2027-02-05T10:00:00+08:00", 4).await;
    assert_eq!(answer.body["last_day"], "2027-02-11");
}

#[tokio::test]
async fn a_holiday_cn_year_file_is_accepted_as_published() {
    let desk = desk().await;
    let admin = admin(&desk).await;
    let file = json!({
        "$schema": "https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/schema.json",
        "year": 2027,
        "papers": ["https://www.gov.cn/example-2027"],
        "days": [
            { "name": "元旦", "date": "2027-01-01", "isOffDay": true },
            { "name": "春节", "date": "2027-02-14", "isOffDay": false }
        ]
    });
    let put = desk.app.put("/api/v1/calendar/years/2027", &admin, file.clone()).await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["source"], "holiday-cn: https://www.gov.cn/example-2027");
    assert_eq!(put.body["days"][1]["is_off_day"], false);
    let wrong_address = desk.app.put("/api/v1/calendar/years/2028", &admin, file).await;
    assert_eq!(wrong_address.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_address.body["error"]["details"]["field"], "year");
}

#[tokio::test]
async fn only_an_admin_changes_the_calendar() {
    let desk = desk().await;
    let put = desk
        .app
        .put("/api/v1/calendar/years/2027", &desk.supervisor_token, schedule_2027())
        .await;
    assert_eq!(put.status, StatusCode::FORBIDDEN);
    assert_eq!(put.error_code(), "forbidden");
    assert_eq!(
        delete(&desk, "/api/v1/calendar/years/2025", &desk.agent_token).await,
        StatusCode::FORBIDDEN
    );
    let years = desk.app.get("/api/v1/calendar/years", &desk.agent_token).await;
    assert_eq!(years.body.as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn wrong_dates_are_refused_naming_each_one_and_nothing_changes() {
    let desk = desk().await;
    let admin = admin(&desk).await;
    let bad = json!({
        "source": "x",
        "days": [
            { "date": "2026-01-01", "is_off_day": true, "name": "元旦" },
            { "date": "2025-12-31", "is_off_day": true, "name": "元旦" },
            { "date": "2026-01-01", "is_off_day": true, "name": "元旦" },
            { "date": "2026-05-01", "is_off_day": true, "name": "劳".repeat(51) },
            { "date": "2026-02-09", "is_off_day": false, "name": "春节" }
        ]
    });
    let answer = desk.app.put("/api/v1/calendar/years/2026", &admin, bad).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["error"]["details"]["field"], "days");
    let message = answer.error_message();
    for part in [
        "days[1]: 2025-12-31 is not in 2026",
        "days[2]: 2026-01-01 is listed twice (first at days[0])",
        "days[3]",
        "at most 50",
        "days[4]: 2026-02-09 is a Mon",
        "nothing was stored",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
    let unreadable = desk
        .app
        .put(
            "/api/v1/calendar/years/2026",
            &admin,
            json!({ "source": "x", "days": [{ "date": "2026-02-30", "is_off_day": true }] }),
        )
        .await;
    assert_eq!(unreadable.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unreadable.error_message().contains("days[0].date"),
        "{:?}",
        unreadable.body
    );
    let no_source = desk
        .app
        .put(
            "/api/v1/calendar/years/2026",
            &admin,
            json!({ "days": [{ "date": "2026-01-01", "is_off_day": true }] }),
        )
        .await;
    assert_eq!(no_source.body["error"]["details"]["field"], "source");
    let year = desk.app.get("/api/v1/calendar/years/2026", &desk.agent_token).await;
    assert_eq!(year.body["days"].as_array().map(Vec::len), Some(39));
    let answer = deadline(&desk, "2026-02-13T10:00:00+08:00", 1).await;
    assert_eq!(answer.status, StatusCode::OK, "the 2026 calendar still works");
}

#[tokio::test]
async fn an_admin_removes_a_year_and_deadlines_into_it_are_provisional_again() {
    let desk = desk().await;
    let admin = admin(&desk).await;
    assert_eq!(
        delete(&desk, "/api/v1/calendar/years/2026", &admin).await,
        StatusCode::NO_CONTENT
    );
    let answer = deadline(&desk, "2026-03-02T10:00:00+08:00", 4).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["provisional_year"], 2026);
    assert_eq!(
        delete(&desk, "/api/v1/calendar/years/2026", &admin).await,
        StatusCode::NOT_FOUND
    );
    let year = desk.app.get("/api/v1/calendar/years/2026", &desk.agent_token).await;
    assert_eq!(year.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_seeded_tables_describe_the_same_calendar_as_the_bundled_holiday_cn_files() {
    let app = crate::support::spawn_app().await;
    let loaded = aftersales::calendar::load(&app.pool).await.expect("loads");
    assert_eq!(loaded, aftersales::rules::calendar::Calendar::bundled());
}

#[tokio::test]
async fn two_admins_saving_the_same_year_at_once_leave_one_whole_schedule() {
    let app = crate::support::spawn_app().await;
    let day = |date: &str, name: &str| aftersales::calendar::CalendarDay {
        date: date.parse().expect("date"),
        is_off_day: true,
        name: name.into(),
    };
    let first = vec![day("2027-01-01", "元旦"), day("2027-05-03", "劳动节")];
    let second = vec![day("2027-10-01", "国庆节")];
    let (a, b) = tokio::join!(
        aftersales::calendar::replace_year(&app.pool, 2027, &first, "a"),
        aftersales::calendar::replace_year(&app.pool, 2027, &second, "b"),
    );
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    let stored = aftersales::calendar::year(&app.pool, 2027)
        .await
        .expect("reads")
        .expect("known");
    let expected = if stored.source == "a" { first } else { second };
    assert_eq!(stored.days, expected);
}

// --- the page ---

#[tokio::test]
async fn the_calculator_page_shows_the_domain_deadlines_and_the_days_counted() {
    let desk = desk().await;
    let agent = desk.browser("agent-a").await;
    let (status, page) = html(&agent, desk.app.url("/calendar?from=2025-03-10T10%3A00&working_days=4")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("lang=\"zh-CN\"") && page.contains("工作日截止计算"));
    assert!(page.contains("2025-03-14（周五）24:00"), "{page}");
    assert!(page.contains("datetime=\"2025-03-15T00:00:00+08:00\""));
    assert!(page.contains("value=\"2025-03-10T10:00\""), "the form keeps the input");

    let (_, page) = html(&agent, desk.app.url("/calendar?from=2025-01-24T16%3A00&working_days=4")).await;
    assert!(page.contains("2025-02-06（周四）24:00"), "{page}");
    assert!(page.contains("调休上班 · 春节"));
    assert!(page.contains("法定节假日 · 春节"));
    assert!(page.contains("第 4 个工作日"));
    assert!(page.contains("跳过 8 天"), "the holiday week is one row");
}

#[tokio::test]
async fn htmx_gets_only_the_calculator_result() {
    let desk = desk().await;
    let agent = desk.browser("agent-a").await;
    let response = agent
        .get(
            desk.app
                .url("/calendar?from=2025-03-10T10%3A00%3A00%2B08%3A00&working_days=4"),
        )
        .header("hx-request", "true")
        .header("hx-target", "calendar-result")
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::OK);
    let fragment = response.text().await.expect("text");
    assert!(fragment.starts_with("<div id=\"calendar-result\""), "{fragment}");
    assert!(!fragment.contains("<html"));
    assert!(fragment.contains("2025-03-14"));
}

#[tokio::test]
async fn the_page_says_a_deadline_into_a_year_without_data_is_provisional() {
    let desk = desk().await;
    let agent = desk.browser("agent-a").await;
    let (status, page) = html(&agent, desk.app.url("/calendar?from=2026-12-30T10%3A00&working_days=4")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("2027-01-05"), "{page}");
    assert!(
        page.contains("id=\"calc-provisional\"") && page.contains("2027 年法定节假日尚未录入，按周末计算"),
        "{page}"
    );
    let (_, page) = html(&agent, desk.app.url("/calendar?from=nope&working_days=4")).await;
    assert!(page.contains("请填写申请时间"));
}

#[tokio::test]
async fn the_page_lists_each_years_holidays_and_make_up_days_without_admin_forms_for_agents() {
    let desk = desk().await;
    let agent = desk.browser("agent-a").await;
    let (status, page) = html(&agent, desk.app.url("/calendar")).await;
    assert_eq!(status, StatusCode::OK);
    for year in ["2024 年", "2025 年", "2026 年"] {
        assert!(page.contains(year), "{year}");
    }
    assert!(page.contains("放假 28 天，调休上班 5 天"));
    assert!(page.contains("01-28 – 02-04"), "a holiday run is one row");
    assert!(page.contains("国庆节、中秋节"));
    assert!(!page.contains("action=\"/calendar/years"));
}

#[tokio::test]
async fn the_calendar_page_needs_a_session() {
    let desk = desk().await;
    let response = desk
        .app
        .client
        .get(desk.app.url("/calendar"))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/login?next=/calendar");
}

#[tokio::test]
async fn an_admin_adds_a_year_from_the_page_and_it_is_used_at_once() {
    let desk = desk().await;
    desk.app.user("admin-a", Role::Admin, &[]).await;
    let admin = desk.browser("admin-a").await;
    let (_, page) = html(&admin, desk.app.url("/calendar")).await;
    assert!(page.contains("action=\"/calendar/years\""));
    assert!(page.contains("2025-01-26 work 春节"), "the year's text is editable");

    let text = "# 2027\n2027-01-01 off 元旦\n2027-02-06 off 春节\n2027-02-07 休 春节\n2027-02-08 off 春节\n2027-02-14 work 春节\n";
    let response = admin
        .post(desk.app.url("/calendar/years"))
        .form(&[("year", "2027"), ("source", "测试通知"), ("days", text)])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/calendar?saved=2027#year-2027");
    let (_, page) = html(&admin, desk.app.url("/calendar?saved=2027")).await;
    assert!(page.contains("2027 年的节假日安排已保存"), "{page}");

    // Friday 2027-02-05: 02-06..08 off, then 02-09, 02-10, 02-11, 02-12.
    let answer = deadline(&desk, "2027-02-05T10:00:00+08:00", 4).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["last_day"], "2027-02-12");
    // Friday 2027-02-12: 02-13 Saturday off, Sunday 02-14 worked.
    let answer = deadline(&desk, "2027-02-12T10:00:00+08:00", 1).await;
    assert_eq!(answer.body["last_day"], "2027-02-14");

    let again = admin
        .post(desk.app.url("/calendar/years"))
        .form(&[("year", "2027"), ("source", "x"), ("days", text)])
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().await.expect("text").contains("2027 年已存在"));
}

#[tokio::test]
async fn a_bad_line_on_the_page_is_refused_naming_the_line_keeping_the_text_and_storing_nothing() {
    let desk = desk().await;
    desk.app.user("admin-a", Role::Admin, &[]).await;
    let admin = desk.browser("admin-a").await;
    let text = "2026-01-01 off 元旦\n2026-02-30 off 春节\n2026-02-09 work 春节\n2025-12-31 off 元旦";
    let response = admin
        .post(desk.app.url("/calendar/years/2026"))
        .form(&[("source", "更正"), ("days", text)])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("text");
    assert!(page.contains("第 2 行：“2026-02-30”不是日期"), "{page}");
    assert!(page.contains("2026-02-30 off 春节"), "the admin's text is kept");

    // Once every line reads, the dates themselves are checked, still by line.
    let text = "2026-01-01 off 元旦\n\n2026-02-09 work 春节\n2025-12-31 off 元旦";
    let response = admin
        .post(desk.app.url("/calendar/years/2026"))
        .form(&[("source", "更正"), ("days", text)])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("text");
    assert!(page.contains("第 3 行：2026-02-09 是周一"), "{page}");
    assert!(page.contains("第 4 行：2025-12-31 不在 2026 年内"), "{page}");

    let year = desk.app.get("/api/v1/calendar/years/2026", &desk.agent_token).await;
    assert_eq!(year.body["days"].as_array().map(Vec::len), Some(39));
    assert_ne!(year.body["source"], "更正");
}

#[tokio::test]
async fn an_agent_cannot_use_the_admin_forms() {
    let desk = desk().await;
    let agent = desk.browser("agent-a").await;
    let response = agent
        .post(desk.app.url("/calendar/years/2026"))
        .form(&[("source", "x"), ("days", "2026-01-01 off 元旦")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.expect("text").contains("没有权限"));
    let response = agent
        .post(desk.app.url("/calendar/years/2026/delete"))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let year = desk.app.get("/api/v1/calendar/years/2026", &desk.agent_token).await;
    assert_eq!(year.body["days"].as_array().map(Vec::len), Some(39));
}

#[tokio::test]
async fn an_admin_removes_a_year_from_the_page() {
    let desk = desk().await;
    desk.app.user("admin-a", Role::Admin, &[]).await;
    let admin = desk.browser("admin-a").await;
    let response = admin
        .post(desk.app.url("/calendar/years/2024/delete"))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/calendar?deleted=2024");
    let answer = deadline(&desk, "2024-03-04T10:00:00+08:00", 1).await;
    assert_eq!(answer.body["provisional_year"], 2024);
}

// --- a year whose holiday schedule is not loaded yet ---

/// The 2027 schedule in the holiday-cn layout (a test fixture: its dates are made up).
const FIXTURE_2027: &str = include_str!("../fixtures/holiday-cn-2027-test.json");

/// A desk standing at `now` (RFC 3339).
async fn desk_at(now: &str) -> Desk {
    crate::support::desk_at(chrono::DateTime::parse_from_rfc3339(now).expect("instant").to_utc()).await
}

#[tokio::test]
async fn platform_intervention_without_2027_gets_a_provisional_deadline_that_loading_2027_recounts() {
    // Monday 2026-12-28: four working days reach into 2027, whose schedule is not loaded.
    let desk = desk_at("2026-12-28T10:00:00+08:00").await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let rejected = desk
        .transition(id, "rejected", 1, json!({ "rejection_reason": "missing_evidence" }))
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{:?}", rejected.body);
    let platform = desk.transition(id, "platform_intervention", 2, json!({})).await;
    assert_eq!(
        platform.status,
        StatusCode::OK,
        "the agent is not blocked: {:?}",
        platform.body
    );
    // 12-29, 12-30, 12-31, then Friday 2027-01-01 taken for a working day.
    assert_eq!(platform.body["platform_deadline_at"], "2027-01-02T00:00:00+08:00");
    assert_eq!(platform.body["platform_deadline_provisional_year"], 2027);

    // The ticket page says so, in both languages, beside the deadline.
    let browser = desk.browser("agent-a").await;
    let (_, page) = html(&browser, desk.app.url(&format!("/tickets/{id}"))).await;
    assert!(
        page.contains("id=\"platform-provisional\"") && page.contains("2027 年法定节假日尚未录入，按周末计算"),
        "{page}"
    );
    let (switched, _) = html(&browser, desk.app.url(&format!("/lang/en?next=/tickets/{id}"))).await;
    assert_eq!(switched, StatusCode::SEE_OTHER);
    let (_, page) = html(&browser, desk.app.url(&format!("/tickets/{id}"))).await;
    assert!(
        page.contains("The statutory holidays of 2027 are not loaded yet"),
        "{page}"
    );
    html(&browser, desk.app.url("/lang/zh?next=/")).await;

    // An admin loads 2027 (holiday-cn file): the deadline is counted again at once.
    let (_, admin) = desk.app.user("admin-a", Role::Admin, &[]).await;
    let file: Value = serde_json::from_str(FIXTURE_2027).expect("fixture parses");
    let put = desk.app.put("/api/v1/calendar/years/2027", &admin, file).await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    // 01-01..03 off in the fixture: 12-29, 12-30, 12-31, Monday 01-04.
    assert_eq!(after.body["platform_deadline_at"], "2027-01-05T00:00:00+08:00");
    assert_eq!(after.body["platform_deadline_provisional_year"], Value::Null);
    assert_eq!(
        after.body["version"], platform.body["version"],
        "nobody's edit is made stale"
    );
    let recounted: Vec<&Value> = after.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "recounted")
        .collect();
    assert_eq!(recounted.len(), 1, "{:?}", after.body["timeline"]);
    assert_eq!(recounted[0]["data"]["year"], 2027);
    let (_, page) = html(&browser, desk.app.url(&format!("/tickets/{id}"))).await;
    assert!(!page.contains("platform-provisional"));
}

#[tokio::test]
async fn a_late_no_reason_request_whose_window_ends_in_2027_is_reviewed_then_recounted() {
    // Signed 2026-12-25: the last day of the window is Friday 2027-01-01; the request comes on
    // 01-02, after the platform end. Without 2027 it cannot be refused on a guess.
    let desk = desk_at("2027-01-02T10:00:00+08:00").await;
    let signed = "2026-12-25T09:00:00+08:00";
    let order = desk
        .app
        .order(&desk.agent_token, desk.shop, "O-7", json!(signed), "none")
        .await;
    assert_eq!(order.status, StatusCode::CREATED, "{:?}", order.body);
    let created = desk
        .app
        .post(
            &format!("/api/v1/shops/{}/tickets", desk.shop),
            &desk.agent_token,
            json!({ "kind": "return", "order_no": "O-7", "reason": "no_reason" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["seven_day"]["verdict"], "review");
    assert_eq!(created.body["seven_day"]["provisional_year"], 2027);
    let id = created.body["id"].as_i64().expect("id");

    let (_, admin) = desk.app.user("admin-a", Role::Admin, &[]).await;
    let file: Value = serde_json::from_str(FIXTURE_2027).expect("fixture parses");
    assert_eq!(
        desk.app.put("/api/v1/calendar/years/2027", &admin, file).await.status,
        StatusCode::OK
    );
    let after = desk.app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    // 01-01..03 are off in the fixture: the statutory period runs through Monday 01-04.
    assert_eq!(after.body["seven_day"]["verdict"], "review");
    assert_eq!(
        after.body["seven_day"]["statutory_window_end"],
        "2027-01-05T00:00:00+08:00"
    );
    assert_eq!(after.body["seven_day"]["provisional_year"], Value::Null);
}

#[tokio::test]
async fn admins_are_warned_from_the_first_of_october_that_next_years_schedule_is_missing() {
    for (now, warned) in [
        ("2026-09-30T23:00:00+08:00", false),
        ("2026-10-01T00:30:00+08:00", true),
        ("2026-12-01T09:00:00+08:00", true),
    ] {
        let desk = desk_at(now).await;
        desk.app.user("admin-a", Role::Admin, &[]).await;
        let admin = desk.browser("admin-a").await;
        for path in ["/admin", "/calendar", "/?view=mine"] {
            let (status, page) = html(&admin, desk.app.url(path)).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(page.contains("id=\"calendar-notice\""), warned, "{now} {path}");
            if warned {
                assert!(page.contains("2027 年法定节假日安排尚未录入"), "{page}");
            }
        }
        // Agents have nothing to do about it: no banner for them.
        let agent = desk.browser("agent-a").await;
        let (_, page) = html(&agent, desk.app.url("/")).await;
        assert!(!page.contains("calendar-notice"));
    }
    // Loaded: no warning.
    let desk = desk_at("2026-12-01T09:00:00+08:00").await;
    let (_, admin_token) = desk.app.user("admin-a", Role::Admin, &[]).await;
    let file: Value = serde_json::from_str(FIXTURE_2027).expect("fixture parses");
    assert_eq!(
        desk.app
            .put("/api/v1/calendar/years/2027", &admin_token, file)
            .await
            .status,
        StatusCode::OK
    );
    let admin = desk.browser("admin-a").await;
    let (_, page) = html(&admin, desk.app.url("/admin")).await;
    assert!(!page.contains("calendar-notice"), "{page}");
}

#[tokio::test]
async fn an_admin_pastes_a_holiday_cn_icalendar_file_on_the_page() {
    let desk = desk().await;
    desk.app.user("admin-a", Role::Admin, &[]).await;
    let admin = desk.browser("admin-a").await;
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:元旦假期\r\nDTSTART;VALUE=DATE:20270101\r\n\
               DTEND;VALUE=DATE:20270104\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:上班(补春节假期)\r\n\
               DTSTART;VALUE=DATE:20270213\r\nDTEND;VALUE=DATE:20270214\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let response = admin
        .post(desk.app.url("/calendar/years"))
        .form(&[("year", "2027"), ("source", "holiday-cn 2027.ics"), ("days", ics)])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let year = desk.app.get("/api/v1/calendar/years/2027", &desk.agent_token).await;
    let days = year.body["days"].as_array().expect("days");
    assert_eq!(days.len(), 4, "{days:?}");
    assert_eq!(days[3]["date"], "2027-02-13");
    assert_eq!(days[3]["is_off_day"], false);
    assert_eq!(days[3]["name"], "春节");
    // An event without dates is named, the text kept, nothing stored.
    let broken = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:清明节假期\nEND:VEVENT\nEND:VCALENDAR\n";
    let response = admin
        .post(desk.app.url("/calendar/years"))
        .form(&[("year", "2028"), ("source", "x"), ("days", broken)])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("text");
    assert!(page.contains("第 1 个日程") && page.contains("清明节假期"), "{page}");
    assert!(page.contains("SUMMARY:清明节假期"), "the pasted text is kept");
}

#[tokio::test]
async fn the_calendar_page_has_no_two_elements_with_one_id() {
    let desk = desk().await;
    desk.app.user("admin-a", Role::Admin, &[]).await;
    let admin = desk.browser("admin-a").await;
    let (_, page) = html(&admin, desk.app.url("/calendar")).await;
    let mut ids: Vec<&str> = page
        .split(" id=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "a label's `for` must find its own field");
}
