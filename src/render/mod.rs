pub mod docx;
pub mod pdf;
