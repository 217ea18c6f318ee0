//! The page shell's view structs: the frame every page shares (`Layout`, its user box and
//! flash), the error page, and a `<select>`'s option. What a feature's page shows lives with
//! the feature (the ticket views in `tickets::pages::views`).

use askama::Template;

use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::i18n::Tr;

/// What every page's frame needs: the translator, who is signed in, the active menu item.
pub struct Layout {
    pub t: Tr,
    pub user: Option<UserBox>,
    /// The active menu entry: `queue`, `new`, or empty.
    pub nav: &'static str,
    /// The current path, for the language switch to come back to.
    pub here: String,
    pub flash: Option<Flash>,
    /// The session's CSRF token, for forms and htmx (empty when signed out).
    pub csrf: String,
    /// For those who keep the calendar: the holiday schedule that should be loaded now.
    pub calendar_notice: Option<String>,
}

/// The user box in the header.
pub struct UserBox {
    /// Their id: the live desk's pages tell their own queue's changes by it.
    pub id: i64,
    pub name: String,
    pub role: &'static str,
    /// Sees the follow-up queues.
    pub supervises: bool,
    /// Sees the admin page.
    pub administers: bool,
}

/// A message at the top of the page.
pub struct Flash {
    pub ok: bool,
    pub text: String,
}

impl Layout {
    /// The frame for a signed-in user.
    pub fn new(
        state: &crate::state::AppState,
        t: Tr,
        user: &CurrentUser,
        nav: &'static str,
        here: impl Into<String>,
    ) -> Layout {
        let calendar_notice = if user.may(Action::ManageCalendar) {
            state
                .calendar()
                .schedule_needed(state.today_in_china())
                .map(|year| t.f("calendar.banner.missing", &[("year", &year)]))
        } else {
            None
        };
        Layout {
            t,
            user: Some(UserBox {
                id: user.id.0,
                name: user.display_name.clone(),
                role: t.t(user.role.label_key()),
                supervises: user.may(Action::SeeFollowUps),
                administers: user.may(Action::ReadAudit),
            }),
            nav,
            here: here.into(),
            flash: None,
            csrf: super::csrf::token_for(&user.token),
            calendar_notice,
        }
    }

    /// The frame for pages anyone sees (login, errors).
    pub fn anonymous(t: Tr) -> Layout {
        Layout {
            t,
            user: None,
            nav: "",
            here: "/".into(),
            flash: None,
            csrf: String::new(),
            calendar_notice: None,
        }
    }

    /// The link that switches to the other language.
    pub fn lang_link(&self, code: &str) -> String {
        format!("/lang/{code}?next={}", super::urlencode(&self.here))
    }

    /// Whether `code` is the current language.
    pub fn is_lang(&self, code: &str) -> bool {
        self.t.lang.code() == code
    }

    /// The URL of a file of `static/`, with its content hash (`assets::url`).
    pub fn asset(&self, name: &str) -> &'static str {
        crate::assets::url(name)
    }

    /// Whether the menu entry `name` is active.
    pub fn is_nav(&self, name: &str) -> bool {
        self.nav == name
    }
}

/// An error, as a page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

/// An option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    /// An option.
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Choice {
        Choice {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}
