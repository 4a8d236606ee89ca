//! Layout: a record set on its form as one finished, backend-neutral description of the pages.
//!
//! The model (`model`) has page size and margins, paragraphs, a grid with
//! merged cells, text runs, checkboxes and lines, all positioned in points
//! from the top-left corner; [`build()`] makes it from a record and its
//! form, `text` sets paragraphs into lines. [`crate::render::pdf`] draws the
//! placed lines; [`crate::render::docx`] rebuilds a Word table from the same
//! grid, paragraphs and spans.

mod build;
mod model;
mod qr;
mod register;
mod text;

pub use build::{LayoutOptions, Overflow, build, build_with, restamp};
pub use model::{
    Area, Block, Cell, Font, Item, ItemKind, Layout, Line, Meta, PT_PER_MM, Page, Para, Placement,
    QrMark, Slot, Span, Table, mm,
};
pub use qr::{Payload, add_qr};
pub use register::{COLUMNS as REGISTER_COLUMNS, RegisterSheet, register};
