//! Tickets (工单): the model, the SQL that owns `tickets` and `ticket_events`, the actions on a
//! ticket, and its JSON API. The browser pages for tickets live in `web`.

pub mod api;
pub mod model;
pub mod repo;
pub mod service;

pub use model::{Event, Ticket, TicketView};
