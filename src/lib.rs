//! beian — 新媒体/QQ群、微博群备案及审批表.
//!
//! A filing record (TOML or JSON) flows one way:
//! [`record`] (parse, validate) → [`registry`] (the serial, via
//! [`commands`]) → [`layout`] (one backend-neutral model) → [`render`] (PDF,
//! DOCX). Every printed word comes from `forms/*.toml` ([`form`]).

// Nothing from a user, a file or the registry may panic beian: no unwrap,
// no expect, no indexing that can be out of range (tests are exempt).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod batch;
pub mod cli;
pub mod commands;
pub mod error;
pub mod fonts;
pub mod form;
pub mod io;
pub mod layout;
pub mod par;
pub mod pipeline;
pub mod record;
pub mod registry;
pub mod render;
pub mod serve;
pub mod settings;
