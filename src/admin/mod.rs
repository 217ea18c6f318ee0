//! The admin's overview (`/admin`): the shops with their rule settings, and the audit log.

pub mod page;
