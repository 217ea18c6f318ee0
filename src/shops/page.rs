//! `/settings/return-addresses`: a shop's return addresses, managed by its supervisors and
//! admins — add, edit, make default, archive. Plain forms; each answers with a redirect back to
//! the page, or the page again (422) with the reason next to its field and what was typed.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;

use super::return_addresses::{self, ReturnAddressError, ReturnAddressInput};
use crate::api::ApiForm;
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::ids::ShopId;
use crate::state::AppState;
use crate::web::views::{Choice, Flash, Layout};
use crate::web::{FormErrors, Page, PageResult, render};

/// The page routes (merged into the pages' router).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/return-addresses", get(show_addresses).post(add_address))
        .route("/settings/return-addresses/{id}", post(edit_address))
        .route("/settings/return-addresses/{id}/default", post(make_default))
        .route("/settings/return-addresses/{id}/archive", post(archive_address))
}

/// The page.
#[derive(Template)]
#[template(path = "return_addresses.html")]
pub struct ReturnAddressesPage {
    pub layout: Layout,
    pub shop: i64,
    pub shops: Vec<Choice>,
    pub addresses: Vec<AddressRow>,
    /// The add form as typed when it was refused (else empty), and its messages.
    pub new: AddressFields,
    pub errors: FormErrors,
}

/// One address, as an edit form.
pub struct AddressRow {
    pub id: i64,
    pub fields: AddressFields,
    pub is_default: bool,
    /// Messages next to this address's fields, when its edit was refused.
    pub errors: FormErrors,
}

/// The fields of an address form.
#[derive(Clone, Default)]
pub struct AddressFields {
    pub label: String,
    pub recipient: String,
    pub phone: String,
    pub address: String,
}

/// One single-line input of an address form.
pub struct TextInput {
    pub name: &'static str,
    pub label_key: &'static str,
    pub max: usize,
    pub value: String,
}

impl AddressFields {
    /// The single-line inputs (the address itself is a text area).
    pub fn inputs(&self) -> Vec<TextInput> {
        [
            ("label", "goods.address.label", 50, &self.label),
            ("recipient", "goods.address.recipient", 50, &self.recipient),
            ("phone", "goods.address.phone", 30, &self.phone),
        ]
        .into_iter()
        .map(|(name, label_key, max, value)| TextInput {
            name,
            label_key,
            max,
            value: value.clone(),
        })
        .collect()
    }
}

/// Which shop the page shows, and what just happened.
#[derive(Deserialize)]
pub struct AddressesQuery {
    shop: Option<ShopId>,
    done: Option<String>,
}

/// A refused form: which (`None`: the add form), what was typed, why.
struct Refused {
    id: Option<i64>,
    typed: AddressFields,
    error: FieldError,
}

async fn view(
    state: &AppState,
    page: &Page,
    shop: ShopId,
    flash: Option<Flash>,
    refused: Option<&Refused>,
) -> PageResult<ReturnAddressesPage> {
    let (user, t) = (&page.user, page.t);
    let addresses = return_addresses::list(&state.pool, shop, false).await?;
    let shops = super::list(&state.pool, &user.shops).await?;
    let mut layout = Layout::new(
        state,
        t,
        user,
        "return_addresses",
        format!("/settings/return-addresses?shop={shop}"),
    );
    layout.flash = flash;
    let refused_here = |id: Option<i64>| refused.filter(|r| r.id == id);
    Ok(ReturnAddressesPage {
        layout,
        shop: shop.0,
        shops: shops
            .iter()
            .map(|s| Choice::new(s.id.to_string(), format!("{} ({})", s.name, s.code), s.id == shop))
            .collect(),
        addresses: addresses
            .into_iter()
            .map(|a| {
                let refused = refused_here(Some(a.id));
                AddressRow {
                    id: a.id,
                    is_default: a.is_default,
                    fields: refused.map_or_else(
                        || AddressFields {
                            label: a.label.clone(),
                            recipient: a.recipient.clone(),
                            phone: a.phone.clone(),
                            address: a.address.clone(),
                        },
                        |r| r.typed.clone(),
                    ),
                    errors: refused.map_or_else(FormErrors::none, |r| FormErrors::one(t, &r.error)),
                }
            })
            .collect(),
        new: refused_here(None).map(|r| r.typed.clone()).unwrap_or_default(),
        errors: refused_here(None).map_or_else(FormErrors::none, |r| FormErrors::one(t, &r.error)),
    })
}

/// Shows the return addresses of one of the user's shops.
pub async fn show_addresses(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<AddressesQuery>,
) -> PageResult {
    page.user.require(Action::ManageReturnAddresses)?;
    let shop = page.user.shop_or_first(query.shop)?;
    let flash = query.done.as_deref().map(|done| Flash {
        ok: true,
        text: page
            .t
            .t(match done {
                "archived" => "goods.address.archived",
                "default" => "goods.address.default_set",
                _ => "goods.address.saved",
            })
            .to_string(),
    });
    Ok(render(&view(&state, &page, shop, flash, None).await?)?.into_response())
}

/// The add and edit forms.
#[derive(Deserialize)]
pub struct AddressForm {
    shop: Option<ShopId>,
    label: String,
    recipient: String,
    phone: String,
    address: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    is_default: Option<String>,
}

impl AddressForm {
    fn input(&self) -> ReturnAddressInput {
        ReturnAddressInput {
            label: self.label.clone(),
            recipient: self.recipient.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            is_default: self.is_default.is_some(),
        }
    }

    fn typed(self) -> AddressFields {
        AddressFields {
            label: self.label,
            recipient: self.recipient,
            phone: self.phone,
            address: self.address,
        }
    }
}

/// After a change: back to the page, or the page again with the reason.
async fn answer<T>(
    state: &AppState,
    page: &Page,
    shop: ShopId,
    result: Result<T, ReturnAddressError>,
    done: &str,
    refused: impl FnOnce(FieldError) -> Refused,
) -> PageResult {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/settings/return-addresses?shop={shop}&done={done}")).into_response()),
        Err(ReturnAddressError::Invalid(error)) => {
            let refused = refused(error);
            let view = view(state, page, shop, None, Some(&refused)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
        }
        Err(error) => Err(ApiError::from(error).into()),
    }
}

/// Adds an address.
pub async fn add_address(State(state): State<AppState>, page: Page, ApiForm(form): ApiForm<AddressForm>) -> PageResult {
    page.user.require(Action::ManageReturnAddresses)?;
    let shop = page.user.shop_or_first(form.shop)?;
    let result = return_addresses::create(&state.pool, shop, &form.input(), state.now()).await;
    answer(&state, &page, shop, result, "saved", |error| Refused {
        id: None,
        typed: form.typed(),
        error,
    })
    .await
}

/// Saves an edited address.
pub async fn edit_address(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<AddressForm>,
) -> PageResult {
    page.user.require(Action::ManageReturnAddresses)?;
    let shop = page.user.shop_or_first(form.shop)?;
    let result = return_addresses::update(&state.pool, shop, id, &form.input(), state.now()).await;
    answer(&state, &page, shop, result, "saved", |error| Refused {
        id: Some(id),
        typed: form.typed(),
        error,
    })
    .await
}

/// The shop a default or archive button is for.
#[derive(Deserialize)]
pub struct ShopForm {
    shop: Option<ShopId>,
}

/// Makes an address the default.
pub async fn make_default(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<ShopForm>,
) -> PageResult {
    page.user.require(Action::ManageReturnAddresses)?;
    let shop = page.user.shop_or_first(form.shop)?;
    return_addresses::set_default(&state.pool, shop, id, state.now())
        .await
        .map_err(ApiError::from)?;
    Ok(Redirect::to(&format!("/settings/return-addresses?shop={shop}&done=default")).into_response())
}

/// Archives an address.
pub async fn archive_address(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<ShopForm>,
) -> PageResult {
    page.user.require(Action::ManageReturnAddresses)?;
    let shop = page.user.shop_or_first(form.shop)?;
    return_addresses::archive(&state.pool, shop, id, state.now())
        .await
        .map_err(ApiError::from)?;
    Ok(Redirect::to(&format!("/settings/return-addresses?shop={shop}&done=archived")).into_response())
}
