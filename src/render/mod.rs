pub mod docx;
pub mod pdf;

/// The output revision: which bytes this build writes for a given record.
///
/// Filed forms are an archival contract — `regen` must give the same bytes
/// years later — so the SHA-256 of the examples' outputs is pinned in
/// `tests/it/golden.rs`. Bump this whenever pinned output bytes change on
/// purpose (layout, wording, fonts, a dependency's compression), together
/// with the pinned hashes. It is to be stored with each filing, so that a
/// filing made under another revision is told apart from a corrupted one.
pub const OUTPUT_REVISION: u32 = 1;
