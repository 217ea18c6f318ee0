//! The goods details of a move (`rules::move_details`: return address, shipment, inspection):
//! what the agent gave with the move — return address, carrier and tracking number, checklist
//! and photos — checked against the rules and the shop's records, and what the ticket then
//! keeps. The move itself is `service`'s; this module says what it records about the goods.

use sqlx::PgConnection;

use super::error::TicketError;
use super::events::{GoodsRecord, InspectionPhoto};
use super::model::Ticket;
use super::repo;
use crate::edge::FieldError;
use crate::rules::inspection::{self, Checklist, InspectionError};
use crate::rules::move_details::MoveDetail;
use crate::rules::shipment::{Carrier, TrackingError, TrackingNo};

/// The most photos one inspection names.
pub const MAX_PHOTOS: usize = 20;

/// What a move was given about the goods (the API's transition fields, the page's forms).
#[derive(Clone, Copy, Debug, Default)]
pub struct GoodsGiven<'a> {
    /// A return address of the shop; none: the shop's default.
    pub return_address: Option<i64>,
    pub carrier: Option<Carrier>,
    pub tracking_no: Option<&'a str>,
    pub checklist: Option<Checklist>,
    /// Evidence ids of images already attached to the ticket.
    pub photos: &'a [i64],
}

impl GoodsGiven<'_> {
    /// Whether the field `name` (of `MoveDetail::fields`) was given.
    pub fn has(&self, name: &str) -> bool {
        match name {
            "return_address" => self.return_address.is_some(),
            "carrier" => self.carrier.is_some(),
            "tracking_no" => self.tracking_no.is_some_and(|t| !t.trim().is_empty()),
            "checklist" => self.checklist.is_some(),
            "photos" => !self.photos.is_empty(),
            _ => false,
        }
    }
}

/// Looks up and checks what was given for the goods detail `detail` of a move of `ticket`
/// (none: the move records nothing about the goods; `service::check_details` has refused the
/// fields a move does not take) and says what the move records. Approval records the chosen
/// address, or the shop's default, or — for a shop without any address yet — nothing.
pub async fn resolve(
    conn: &mut PgConnection,
    ticket: &Ticket,
    detail: Option<MoveDetail>,
    given: GoodsGiven<'_>,
) -> Result<Option<GoodsRecord>, TicketError> {
    let Some(detail) = detail else { return Ok(None) };
    match detail {
        MoveDetail::RefundAmount | MoveDetail::RejectionReason => Ok(None),
        MoveDetail::ReturnAddress => {
            let shop = ticket.shop_id;
            let address = match given.return_address {
                Some(id) => Some(
                    crate::shops::return_addresses::get(conn, shop, id)
                        .await?
                        .ok_or_else(|| FieldError::new("return_address", "goods.invalid.address_unknown"))?,
                ),
                None => crate::shops::return_addresses::default_for(conn, shop).await?,
            };
            Ok(address.map(|a| GoodsRecord::ReturnAddress {
                address_id: a.id,
                text: a.text(),
                label: a.label,
            }))
        }
        MoveDetail::Shipment => {
            let carrier = given
                .carrier
                .ok_or_else(|| FieldError::new("carrier", "goods.invalid.carrier_missing"))?;
            let tracking_no =
                TrackingNo::parse(carrier, given.tracking_no.unwrap_or("")).map_err(|error| match error {
                    TrackingError::Missing => FieldError::new("tracking_no", "goods.invalid.tracking_missing"),
                    TrackingError::Shape(carrier) => FieldError::new("tracking_no", carrier.shape_key()),
                })?;
            Ok(Some(GoodsRecord::Shipment {
                carrier,
                tracking_no: tracking_no.into_string(),
            }))
        }
        MoveDetail::Inspection | MoveDetail::FailedInspection => {
            let mut ids: Vec<i64> = Vec::new();
            for id in given.photos {
                if !ids.contains(id) {
                    ids.push(*id);
                }
            }
            ids.truncate(MAX_PHOTOS);
            let found = crate::evidence::images_of(conn, ticket.shop_id, ticket.id, &ids).await?;
            if let Some(missing) = ids.iter().find(|id| !found.iter().any(|(found, _)| found == *id)) {
                return Err(FieldError::new("photos", "goods.invalid.photo_unknown")
                    .with("photo", missing)
                    .into());
            }
            inspection::check_inspection(
                detail == MoveDetail::FailedInspection,
                given.checklist.as_ref(),
                found.len(),
            )
            .map_err(|error| match error {
                InspectionError::ChecklistMissing => FieldError::new("checklist", "goods.invalid.checklist_missing"),
                InspectionError::NothingNotOk => FieldError::new("checklist", "goods.invalid.nothing_not_ok"),
                InspectionError::PhotoMissing => FieldError::new("photos", "goods.invalid.photo_missing"),
            })?;
            if given.checklist.is_none() && found.is_empty() {
                return Ok(None);
            }
            Ok(Some(GoodsRecord::Inspection {
                checklist: given.checklist,
                photos: found
                    .into_iter()
                    .map(|(evidence, file_name)| InspectionPhoto { evidence, file_name })
                    .collect(),
            }))
        }
    }
}

/// Keeps on the ticket what the timeline alone would not show at a glance: the return address
/// and the shipment (the inspection lives in its event).
pub async fn store(conn: &mut PgConnection, ticket: &Ticket, record: &GoodsRecord) -> sqlx::Result<()> {
    match record {
        GoodsRecord::ReturnAddress { address_id, text, .. } => {
            repo::store_return_address(conn, ticket.shop_id, ticket.id, *address_id, text).await
        }
        GoodsRecord::Shipment { carrier, tracking_no } => {
            repo::store_shipment(conn, ticket.shop_id, ticket.id, carrier.as_str(), tracking_no).await
        }
        GoodsRecord::Inspection { .. } => Ok(()),
    }
}

/// The checklist of a page's form, from its fields `tags`, `accessories`, `seal`,
/// `signs_of_use`, `quantity` (`ok` / `not_ok`, as `field` reads them): none when no item was
/// marked, refused when only some were.
pub fn checklist_from_form<'a>(field: impl Fn(&str) -> Option<&'a str>) -> Result<Option<Checklist>, FieldError> {
    use crate::rules::inspection::{CheckItem, Mark};
    let marks: Vec<Option<Mark>> = CheckItem::ALL
        .iter()
        .map(|item| field(item.as_str()).map(str::trim).and_then(Mark::parse))
        .collect();
    if marks.iter().all(Option::is_none) {
        return Ok(None);
    }
    Checklist::from_marks(|item| CheckItem::ALL.iter().position(|i| *i == item).and_then(|at| marks[at]))
        .map(Some)
        .ok_or_else(|| FieldError::new("checklist", "goods.invalid.checklist_incomplete"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::inspection::Mark;

    #[test]
    fn a_form_marks_every_item_or_none() {
        let none = checklist_from_form(|_| None).expect("nothing marked");
        assert_eq!(none, None);
        let all = checklist_from_form(|name| Some(if name == "seal" { "not_ok" } else { "ok" }))
            .expect("all marked")
            .expect("a checklist");
        assert_eq!(all.seal, Mark::NotOk);
        assert_eq!(all.tags, Mark::Ok);
        let some = checklist_from_form(|name| (name == "tags").then_some("ok")).expect_err("only one");
        assert_eq!(
            (some.field, some.message.key),
            ("checklist", "goods.invalid.checklist_incomplete")
        );
    }
}
