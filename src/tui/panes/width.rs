//! Text from the router laid out by display width, the same width the terminal gives it:
//! characters whose width terminals disagree on (zero-width and format characters, bidi
//! controls, variation selectors, emoji modifiers and joiners, control characters) are
//! removed or shown as `<U+XXXX>`, so a pane's text never pushes its border; and wrapping and
//! horizontal scrolling by columns, not bytes or characters.

use std::borrow::Cow;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Combining marks terminals draw over the previous character (width 0 there and here).
fn combining(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20DC | 0xFE20..=0xFE2F)
}

/// Presentation hints dropped without a trace: the character before them stays, drawn in its
/// default (text) width.
fn dropped(c: char) -> bool {
    matches!(c as u32, 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
}

/// Characters shown as `<U+XXXX>`: their width differs between terminals, or they change how
/// the text around them is drawn (direction, joining).
fn shown_as_code(c: char) -> bool {
    match c.width() {
        None => c != '\t',
        Some(0) => !combining(c),
        _ => matches!(c as u32,
            // emoji skin-tone modifiers, regional indicators (flags), tags
            0x1F3FB..=0x1F3FF | 0x1F1E6..=0x1F1FF | 0xE0000..=0xE007F
            // bidi controls and other format characters some tables give width 1
            | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0xFEFF | 0x00AD
            | 0x061C | 0x180E),
    }
}

/// `text` made safe to draw: see the module comment. Borrowed when nothing changes (the
/// common case: plain ASCII debug lines).
pub fn for_screen(text: &str) -> Cow<'_, str> {
    let plain = text.bytes().all(|b| (0x20..0x7f).contains(&b));
    if plain {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut after_base = false;
    for c in text.chars() {
        if c == '\t' {
            out.push(' ');
            after_base = true;
        } else if dropped(c) {
        } else if shown_as_code(c) || (combining(c) && !after_base) {
            out.push_str(&format!("<U+{:04X}>", c as u32));
            after_base = true;
        } else {
            out.push(c);
            after_base = !combining(c);
        }
    }
    Cow::Owned(out)
}

/// Display width of `text` (call on text that went through [`for_screen`]).
pub fn width(text: &str) -> usize {
    text.width()
}

/// Byte ranges of `text` cut into pieces at most `width` columns wide: at the last space of
/// a piece when there is one in its second half, otherwise at the column. Costs the length
/// of `text` (the screen wraps only the lines it shows).
pub fn wrap(text: &str, width: usize) -> Vec<(usize, usize)> {
    let width = width.max(2);
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut cols = 0;
    // The last space in the current piece: (byte after it, columns up to it).
    let mut space: Option<(usize, usize)> = None;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if cols + w > width && i > start {
            match space.filter(|&(_, at)| at * 2 >= width) {
                Some((cut, at)) => {
                    pieces.push((start, cut));
                    start = cut;
                    cols -= at;
                }
                None => {
                    pieces.push((start, i));
                    start = i;
                    cols = 0;
                }
            }
            space = None;
        }
        cols += w;
        if c == ' ' {
            space = Some((i + 1, cols));
        }
    }
    if start < text.len() || pieces.is_empty() {
        pieces.push((start, text.len()));
    }
    pieces
}

/// `text` without its first `cols` columns (horizontal scroll); a wide character cut in half
/// gives a space.
pub fn skip_cols(text: &str, cols: usize) -> Cow<'_, str> {
    if cols == 0 {
        return Cow::Borrowed(text);
    }
    let mut seen = 0;
    for (i, c) in text.char_indices() {
        if seen >= cols {
            if seen > cols {
                return Cow::Owned(format!(" {}", &text[i..]));
            }
            return Cow::Borrowed(&text[i..]);
        }
        seen += c.width().unwrap_or(0);
    }
    if seen > cols {
        return Cow::Borrowed(" ");
    }
    Cow::Borrowed("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_with_selector_keeps_its_text_width() {
        // U+2601 CLOUD + U+FE0F: a terminal may draw it 1 or 2 wide; without the selector it is 1.
        let s = for_screen("a\u{2601}\u{FE0F}b");
        assert_eq!(s, "a\u{2601}b");
        assert_eq!(width(&s), 3);
    }

    #[test]
    fn invisible_and_bidi_become_visible() {
        let s = for_screen("x\u{202E}y\u{200B}z\u{200D}\u{1F3FD}\u{1b}");
        assert_eq!(s, "x<U+202E>y<U+200B>z<U+200D><U+1F3FD><U+001B>");
    }

    #[test]
    fn per_char_width_equals_string_width() {
        // What ratatui measures (per grapheme) and what a terminal advances (per character)
        // agree after the cleaning.
        let samples = [
            "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} family",
            "1\u{FE0F}\u{20E3} keycap",
            "\u{1F1EB}\u{1F1F7} flag",
            "\u{1F44D}\u{1F3FD} thumbs",
            "e\u{301}t\u{e9} caf\u{e9}",
            "\u{5bbd}\u{5b57} wide",
            "\u{301} lone accent",
        ];
        for t in samples {
            let s = for_screen(t);
            let by_char: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
            assert_eq!(by_char, width(&s), "{t:?} -> {s:?}");
        }
    }

    #[test]
    fn wraps_by_columns_at_spaces() {
        let t = "no PFS offered by the peer while this policy requires group 2";
        let pieces = wrap(t, 20);
        for &(a, b) in &pieces {
            assert!(width(&t[a..b]) <= 20, "{:?}", &t[a..b]);
        }
        let joined: String = pieces.iter().map(|&(a, b)| &t[a..b]).collect();
        assert_eq!(joined, t);
        assert!(pieces.len() >= 3);
        // Wide characters count two columns.
        let w = "\u{5bbd}".repeat(15);
        for &(a, b) in &wrap(&w, 9) {
            assert!(width(&w[a..b]) <= 9);
        }
    }

    #[test]
    fn skips_columns() {
        assert_eq!(skip_cols("abcdef", 2), "cdef");
        assert_eq!(skip_cols("\u{5bbd}\u{5b57}x", 1), " \u{5b57}x");
        assert_eq!(skip_cols("ab", 5), "");
    }
}
