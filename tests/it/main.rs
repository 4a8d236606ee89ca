//! The integration tests: one binary, helpers in `util.rs`. Every fixture
//! runs through every stage and every renderer.

mod batch;
mod browser;
mod cli;
mod docx;
mod forms;
mod golden;
mod layout;
mod pdf;
mod records;
mod registry;
mod serve;
mod util;
