//! Cleaning text that comes from outside (shops, scanners, users) before it is drawn.

/// Strips C0/C1 control characters and whole ANSI/VT escape sequences (CSI, OSC, DCS …)
/// from text that came from outside, so a customer name can never move the cursor, change
/// colours or retitle the packer's terminal. Tabs and newlines become single spaces.
pub fn sanitize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI / OSC / DCS introducers behave like ESC [ / ESC ] / ESC P.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' | '\n' | '\r' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if c.is_control() => {}
            // Bidi overrides and zero-width joiners that could disguise text.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
            chars.next();
            skip_string(chars);
        }
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            // nF escape: intermediates then one final byte.
            while let Some(&c) = chars.peek() {
                chars.next();
                if !('\u{20}'..='\u{2f}').contains(&c) {
                    break;
                }
            }
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/… strings end with BEL or ST (ESC \ or U+009C).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn keeps_diacritics() {
        assert_eq!(sanitize("Jiří Dvořák, Łódź"), "Jiří Dvořák, Łódź");
    }

    #[test]
    fn strips_csi_osc_and_controls() {
        assert_eq!(sanitize("A\u{1b}[31mred\u{1b}[0m"), "Ared");
        assert_eq!(sanitize("x\u{1b}]0;pwned\u{7}y"), "xy");
        assert_eq!(sanitize("a\u{0}b\u{7}c\u{8}d"), "abcd");
        assert_eq!(sanitize("line1\r\nline2"), "line1 line2");
        assert_eq!(sanitize("\u{9b}2Jz"), "z");
        assert_eq!(sanitize("evil\u{202e}txt"), "eviltxt");
    }
}
