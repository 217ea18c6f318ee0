//! The admin's overview (`/admin`): the shops with their rule settings, and the audit log,
//! readable (`audit_details`) and filtered.

pub mod audit_details;
pub mod page;
