//! Setting a paragraph into lines by Chinese rules.
//!
//! Break opportunities come from UAX #14 (unicode-linebreak), which already
//! keeps closing punctuation (，。、：；）」) off a line start and opening
//! brackets (（「) off a line end. When a run has no opportunity that fits
//! (a long e-mail address, an ID), it is broken between characters, still
//! honouring those two rules.

use unicode_linebreak::{BreakOpportunity, linebreaks};

use super::{Item, ItemKind, Span};
use crate::fonts::Face;

/// Characters that may not begin a line.
const NO_START: &str = "，。、：；！？）」』】〕》〉”’・·…‥—～％,.:;!?)]}";
/// Characters that may not end a line.
const NO_END: &str = "（「『【〔《〈“‘([{";

/// A checkbox is drawn this big, in em, and takes this much room.
pub const CHECK_SIZE: f32 = 0.72;
const CHECK_ADVANCE: f32 = 0.8;

/// One unbreakable piece of a paragraph.
#[derive(Clone, Debug)]
struct Piece {
    kind: PieceKind,
    /// Width in em.
    width: f32,
    /// A line may break before this piece.
    break_before: bool,
}

#[derive(Clone, Debug)]
enum PieceKind {
    Char(char),
    Check(bool),
    /// A blank: its value (maybe empty) and the underscores it stands for.
    Blank(String, usize),
    /// Pushes what follows to the line's right edge.
    Fill,
}

impl Piece {
    fn first_char(&self) -> Option<char> {
        match &self.kind {
            PieceKind::Char(c) => Some(*c),
            PieceKind::Blank(t, _) => t.chars().next(),
            PieceKind::Check(_) | PieceKind::Fill => None,
        }
    }
    fn last_char(&self) -> Option<char> {
        match &self.kind {
            PieceKind::Char(c) => Some(*c),
            PieceKind::Blank(t, _) => t.chars().last(),
            PieceKind::Check(_) | PieceKind::Fill => None,
        }
    }
    fn is_space(&self) -> bool {
        matches!(self.kind, PieceKind::Char(c) if c.is_whitespace())
    }
}

/// Lines of a paragraph, each with items placed from x = 0 (em units are
/// converted with `size`), and each line's natural width.
pub struct SetLines {
    pub lines: Vec<(Vec<Item>, f32)>,
}

/// How a paragraph's lines are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breaking {
    /// Running text: each line as full as the rules allow, and never one
    /// character alone on the last line.
    Text,
    /// A record's value in its cell: as few lines as possible, broken where
    /// a reader sees a word end (「2023级 / 电子商务10班」, after `_ - . @ /`
    /// in an id or address), lines of even length; between any two
    /// characters only where nothing better fits.
    Value,
}

/// Sets `spans` in `face` at `size` into lines at most `width` wide; the first
/// line is indented by `indent` (pt). Without `emergency`, a run is never
/// broken between characters where UAX #14 allows no break (a line then
/// overflows, and the caller tries a smaller size first).
pub fn set(
    spans: &[Span],
    face: &Face,
    size: f32,
    width: f32,
    indent: f32,
    emergency: bool,
    breaking: Breaking,
) -> SetLines {
    let pieces = pieces(spans, face);
    let avail = |n: usize| if n == 0 { width - indent } else { width };
    let lines = match breaking {
        Breaking::Value if emergency => even_lines(pieces, size, width - indent, width),
        _ => {
            let mut lines = greedy_lines(pieces, size, &avail, emergency);
            no_lone_last_character(&mut lines, size, &avail);
            lines
        }
    };
    SetLines {
        lines: lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| place(&l, face, size, avail(i)))
            .collect(),
    }
}

/// Each line as full as it can be (running text).
fn greedy_lines(
    pieces: Vec<Piece>,
    size: f32,
    avail: &dyn Fn(usize) -> f32,
    emergency: bool,
) -> Vec<Vec<Piece>> {
    let mut lines: Vec<Vec<Piece>> = Vec::new();
    let mut line: Vec<Piece> = Vec::new();
    for piece in pieces {
        // Spaces at the start of a line (after a break) vanish.
        if line.is_empty() && !lines.is_empty() && piece.is_space() {
            continue;
        }
        line.push(piece);
        if visible_width(&line) * size <= avail(lines.len()) + 0.01 {
            continue;
        }
        // Over: break at the last opportunity on this line, else between characters.
        let at = line
            .iter()
            .skip(1)
            .rposition(|p| p.break_before)
            .map(|i| i + 1)
            .or_else(|| emergency_break(&line, 1..line.len(), emergency));
        if let Some(i) = at {
            let rest = line.split_off(i);
            lines.push(std::mem::take(&mut line));
            line = rest.into_iter().skip_while(Piece::is_space).collect();
            // The carried pieces may still be too wide: keep breaking.
            while emergency
                && line.len() > 1
                && visible_width(&line) * size > avail(lines.len()) + 0.01
            {
                let fit = (1..line.len())
                    .rev()
                    .find(|&i| {
                        line.get(..i).is_some_and(|head| {
                            visible_width(head) * size <= avail(lines.len()) + 0.01
                        })
                    })
                    .unwrap_or(1);
                let Some(i) = emergency_break(&line, 1..fit + 1, true) else {
                    break;
                };
                let rest = line.split_off(i);
                lines.push(std::mem::take(&mut line));
                line = rest;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Whether a piece is a character a line may not begin with, or a space:
/// what does not count as a character of its own on a last line.
fn trails(p: &Piece) -> bool {
    p.is_space() || p.first_char().is_some_and(|c| NO_START.contains(c))
}

/// A last line holding one character (maybe with its punctuation, 「息。」)
/// takes the previous line's last character too, where the rules allow a
/// break before it.
fn no_lone_last_character(lines: &mut [Vec<Piece>], size: f32, avail: &dyn Fn(usize) -> f32) {
    let n = lines.len();
    let [.., prev, last] = lines else {
        return;
    };
    let lone = last.iter().filter(|p| !trails(p)).count() == 1
        && matches!(last.first().map(|p| &p.kind), Some(PieceKind::Char(_)));
    let Some(at) = prev.iter().rposition(|p| !p.is_space()) else {
        return;
    };
    // The character to move must not start the previous line (at == 0).
    let Some((before, moved)) = around(prev, at) else {
        return;
    };
    if !lone || !moved.break_before && !emergency_ok(before, moved) {
        return;
    }
    let mut joined: Vec<Piece> = prev.iter().skip(at).cloned().collect();
    joined.extend(last.iter().cloned());
    if visible_width(&joined) * size <= avail(n - 1) + 0.01 {
        prev.truncate(at);
        *last = joined;
    }
}

/// The pieces either side of a break before `line[i]`, if there are both.
fn around(line: &[Piece], i: usize) -> Option<(&Piece, &Piece)> {
    Some((line.get(i.checked_sub(1)?)?, line.get(i)?))
}

/// How much a break before `pieces[i]` costs a value: nothing after a space
/// or punctuation, little at a word's end, more inside a word.
fn break_penalty(pieces: &[Piece], i: usize) -> Option<f32> {
    let (before, after) = around(pieces, i)?;
    if !after.break_before && !emergency_ok(before, after) {
        return None;
    }
    let class = |c: Option<char>| match c {
        Some(c) if c.is_ascii_alphanumeric() => 'a',
        Some(c) if c.is_whitespace() => ' ',
        Some(c) if c.is_ascii_punctuation() => 'p',
        Some(c) if !c.is_ascii() && c.is_alphanumeric() => 'h',
        Some(_) => 'p',
        None => 'x',
    };
    let two_back = i
        .checked_sub(2)
        .and_then(|j| pieces.get(j))
        .and_then(Piece::last_char);
    Some(
        match (class(before.last_char()), class(after.first_char())) {
            (' ', _) => 0.0,
            // 「党总支书记兼副院长 / （主持工作）」: an aside starts a word.
            (_, 'p') if after.first_char().is_some_and(|c| NO_END.contains(c)) => 0.5,
            ('p', _) if matches!(before.last_char(), Some('_' | '-' | '.' | '@' | '/')) => 2.0,
            ('p', _) => 1.0,
            // 「2023级 / 电子商务」: a number and its measure word are a word.
            ('h', 'h') if class(two_back) == 'a' => 1.0,
            ('h', 'a') => 1.0,
            ('a', 'h') => 20.0,
            ('h', 'h') => 8.0,
            // Inside an id, a number, an address: the last resort, but
            // cheaper than a line more (rows are short of room).
            _ => 60.0,
        },
    )
}

/// A value's lines: fewest lines first, then breaks at word ends, then even
/// lengths, never one character alone at the end (a small search: a value
/// is at most a few dozen characters).
fn even_lines(pieces: Vec<Piece>, size: f32, first: f32, rest: f32) -> Vec<Vec<Piece>> {
    let n = pieces.len();
    if n == 0 {
        return vec![Vec::new()];
    }
    // best[i]: the cost of setting pieces[..i] with a line break before i,
    // and where that last line started; pushed in order of i.
    let mut best: Vec<Option<(f32, usize)>> = Vec::with_capacity(n + 1);
    best.push(Some((0.0, 0)));
    for i in 1..=n {
        // None: no break may come before i, so no line ends there.
        let penalty = if i == n {
            Some(0.0)
        } else {
            break_penalty(&pieces, i)
        };
        let mut here: Option<(f32, usize)> = None;
        // best holds i entries: a line may start after any break before i.
        for (j, earlier) in best.iter().enumerate() {
            let (Some(penalty), Some((before, _)), Some(span)) =
                (penalty, *earlier, pieces.get(j..i))
            else {
                continue;
            };
            let line = without_leading_spaces(span);
            let width = visible_width(line) * size;
            let avail = if j == 0 { first } else { rest };
            // A piece wider than the line stands alone, over the edge.
            if width > avail + 0.01 && line.len() > 1 {
                continue;
            }
            let lone = i == n && j > 0 && line.iter().filter(|p| !trails(p)).count() == 1;
            let em = width / size;
            let cost = before
                + 1000.0
                + penalty * 10.0
                + if lone { 400.0 } else { 0.0 }
                + em * em
                + if width > avail + 0.01 { 5000.0 } else { 0.0 };
            if here.is_none_or(|(c, _)| cost < c) {
                here = Some((cost, j));
            }
        }
        best.push(here);
    }
    let mut bounds = Vec::new();
    let mut i = n;
    while i > 0 {
        let Some(&Some((_, j))) = best.get(i) else {
            break;
        };
        bounds.push((j, i));
        i = j;
    }
    bounds.reverse();
    let mut pieces = pieces;
    let mut lines = Vec::with_capacity(bounds.len());
    for &(j, i) in bounds.iter().rev() {
        let line: Vec<Piece> = pieces.split_off(j);
        debug_assert_eq!(line.len(), i - j);
        lines.push(
            line.into_iter()
                .skip_while(Piece::is_space)
                .collect::<Vec<_>>(),
        );
    }
    lines.reverse();
    lines
}

/// A line without the spaces it starts with.
fn without_leading_spaces(mut line: &[Piece]) -> &[Piece] {
    while let [first, rest @ ..] = line
        && first.is_space()
    {
        line = rest;
    }
    line
}

/// Width of a line without its trailing spaces, in em.
fn visible_width(line: &[Piece]) -> f32 {
    let end = line
        .iter()
        .rposition(|p| !p.is_space())
        .map_or(0, |i| i + 1);
    line.iter().take(end).map(|p| p.width).sum()
}

/// Where to break a run that has no break opportunity, within `range`:
/// after an address's `@ . _ - /` if there is one, else between any two
/// characters the Chinese rules allow.
fn emergency_break(line: &[Piece], range: std::ops::Range<usize>, allowed: bool) -> Option<usize> {
    if !allowed {
        return None;
    }
    let candidates: Vec<usize> = range
        .rev()
        .filter(|&i| around(line, i).is_some_and(|(before, after)| emergency_ok(before, after)))
        .collect();
    let after_separator = |i: &usize| {
        around(line, *i).is_some_and(|(before, _)| {
            matches!(before.kind, PieceKind::Char('@' | '.' | '_' | '-' | '/'))
        })
    };
    // A separator break that leaves most of the line empty is worse than a plain one.
    match (
        candidates.iter().copied().find(after_separator),
        candidates.first(),
    ) {
        (Some(b), Some(&first)) if b * 2 >= first => Some(b),
        (_, first) => first.copied(),
    }
}

fn emergency_ok(before: &Piece, after: &Piece) -> bool {
    if matches!(before.kind, PieceKind::Check(_)) {
        return false;
    }
    let ends_ok = before.last_char().is_none_or(|c| !NO_END.contains(c));
    let starts_ok = after.first_char().is_none_or(|c| !NO_START.contains(c));
    ends_ok && starts_ok
}

fn pieces(spans: &[Span], face: &Face) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let underscore = face.glyph('_').map_or(0.5, |g| g.advance);
    for span in spans {
        match span {
            Span::Text(text) => {
                let allowed: Vec<usize> = linebreaks(text)
                    .filter(|(_, op)| *op == BreakOpportunity::Allowed)
                    .map(|(i, _)| i)
                    .collect();
                for (i, ch) in text.char_indices() {
                    let break_before = if i == 0 {
                        out.last()
                            .is_some_and(|prev| emergency_ok(prev, &char_piece(ch, face)))
                    } else {
                        allowed.contains(&i)
                    };
                    let mut p = char_piece(ch, face);
                    p.break_before = break_before;
                    out.push(p);
                }
            }
            Span::Fill => out.push(Piece {
                kind: PieceKind::Fill,
                width: 0.0,
                break_before: false,
            }),
            Span::Check { checked } => out.push(Piece {
                kind: PieceKind::Check(*checked),
                width: CHECK_ADVANCE,
                break_before: !out.is_empty(),
            }),
            Span::Blank { text, width } => {
                let blank = *width as f32 * underscore;
                let value = face.width(text) + if text.is_empty() { 0.0 } else { 0.5 };
                let mut p = Piece {
                    kind: PieceKind::Blank(text.clone(), *width),
                    width: blank.max(value),
                    break_before: false,
                };
                p.break_before = out.last().is_some_and(|prev| emergency_ok(prev, &p));
                out.push(p);
            }
        }
    }
    out
}

fn char_piece(ch: char, face: &Face) -> Piece {
    Piece {
        kind: PieceKind::Char(ch),
        width: face.glyph(ch).map_or(1.0, |g| g.advance),
        break_before: false,
    }
}

/// Turns a line of pieces into items: runs of characters become one text item.
fn place(line: &[Piece], face: &Face, size: f32, avail: f32) -> (Vec<Item>, f32) {
    let end = line
        .iter()
        .rposition(|p| !p.is_space())
        .map_or(0, |i| i + 1);
    let mut items: Vec<Item> = Vec::new();
    let mut x = 0.0;
    // Whether the last item is a run of characters the next one may join.
    let mut open_run = false;
    // Where a fill stood: the items after it move to the right edge.
    let mut fill: Option<(usize, f32)> = None;
    for p in line.iter().take(end) {
        let w = p.width * size;
        match &p.kind {
            PieceKind::Fill => fill = Some((items.len(), x)),
            PieceKind::Char(c) => match items.last_mut() {
                Some(Item {
                    kind: ItemKind::Text(t),
                    width,
                    ..
                }) if open_run => {
                    t.push(*c);
                    *width += w;
                }
                _ => items.push(Item {
                    x,
                    width: w,
                    kind: ItemKind::Text(c.to_string()),
                }),
            },
            PieceKind::Check(checked) => items.push(Item {
                x: x + (CHECK_ADVANCE - CHECK_SIZE) * size / 2.0,
                width: CHECK_SIZE * size,
                kind: ItemKind::Check {
                    checked: *checked,
                    size: CHECK_SIZE * size,
                },
            }),
            PieceKind::Blank(text, n) if text.is_empty() => items.push(Item {
                x,
                width: w,
                kind: ItemKind::Text("_".repeat(*n)),
            }),
            PieceKind::Blank(text, _) => {
                items.push(Item {
                    x,
                    width: w,
                    kind: ItemKind::Underline,
                });
                let tw = face.width(text) * size;
                items.push(Item {
                    x: x + (w - tw) / 2.0,
                    width: tw,
                    kind: ItemKind::Text(text.clone()),
                });
            }
        }
        open_run = matches!(p.kind, PieceKind::Char(_));
        x += w;
    }
    if let Some((from, _)) = fill {
        let shift = (avail - x).max(0.0);
        for item in items.iter_mut().skip(from) {
            item.x += shift;
        }
        x += shift;
    }
    (items, x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts;

    fn texts(spans: &[Span], width_em: f32) -> Vec<String> {
        texts_as(spans, width_em, Breaking::Text)
    }

    fn texts_as(spans: &[Span], width_em: f32, breaking: Breaking) -> Vec<String> {
        let face = fonts::face("NotoSerifCJKsc-Regular.otf").expect("face");
        set(spans, face, 10.0, width_em * 10.0, 0.0, true, breaking)
            .lines
            .into_iter()
            .map(|(items, _)| {
                items
                    .into_iter()
                    .filter_map(|i| match i.kind {
                        ItemKind::Text(t) => Some(t),
                        _ => None,
                    })
                    .collect::<String>()
            })
            .collect()
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        let lines = texts(&[Span::Text("一二三四，五六七八。".into())], 4.0);
        for l in &lines {
            let first = l.chars().next().expect("non-empty line");
            assert!(!NO_START.contains(first), "{lines:?}");
        }
        assert_eq!(lines.concat(), "一二三四，五六七八。");
    }

    #[test]
    fn opening_bracket_never_ends_a_line() {
        let lines = texts(&[Span::Text("一二三（四五）六七八".into())], 4.0);
        for l in &lines {
            let last = l.chars().last().expect("non-empty line");
            assert!(!NO_END.contains(last), "{lines:?}");
        }
    }

    #[test]
    fn long_ascii_breaks_between_characters() {
        let lines = texts(
            &[Span::Text("averyveryverylongaddress@example.edu.cn".into())],
            6.0,
        );
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), "averyveryverylongaddress@example.edu.cn");
    }

    #[test]
    fn a_checkbox_stays_with_its_label() {
        let face = fonts::face("NotoSerifCJKsc-Regular.otf").expect("face");
        let spans = [
            Span::Check { checked: true },
            Span::Text(" 微信    ".into()),
            Span::Check { checked: false },
            Span::Text(" 微博".into()),
        ];
        let set = set(&spans, face, 10.0, 40.0, 0.0, true, Breaking::Text);
        assert_eq!(set.lines.len(), 2);
        for (items, _) in &set.lines {
            assert!(matches!(items[0].kind, ItemKind::Check { .. }));
        }
    }

    #[test]
    fn a_last_line_never_holds_one_character_alone() {
        // 9 characters in lines of 4: greedy leaves 「九。」 alone.
        let lines = texts(&[Span::Text("一二三四五六七八九。".into())], 4.0);
        assert_eq!(lines.concat(), "一二三四五六七八九。");
        let last = lines.last().expect("lines");
        assert!(
            last.chars().filter(|c| !NO_START.contains(*c)).count() > 1,
            "{lines:?}"
        );
    }

    #[test]
    fn values_break_where_a_word_ends() {
        let value = |text: &str, em: f32| texts_as(&[Span::Text(text.into())], em, Breaking::Value);
        assert_eq!(
            value("党总支书记兼副院长（主持工作）", 9.5),
            ["党总支书记兼副院长", "（主持工作）"]
        );
        assert_eq!(value("2023级电子商务10班", 7.0), ["2023级", "电子商务10班"]);
        assert_eq!(value("2023级电子商务10班", 12.0), ["2023级电子商务10班"]);
        // As few lines as any breaking allows; where that many lines can
        // break after a separator, they do.
        let id = value("bilibili_uid_3493118204511234_official_channel", 14.0);
        assert_eq!(
            id.concat(),
            "bilibili_uid_3493118204511234_official_channel"
        );
        assert_eq!(id.len(), 2, "{id:?}");
        let group = value("ahbc_volunteer_2024", 8.0);
        assert_eq!(group.len(), 2, "{group:?}");
        assert!(group[0].ends_with('_'), "{group:?}");
        let mail = value("zhang.sanfeng.long.name@mail.example.edu.cn", 12.0);
        assert_eq!(mail.concat(), "zhang.sanfeng.long.name@mail.example.edu.cn");
        assert!(
            mail.iter()
                .take(mail.len() - 1)
                .all(|l| l.ends_with(['.', '@'])),
            "{mail:?}"
        );
    }
}
