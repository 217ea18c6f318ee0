//! Tickets (工单): the model, the timeline's typed events, the SQL that owns `tickets` and
//! `ticket_events`, the actions on a ticket, its JSON API and its pages.

pub mod api;
pub mod error;
pub mod escalation;
pub mod events;
pub mod follow_up_writes;
pub mod goods;
pub mod model;
pub mod months;
pub mod openings;
pub mod pages;
pub mod repo;
pub mod service;

pub use error::TicketError;
pub use events::EventData;
pub use model::{Event, Ticket, TicketView};
