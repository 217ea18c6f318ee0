//! The browser's side of the live desk: `/live/events`, one server-sent event stream per open
//! page (what changed, among what this person may see), and a ticket page's presence —
//! `POST /tickets/{id}/presence` (its beat, typing or not, or leaving) and
//! `GET /tickets/{id}/presence` (who else has it open, a fragment).
//!
//! A stream lives [`STREAM_LIFE`] and then ends; the browser connects again by itself (after
//! the `retry` the first event sets), and the session is checked again on the way: a stream
//! never outlives its session by more than that. `static/live.js` is the page's side.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::{Batch, Signal, presence};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::ids::{ShopId, TicketId};
use crate::state::AppState;
use crate::tickets::repo;
use crate::web::{Page, PageError, PageResult, render};

/// How long one stream is kept before the browser is made to connect again.
pub const STREAM_LIFE: Duration = Duration::from_secs(300);
/// How long the browser waits before connecting again.
const RETRY: Duration = Duration::from_secs(2);
/// How long a stream gathers what changed before telling it (a busy shop's many changes a
/// second become a few events per open page).
const BATCH_WINDOW: Duration = Duration::from_millis(250);
/// How often a quiet stream says it is alive (proxies close silent connections).
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The stream's route: outside the request timeout (a stream is long by design).
pub fn stream_router() -> axum::Router<AppState> {
    axum::Router::new().route("/live/events", axum::routing::get(events))
}

/// The presence routes.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new().route("/tickets/{id}/presence", get(show_presence).post(beat))
}

/// What changed, for one signed-in person: `tickets` (`{"shop","ids","to"}`), `notices`,
/// `presence` (`{"shop","ticket"}`), and `resync` when announcements may have been missed.
/// The first event, `ready`, says the stream is open. Without a session the stream is one
/// `expired` event: the page says so and stops asking (an error status would only make the
/// browser log an error and try again).
pub async fn events(State(state): State<AppState>, user: Result<CurrentUser, ApiError>) -> Response {
    match user {
        Ok(user) => stream(state, user).into_response(),
        Err(error) if error.status == StatusCode::UNAUTHORIZED => {
            let expired = Event::default().event("expired").data("{}");
            Sse::new(futures_util::stream::once(async move { Ok::<_, Infallible>(expired) })).into_response()
        }
        Err(error) => error.into_response(),
    }
}

fn stream(state: AppState, user: CurrentUser) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.live.subscribe(&state.pool);
    let guard = state.live.stream_guard();
    let until = tokio::time::Instant::now() + STREAM_LIFE;
    let first = Event::default().event("ready").retry(RETRY).data("{}");
    let stream = futures_util::stream::unfold(
        (VecDeque::from([first]), receiver, guard, user),
        move |(mut ready, mut receiver, guard, user)| async move {
            if let Some(event) = ready.pop_front() {
                return Some((Ok(event), (ready, receiver, guard, user)));
            }
            // Wait for the first thing that concerns this person, then gather what else comes
            // within BATCH_WINDOW and tell it as few events.
            let mut batch = Batch::default();
            let mut window_end = until;
            loop {
                match tokio::time::timeout_at(window_end, receiver.recv()).await {
                    // The window closed with something to tell.
                    Err(_) if !batch.is_empty() => break,
                    // Its time is up: the browser connects again, and is checked again.
                    Err(_) => return None,
                    Ok(Err(RecvError::Closed)) => return None,
                    Ok(Err(RecvError::Lagged(_))) => batch.add(&Signal::Resync),
                    Ok(Ok(signal)) if signal.concerns(user.id, &user.shops) => batch.add(&signal),
                    Ok(Ok(_)) => continue,
                }
                if window_end == until {
                    window_end = (tokio::time::Instant::now() + BATCH_WINDOW).min(until);
                }
            }
            ready.extend(batch.into_signals().iter().map(event_of));
            let event = ready.pop_front()?;
            Some((Ok(event), (ready, receiver, guard, user)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// A signal as the browser reads it.
fn event_of(signal: &Signal) -> Event {
    let (name, data) = match signal {
        Signal::Tickets { shop, tickets, holders } => (
            "tickets",
            serde_json::json!({ "shop": shop, "ids": tickets, "to": holders }),
        ),
        Signal::Notices { .. } => ("notices", serde_json::json!({})),
        Signal::Presence { shop, ticket } => ("presence", serde_json::json!({ "shop": shop, "ticket": ticket })),
        Signal::Resync => ("resync", serde_json::json!({})),
    };
    Event::default().event(name).data(data.to_string())
}

/// A ticket page's beat.
#[derive(Deserialize)]
pub struct BeatForm {
    /// `1` while the person is typing in one of the page's boxes.
    #[serde(default)]
    typing: Option<String>,
    /// `1` when the page is being closed.
    #[serde(default)]
    leave: Option<String>,
}

/// Who else has a ticket open.
#[derive(Template)]
#[template(path = "_presence.html")]
pub struct PresenceView {
    pub t: Tr,
    pub id: i64,
    /// "王芳 正在输入…", or empty.
    pub typing: String,
    /// "李雷、张伟 也在查看", or empty.
    pub viewing: String,
}

/// Records the beat of the page of ticket `id`, and answers who else is there.
pub async fn beat(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    Form(form): Form<BeatForm>,
) -> PageResult {
    let shop = shop_of(&state, &page.user, id).await?;
    if form.leave.as_deref() == Some("1") {
        presence::leave(&state.pool, page.user.id, shop, id).await?;
        return Ok(Html(String::new()).into_response());
    }
    let typing = form.typing.as_deref() == Some("1");
    presence::beat(&state.pool, page.user.id, shop, id, typing, state.now()).await?;
    presence_view(&state, &page, shop, id).await
}

/// Who else has ticket `id` open (the fragment the page refreshes when presence changes).
pub async fn show_presence(State(state): State<AppState>, page: Page, Path(id): Path<TicketId>) -> PageResult {
    let shop = shop_of(&state, &page.user, id).await?;
    presence_view(&state, &page, shop, id).await
}

async fn shop_of(state: &AppState, user: &CurrentUser, id: TicketId) -> PageResult<ShopId> {
    repo::shop_of(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(PageError::not_found)
}

async fn presence_view(state: &AppState, page: &Page, shop: ShopId, id: TicketId) -> PageResult {
    let viewers = presence::viewers(&state.pool, &[shop], &[id], page.user.id, state.now()).await?;
    let (typing, viewing): (Vec<_>, Vec<_>) = viewers.into_values().flatten().partition(|v| v.typing);
    let t = page.t;
    let names = |people: Vec<presence::Viewer>, key: &str| {
        if people.is_empty() {
            return String::new();
        }
        let names: Vec<String> = people.into_iter().map(|v| v.name).collect();
        t.f(key, &[("names", &names.join(t.t("live.separator")))])
    };
    let view = PresenceView {
        t,
        id: id.0,
        typing: names(typing, "live.typing"),
        viewing: names(viewing, "live.viewing"),
    };
    Ok(render(&view)?.into_response())
}
