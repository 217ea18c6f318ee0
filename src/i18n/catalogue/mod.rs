//! The translation catalogue: `(key, 简体中文, English)`, one file per area of the desk.
//! `{name}` marks a value filled in by `Tr::f`. Keys are unique across all files (tested).

mod admin;
mod admin_pages;
mod buyers;
mod calendar;
mod core;
mod drafts;
mod evidence;
mod follow_ups;
mod goods;
mod import;
mod keyboard;
mod knowledge;
mod ledger;
mod links_tags;
mod live;
mod money;
mod notices;
mod reconcile;
mod replies;
mod reports;
mod reviews;
mod search;
mod stock;
mod tickets_errors;
mod users;
mod visits;
mod webhooks;
mod workflow;

/// Every area's entries.
pub const SECTIONS: &[&[(&str, &str, &str)]] = &[
    core::ENTRIES,
    admin::ENTRIES,
    admin_pages::ENTRIES,
    follow_ups::ENTRIES,
    calendar::ENTRIES,
    reports::ENTRIES,
    replies::ENTRIES,
    keyboard::ENTRIES,
    buyers::ENTRIES,
    visits::ENTRIES,
    evidence::ENTRIES,
    workflow::ENTRIES,
    tickets_errors::ENTRIES,
    import::ENTRIES,
    drafts::ENTRIES,
    reviews::ENTRIES,
    users::ENTRIES,
    live::ENTRIES,
    notices::ENTRIES,
    goods::ENTRIES,
    money::ENTRIES,
    webhooks::ENTRIES,
    links_tags::ENTRIES,
    search::ENTRIES,
    ledger::ENTRIES,
    stock::ENTRIES,
    reconcile::ENTRIES,
    knowledge::ENTRIES,
];
