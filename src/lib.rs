//! Aftersales Desk (售后工作台): an after-sales ticket desk for marketplace shops.
//!
//! See `docs/ARCHITECTURE.md` for the map. In short: [`rules`] is the pure domain; each feature
//! folder ([`tickets`], [`follow_ups`], [`reports`], …) owns its tables, its JSON API and its
//! pages; [`web`] is the page shell; [`router`] is the one route table; [`state`] is what
//! handlers share; [`db`] finds or starts PostgreSQL.

pub mod admin;
pub mod api;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod buyers;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod compensation;
pub mod db;
pub mod demo;
pub mod edge;
pub mod error;
pub mod evidence;
pub mod fixtures;
pub mod follow_ups;
pub mod health;
pub mod i18n;
pub mod ids;
pub mod import;
pub mod keyboard;
pub mod knowledge;
pub mod layers;
pub mod links;
pub mod live;
pub mod metrics;
pub mod money;
pub mod notifications;
pub mod openapi;
pub mod orders;
pub mod privacy;
pub mod reconciliation;
pub mod replies;
pub mod reports;
pub mod returns;
pub mod router;
pub mod rules;
pub mod saved_views;
pub mod search;
pub mod shops;
pub mod spreadsheet;
pub mod state;
pub mod tags;
pub mod tickets;
pub mod users;
pub mod visits;
pub mod web;
pub mod webhooks;
