//! Any bytes, read as a record: parsed as TOML and as JSON, then validated.
//! Neither stage may panic, whatever the text; they may only reject it.
#![no_main]

use beian::record::{Node, Syntax, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for syntax in [Syntax::Toml, Syntax::Json] {
        if let Ok(node) = Node::parse(text, syntax) {
            let _ = validate::check(&node);
        }
    }
});
