//! A shop's return addresses (退货地址): where buyers send returned and exchanged goods. A
//! shop has several, each with a label, recipient, phone and address; exactly one is the
//! default while any is in use. Addresses are archived, never deleted, so a ticket that
//! recorded one still names it. Owns the `return_addresses` table; supervisors and admins of
//! the shop manage them (`Action::ManageReturnAddresses`), everyone who works tickets reads them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgConnection, PgExecutor, PgPool};
use utoipa::ToSchema;

use crate::db::batch::Read;
use crate::edge::FieldError;
use crate::ids::ShopId;

/// A return address as stored.
#[derive(Clone, Debug, Serialize, Deserialize, FromRow, ToSchema)]
pub struct ReturnAddress {
    pub id: i64,
    #[schema(value_type = i64)]
    pub shop_id: ShopId,
    /// What the agents pick it by, e.g. "杭州仓".
    pub label: String,
    /// 收件人 (empty only on the address copied from the old single setting).
    pub recipient: String,
    pub phone: String,
    pub address: String,
    pub is_default: bool,
    /// When it was archived; archived addresses are not offered any more.
    pub archived_at: Option<DateTime<Utc>>,
}

impl ReturnAddress {
    /// The address as a buyer needs it, in one line: recipient, phone, address.
    pub fn text(&self) -> String {
        [self.recipient.as_str(), self.phone.as_str(), self.address.as_str()]
            .into_iter()
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A return address as a supervisor gives it (create and update).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnAddressInput {
    #[schema(min_length = 1, max_length = 50, example = "杭州仓")]
    pub label: String,
    #[schema(min_length = 1, max_length = 50, example = "王仓管")]
    pub recipient: String,
    /// Digits, with `+`, `-` and spaces allowed; 5–30 characters.
    #[schema(example = "0571-88886666")]
    pub phone: String,
    #[schema(min_length = 1, max_length = 500, example = "浙江省杭州市余杭区仓前街道 1 号 退货组")]
    pub address: String,
    /// Make it the shop's default (the first address of a shop is the default anyway).
    #[serde(default)]
    pub is_default: bool,
}

/// An address's fields, checked: trimmed, within their lengths.
struct Checked {
    label: String,
    recipient: String,
    phone: String,
    address: String,
}

impl ReturnAddressInput {
    /// Checks every field; the first wrong one is the error.
    fn check(&self) -> Result<Checked, ReturnAddressError> {
        let text = |field: &'static str, value: &str, max: usize| {
            let value = value.trim();
            if value.is_empty() || value.chars().count() > max {
                Err(ReturnAddressError::Invalid(
                    FieldError::new(field, "goods.address.invalid_length").with("max", max),
                ))
            } else {
                Ok(value.to_string())
            }
        };
        let label = text("label", &self.label, 50)?;
        let recipient = text("recipient", &self.recipient, 50)?;
        let phone = self.phone.trim();
        let phone_ok = (5..=30).contains(&phone.chars().count())
            && phone.chars().any(|c| c.is_ascii_digit())
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
        if !phone_ok {
            return Err(ReturnAddressError::Invalid(FieldError::new(
                "phone",
                "goods.address.invalid_phone",
            )));
        }
        let address = text("address", &self.address, 500)?;
        Ok(Checked {
            label,
            recipient,
            phone: phone.to_string(),
            address,
        })
    }
}

/// Why a change to the return addresses was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReturnAddressError {
    /// A field cannot be taken (the field and the catalogue's message).
    #[error("{}: {}", .0.field, .0.message.english())]
    Invalid(FieldError),
    /// No such address in the shop (or it is archived).
    #[error("no such return address")]
    NotFound,
    /// The database refused or could not be reached.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The `SELECT` of [`ReturnAddress`] (a macro so that `concat!` keeps queries static strings).
macro_rules! address_select {
    () => {
        "SELECT id, shop_id, label, recipient, phone, address, is_default, archived_at FROM return_addresses "
    };
}

/// A shop's addresses in use (the default first, then oldest first); with `archived`, the
/// archived ones after them.
pub async fn list(db: impl PgExecutor<'_>, shop: ShopId, archived: bool) -> sqlx::Result<Vec<ReturnAddress>> {
    listed(shop, archived).all(db).await
}

/// [`list`] as a read, for a page's batch (the ticket page's goods forms and replies).
pub fn listed(shop: ShopId, archived: bool) -> Read<ReturnAddress> {
    Read::new(concat!(
        address_select!(),
        "WHERE shop_id = $1 AND ($2 OR archived_at IS NULL)
         ORDER BY archived_at IS NOT NULL, is_default DESC, id"
    ))
    .bind(shop)
    .bind(archived)
}

/// One address of the shop in use (not archived).
pub async fn get(conn: &mut PgConnection, shop: ShopId, id: i64) -> sqlx::Result<Option<ReturnAddress>> {
    sqlx::query_as(concat!(
        address_select!(),
        "WHERE shop_id = $1 AND id = $2 AND archived_at IS NULL"
    ))
    .bind(shop)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The shop's default address, if it has any address in use.
pub async fn default_for(conn: &mut PgConnection, shop: ShopId) -> sqlx::Result<Option<ReturnAddress>> {
    sqlx::query_as(concat!(address_select!(), "WHERE shop_id = $1 AND is_default"))
        .bind(shop)
        .fetch_optional(conn)
        .await
}

/// Adds an address; it becomes the default when asked or when the shop has none.
pub async fn create(
    pool: &PgPool,
    shop: ShopId,
    input: &ReturnAddressInput,
    now: DateTime<Utc>,
) -> Result<ReturnAddress, ReturnAddressError> {
    let checked = input.check()?;
    let mut tx = pool.begin().await?;
    lock_shop(&mut tx, shop).await?;
    let has_default = default_for(&mut tx, shop).await?.is_some();
    if input.is_default && has_default {
        clear_default(&mut tx, shop).await?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO return_addresses (shop_id, label, recipient, phone, address, is_default, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(shop)
    .bind(&checked.label)
    .bind(&checked.recipient)
    .bind(&checked.phone)
    .bind(&checked.address)
    .bind(input.is_default || !has_default)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let created = get(&mut tx, shop, id).await?.ok_or(ReturnAddressError::NotFound)?;
    tx.commit().await?;
    Ok(created)
}

/// Changes an address's fields (tickets keep the text they recorded); with `is_default`, it
/// also becomes the default.
pub async fn update(
    pool: &PgPool,
    shop: ShopId,
    id: i64,
    input: &ReturnAddressInput,
    now: DateTime<Utc>,
) -> Result<ReturnAddress, ReturnAddressError> {
    let checked = input.check()?;
    let mut tx = pool.begin().await?;
    lock_shop(&mut tx, shop).await?;
    get(&mut tx, shop, id).await?.ok_or(ReturnAddressError::NotFound)?;
    if input.is_default {
        clear_default(&mut tx, shop).await?;
    }
    sqlx::query(
        "UPDATE return_addresses SET label = $3, recipient = $4, phone = $5, address = $6,
                is_default = is_default OR $7, updated_at = $8
         WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(id)
    .bind(&checked.label)
    .bind(&checked.recipient)
    .bind(&checked.phone)
    .bind(&checked.address)
    .bind(input.is_default)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let updated = get(&mut tx, shop, id).await?.ok_or(ReturnAddressError::NotFound)?;
    tx.commit().await?;
    Ok(updated)
}

/// Makes an address the shop's default (the previous default stays, no longer default).
pub async fn set_default(
    pool: &PgPool,
    shop: ShopId,
    id: i64,
    now: DateTime<Utc>,
) -> Result<ReturnAddress, ReturnAddressError> {
    let mut tx = pool.begin().await?;
    lock_shop(&mut tx, shop).await?;
    get(&mut tx, shop, id).await?.ok_or(ReturnAddressError::NotFound)?;
    clear_default(&mut tx, shop).await?;
    sqlx::query("UPDATE return_addresses SET is_default = true, updated_at = $3 WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let address = get(&mut tx, shop, id).await?.ok_or(ReturnAddressError::NotFound)?;
    tx.commit().await?;
    Ok(address)
}

/// Archives an address. Archiving the default makes the oldest address still in use the
/// default, so a shop with addresses always has one.
pub async fn archive(
    pool: &PgPool,
    shop: ShopId,
    id: i64,
    now: DateTime<Utc>,
) -> Result<ReturnAddress, ReturnAddressError> {
    let mut tx = pool.begin().await?;
    lock_shop(&mut tx, shop).await?;
    let address = get(&mut tx, shop, id).await?.ok_or(ReturnAddressError::NotFound)?;
    sqlx::query(
        "UPDATE return_addresses SET is_default = false, archived_at = $3, updated_at = $3
         WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if address.is_default {
        sqlx::query(
            "UPDATE return_addresses SET is_default = true, updated_at = $2
             WHERE shop_id = $1 AND id = (SELECT min(id) FROM return_addresses WHERE shop_id = $1 AND archived_at IS NULL)",
        )
        .bind(shop)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(ReturnAddress {
        is_default: false,
        archived_at: Some(now),
        ..address
    })
}

/// Serialises changes to one shop's addresses (two supervisors making two defaults at once
/// would otherwise meet the unique index as an error instead of one after the other).
async fn lock_shop(tx: &mut PgConnection, shop: ShopId) -> sqlx::Result<()> {
    sqlx::query("SELECT id FROM shops WHERE id = $1 FOR UPDATE")
        .bind(shop)
        .execute(tx)
        .await?;
    Ok(())
}

async fn clear_default(tx: &mut PgConnection, shop: ShopId) -> sqlx::Result<()> {
    sqlx::query("UPDATE return_addresses SET is_default = false WHERE shop_id = $1 AND is_default")
        .bind(shop)
        .execute(tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(phone: &str) -> ReturnAddressInput {
        ReturnAddressInput {
            label: " 杭州仓 ".into(),
            recipient: "王仓管".into(),
            phone: phone.into(),
            address: "浙江省杭州市余杭区 1 号".into(),
            is_default: false,
        }
    }

    #[test]
    fn fields_are_trimmed_and_the_phone_is_digits_with_separators() {
        let checked = input("0571-8888 6666").check().expect("fits");
        assert_eq!(checked.label, "杭州仓");
        for phone in ["", "1234", "call me 123", "------"] {
            let Err(ReturnAddressError::Invalid(error)) = input(phone).check() else {
                panic!("{phone:?} accepted");
            };
            assert_eq!(error.field, "phone");
        }
        let mut long = input("13800138000");
        long.address = "址".repeat(501);
        let Err(ReturnAddressError::Invalid(error)) = long.check() else {
            panic!("long address accepted");
        };
        assert_eq!(error.field, "address");
    }

    #[test]
    fn the_text_leaves_out_what_is_empty() {
        let address = ReturnAddress {
            id: 1,
            shop_id: ShopId(1),
            label: "默认".into(),
            recipient: String::new(),
            phone: " ".into(),
            address: "杭州市 1 号".into(),
            is_default: true,
            archived_at: None,
        };
        assert_eq!(address.text(), "杭州市 1 号");
        let full = ReturnAddress {
            recipient: "王".into(),
            phone: "13800138000".into(),
            ..address
        };
        assert_eq!(full.text(), "王 13800138000 杭州市 1 号");
    }
}
