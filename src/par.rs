//! Work on every core for a batch, on this thread for one item: starting a
//! thread pool costs more than one form takes to render.

use rayon::prelude::*;

/// `f` of each item, in order: in parallel when there is more than one.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    match items.len() {
        0 | 1 => items.iter().map(f).collect(),
        _ => items.par_iter().map(f).collect(),
    }
}

/// `f` of each item, taken by value, in order: in parallel when there is
/// more than one.
pub fn map_owned<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    match items.len() {
        0 | 1 => items.into_iter().map(f).collect(),
        _ => items.into_par_iter().map(f).collect(),
    }
}
