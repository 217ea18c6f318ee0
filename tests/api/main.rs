//! Integration tests through the public surface: HTTP against a real PostgreSQL, and the CLI.

mod support;

mod admin_users;
mod assets;
mod auth;
mod backup;
mod bad_reviews;
mod buyers;
mod calendar;
mod cli;
mod demo;
mod drafts;
mod edge;
mod evidence;
mod faults;
mod follow_ups;
mod form_errors;
mod goods_steps;
mod health;
mod import;
mod metrics;
mod money_steps;
mod openapi;
mod orders;
mod page_refusals;
mod pages;
mod permissions;
mod queue_loop;
mod replies;
mod reports;
mod security;
mod seven_day;
mod tickets;
mod timeline;
mod visit_followup;
mod visits;
