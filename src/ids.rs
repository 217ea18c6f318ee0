//! Typed identifiers: a ticket id cannot be passed where a shop id is expected.

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, sqlx::Type)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id_type!(
    /// A shop (店铺).
    ShopId
);
id_type!(
    /// A user of the desk.
    UserId
);
id_type!(
    /// A ticket (工单).
    TicketId
);
id_type!(
    /// An order, internal id (the marketplace's number is `order_no`).
    OrderId
);
id_type!(
    /// A buyer of a shop.
    CustomerId
);
id_type!(
    /// An import job of the upload page.
    ImportJobId
);
