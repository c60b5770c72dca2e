//! Keyboard-layout reverse maps for keyboard-wedge scanners.
//!
//! A wedge scanner programmed for the US layout sends *key positions*; the station's active
//! layout turns them into characters. On a Czech station the number row of a US scanner
//! arrives as `+ěščřžýáíé`, Y and Z are swapped, and most symbols move. [`Layout::unmap`]
//! turns what the station's layout produced back into what the scanner meant.
//!
//! # Where the tables come from
//!
//! The rows below were read off the XKB symbol files (`/usr/share/X11/xkb/symbols`,
//! `xkeyboard-config`): `cz` "basic", `sk` "basic" and `de` "basic" (which includes
//! `latin(type4)`), levels 1 and 2 (unshifted and Shift), against `us` "basic". The Czech
//! and Slovak "compromise" layouts agree with the Windows CES/SK layouts for every key a
//! US scanner presses. The integration test `tests/scan.rs` checks every printable ASCII
//! character against strings generated independently from the same XKB files.
//!
//! | US key | cs | sk | de |
//! |---|---|---|---|
//! | `` ` `` `~` | `;` `°`(dead) | `;` `°`(dead) | `^`(dead) `°` |
//! | `1`–`0` | `+ěščřžýáíé` | `+ľščťžýáíé` | digits |
//! | `!@#$%^&*()` | `1234567890` | `1234567890` | `!"§$%&/()=` |
//! | `-` `_` | `=` `%` | `=` `%` | `ß` `?` |
//! | `=` `+` | `´` `ˇ` (dead) | `´` `ˇ` (dead) | `´` `` ` `` (dead) |
//! | `[` `{` | `ú` `/` | `ú` `/` | `ü` `Ü` |
//! | `]` `}` | `)` `(` | `ä` `(` | `+` `*` |
//! | `;` `:` | `ů` `"` | `ô` `"` | `ö` `Ö` |
//! | `'` `"` | `§` `!` | `§` `!` | `ä` `Ä` |
//! | `\` `\|` | `¨`(dead) `'` | `ň` `)` | `#` `'` |
//! | `,<` `.>` `/?` | `,?` `.:` `-_` | `,?` `.:` `-_` | `,;` `.:` `-_` |
//! | `y` `z` | `z` `y` | `z` `y` | `z` `y` |
//!
//! # Dead keys
//!
//! Keys marked *dead* do not type a character on their own: the terminal combines them
//! with the next key. Most terminals (and Windows) emit the accent's spacing form followed
//! by the next character when the two do not combine; that spacing form is what the table
//! maps back (`´` `ˇ` `°` `¨` `^` `` ` ``, and also `˚` for the ring). When the next
//! character *does* combine (Czech `=` then `e` gives `é`) the information is lost and
//! cannot be recovered reliably, because `é` is also the Czech `0` key. Codes scanned on
//! such stations should avoid `` ` `` `~` `=` `+` `\` (cs), `` ` `` `~` `=` `+` (sk) and
//! `` ` `` `=` `+` (de); the self-test sheet shows whether a station is affected.
//!
//! The maps are applied to a completed scan only, never to single keys, so a human typing
//! real digits on a Czech keyboard would be "unmapped" too: stations with a non-US scanner
//! layout should take hand-typed codes through a separate input field or a paste.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The keyboard layout active on the station, for a scanner that is programmed for US.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// US (or the scanner already matches the station layout): no mapping. The Polish
    /// "programmer's" layout types ASCII exactly like US, so `pl` means this too.
    #[default]
    #[serde(alias = "pl")]
    Us,
    /// Czech QWERTZ (`cz` basic in XKB; Windows "Czech").
    #[serde(alias = "cz")]
    Cs,
    /// Slovak QWERTZ (`sk` basic in XKB; Windows "Slovak").
    Sk,
    /// German QWERTZ (`de` basic in XKB; Windows "German").
    De,
}

/// US key positions, row by row: unshifted then shifted. Each `LAYOUT_ROWS` entry lists,
/// position by position, what the same keys produce on that layout.
/// Four rows of keys, unshifted then shifted, and the space bar.
type Rows = [&'static str; 9];

const US_ROWS: Rows = [
    "`1234567890-=",
    "~!@#$%^&*()_+",
    "qwertyuiop[]\\",
    "QWERTYUIOP{}|",
    "asdfghjkl;'",
    "ASDFGHJKL:\"",
    "zxcvbnm,./",
    "ZXCVBNM<>?",
    " ",
];

const CS_ROWS: Rows = [
    ";+ěščřžýáíé=´",
    "°1234567890%ˇ",
    "qwertzuiopú)¨",
    "QWERTZUIOP/('",
    "asdfghjklů§",
    "ASDFGHJKL\"!",
    "yxcvbnm,.-",
    "YXCVBNM?:_",
    " ",
];

const SK_ROWS: Rows = [
    ";+ľščťžýáíé=´",
    "°1234567890%ˇ",
    "qwertzuiopúäň",
    "QWERTZUIOP/()",
    "asdfghjklô§",
    "ASDFGHJKL\"!",
    "yxcvbnm,.-",
    "YXCVBNM?:_",
    " ",
];

const DE_ROWS: Rows = [
    "^1234567890ß´",
    "°!\"§$%&/()=?`",
    "qwertzuiopü+#",
    "QWERTZUIOPÜ*'",
    "asdfghjklöä",
    "ASDFGHJKLÖÄ",
    "yxcvbnm,.-",
    "YXCVBNM;:_",
    " ",
];

/// Extra spellings of a dead key's spacing form: `(produced, US character)` per layout.
const CS_EXTRA: &[(char, char)] = &[('˚', '~')];
const SK_EXTRA: &[(char, char)] = &[('˚', '~')];

impl Layout {
    /// Every layout, for tests and help text.
    pub const ALL: [Layout; 4] = [Layout::Us, Layout::Cs, Layout::Sk, Layout::De];

    /// The configuration name (`us`, `cs`, `sk`, `de`).
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Us => "us",
            Layout::Cs => "cs",
            Layout::Sk => "sk",
            Layout::De => "de",
        }
    }

    fn rows(self) -> Option<(&'static Rows, &'static [(char, char)])> {
        match self {
            Layout::Us => None,
            Layout::Cs => Some((&CS_ROWS, CS_EXTRA)),
            Layout::Sk => Some((&SK_ROWS, SK_EXTRA)),
            Layout::De => Some((&DE_ROWS, &[])),
        }
    }

    /// The US character whose key produces `c` on this layout; characters the layout
    /// cannot produce from a US key (and everything on [`Layout::Us`]) come back unchanged.
    pub fn unmap_char(self, c: char) -> char {
        let Some((rows, extra)) = self.rows() else {
            return c;
        };
        for (us_row, row) in US_ROWS.iter().zip(rows.iter()) {
            if let Some((u, _)) = us_row.chars().zip(row.chars()).find(|(_, l)| *l == c) {
                return u;
            }
        }
        extra.iter().find(|(l, _)| *l == c).map_or(c, |(_, u)| *u)
    }

    /// What a US-programmed scanner meant, given what this layout typed.
    ///
    /// ```
    /// use packdesk::scan::Layout;
    /// assert_eq!(Layout::Cs.unmap("ěščřž)Y+"), "23456]Z1");
    /// assert_eq!(Layout::De.unmap("SKU/12ß7"), "SKU&12-7");
    /// assert_eq!(Layout::Us.unmap("ěšč"), "ěšč");
    /// ```
    pub fn unmap(self, typed: &str) -> String {
        typed.chars().map(|c| self.unmap_char(c)).collect()
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The layout name is not one packdesk knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scanner keyboard layout `{0}` (expected us, cs, sk or de)")]
pub struct UnknownLayout(pub String);

impl FromStr for Layout {
    type Err = UnknownLayout;
    fn from_str(s: &str) -> Result<Layout, UnknownLayout> {
        match s.trim().to_ascii_lowercase().as_str() {
            "us" | "pl" => Ok(Layout::Us),
            "cs" | "cz" => Ok(Layout::Cs),
            "sk" => Ok(Layout::Sk),
            "de" => Ok(Layout::De),
            _ => Err(UnknownLayout(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn rows_line_up_and_are_one_to_one() {
        for layout in [Layout::Cs, Layout::Sk, Layout::De] {
            let Some((rows, _)) = layout.rows() else {
                panic!("{layout} has no rows");
            };
            let mut produced = HashSet::new();
            for (us, row) in US_ROWS.iter().zip(rows.iter()) {
                assert_eq!(us.chars().count(), row.chars().count(), "{layout}: {us}");
                for c in row.chars() {
                    assert!(produced.insert(c), "{layout}: `{c}` produced twice");
                }
            }
            assert_eq!(produced.len(), 95, "{layout} covers all printable ASCII");
        }
        let us: HashSet<char> = US_ROWS.iter().flat_map(|r| r.chars()).collect();
        assert_eq!(us, (' '..='~').collect());
    }

    #[test]
    fn known_examples() {
        assert_eq!(Layout::Cs.unmap("+ěščřžýáíé"), "1234567890");
        assert_eq!(Layout::Sk.unmap("+ľščťžýáíé"), "1234567890");
        assert_eq!(Layout::Cs.unmap("ZY"), "YZ");
        assert_eq!(Layout::Cs.unmap("=-"), "-/");
        assert_eq!(Layout::De.unmap("zyß´"), "yz-=");
        assert_eq!(Layout::Cs.unmap("˚"), "~");
        assert_eq!(Layout::Cs.unmap("€"), "€");
    }

    #[test]
    fn parses_names() {
        assert_eq!("CS".parse::<Layout>(), Ok(Layout::Cs));
        assert_eq!("cz".parse::<Layout>(), Ok(Layout::Cs));
        assert_eq!("de".parse::<Layout>(), Ok(Layout::De));
        let err = "fr".parse::<Layout>().err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("`fr`")));
        for l in Layout::ALL {
            assert_eq!(l.as_str().parse::<Layout>(), Ok(l));
        }
    }
}
