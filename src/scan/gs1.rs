//! GS1 element strings (GS1-128, GS1 DataMatrix, GS1 QR, GS1 DataBar): application
//! identifiers (AIs) parsed by the GS1 General Specifications AI table.
//!
//! Fixed-length AIs (those whose first two digits are in the GS1 "predefined length"
//! table: `00`–`04`, `11`–`20`, `23`, `31`–`36`, `41`) need no separator; a variable-length
//! AI ends at the next group separator (GS, ASCII 29, or the configured printable
//! substitute) or at the end of the data.

use serde::{Deserialize, Serialize};

use crate::domain::gtin;

/// The ASCII group separator (FNC1 after the first position).
pub const GS: char = '\u{1d}';

/// What a GS1 code carried, by the AIs the bench uses; the rest in `other`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Gs1 {
    /// AI (01), validated and already 14 digits.
    pub gtin: Option<String>,
    /// AI (10) batch or lot number.
    pub lot: Option<String>,
    /// AI (17) expiry date, `YYMMDD` as encoded (`DD` may be `00`: end of month).
    pub expiry: Option<String>,
    /// AI (21) serial number.
    pub serial: Option<String>,
    /// Every other AI with its value, in the order scanned (e.g. `("00", sscc)`,
    /// `("02", gtin)`, `("37", count)`, `("3103", net kg)`).
    pub other: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    /// Digits only.
    Numeric,
    /// GS1 character set 82 (printable ASCII except space, `#`, `$`, `@`, `[`–`^`, `` ` ``,
    /// `{`–`~`).
    Alnum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    None,
    /// The last digit is a GS1 mod-10 check digit (GTIN, SSCC, GLN).
    Mod10,
    /// `YYMMDD` with `DD` allowed to be `00`.
    Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spec {
    ai_len: usize,
    /// `Some(n)`: exactly `n` characters; `None`: variable up to `max`.
    fixed: Option<usize>,
    max: usize,
    content: Content,
    check: Check,
}

const fn fixed(ai_len: usize, n: usize, check: Check) -> Spec {
    Spec {
        ai_len,
        fixed: Some(n),
        max: n,
        content: Content::Numeric,
        check,
    }
}

const fn var(ai_len: usize, max: usize, content: Content) -> Spec {
    Spec {
        ai_len,
        fixed: None,
        max,
        content,
        check: Check::None,
    }
}

/// The specification of the AI at the start of `s` (digits), if known.
fn spec_for(s: &str) -> Option<Spec> {
    use Check::{Date, Mod10};
    use Content::{Alnum, Numeric};
    let digits = |n: usize| s.get(..n).filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
    let two = digits(2)?;
    let spec = match two {
        "00" => fixed(2, 18, Mod10),
        "01" | "02" | "03" => fixed(2, 14, Mod10),
        "11" | "12" | "13" | "15" | "16" | "17" => fixed(2, 6, Date),
        "20" => fixed(2, 2, Check::None),
        "10" | "21" | "22" => var(2, 20, Alnum),
        "30" | "37" => var(2, 8, Numeric),
        "90" => var(2, 30, Alnum),
        "91" | "92" | "93" | "94" | "95" | "96" | "97" | "98" | "99" => var(2, 90, Alnum),
        _ => {
            let three = digits(3)?;
            match three {
                "235" => var(3, 28, Alnum),
                "240" | "241" | "250" | "251" | "400" | "401" | "403" => var(3, 30, Alnum),
                "242" => var(3, 6, Numeric),
                "243" | "420" => var(3, 20, Alnum),
                "254" => var(3, 20, Alnum),
                "253" => var(3, 30, Alnum),
                "255" => var(3, 25, Numeric),
                "402" => fixed(3, 17, Mod10),
                "410" | "411" | "412" | "413" | "414" | "415" | "416" | "417" => {
                    fixed(3, 13, Mod10)
                }
                "421" => var(3, 12, Alnum),
                "422" | "424" | "426" => fixed(3, 3, Check::None),
                "423" | "425" => var(3, 15, Numeric),
                "427" => var(3, 3, Alnum),
                _ => {
                    let four = digits(4)?;
                    let d = four.as_bytes();
                    match (d[0], d[1], d[2]) {
                        // 310n–369n: measures, 6 digits with n decimals.
                        (b'3', b'1'..=b'6', b'0'..=b'9') => fixed(4, 6, Check::None),
                        // 390n/392n amounts, 391n/393n amounts with ISO currency.
                        (b'3', b'9', b'0' | b'2') => var(4, 15, Numeric),
                        (b'3', b'9', b'1' | b'3') => var(4, 18, Numeric),
                        (b'3', b'9', b'4') => fixed(4, 4, Check::None),
                        (b'3', b'9', b'5') => fixed(4, 6, Check::None),
                        _ => match four {
                            "7001" => fixed(4, 13, Check::None),
                            "7002" | "7021" | "7022" | "7023" => var(4, 30, Alnum),
                            "7003" => fixed(4, 10, Check::None),
                            "7006" => fixed(4, 6, Date),
                            "7007" => var(4, 12, Numeric),
                            "7240" => var(4, 20, Alnum),
                            "8001" => fixed(4, 14, Check::None),
                            "8002" | "8012" => var(4, 20, Alnum),
                            "8003" => var(4, 30, Alnum),
                            "8004" | "8010" | "8020" => var(4, 30, Alnum),
                            "8005" => fixed(4, 6, Check::None),
                            "8006" => fixed(4, 18, Check::None),
                            "8007" => var(4, 34, Alnum),
                            "8008" => var(4, 12, Numeric),
                            "8011" => var(4, 12, Numeric),
                            "8017" | "8018" => fixed(4, 18, Mod10),
                            "8200" => var(4, 70, Alnum),
                            _ => return None,
                        },
                    }
                }
            }
        }
    };
    Some(spec)
}

fn is_cset82(c: char) -> bool {
    c.is_ascii_graphic() && !matches!(c, '#' | '$' | '@' | '[' | '\\' | ']' | '^' | '`' | '{'..)
}

fn validate(ai: &str, spec: &Spec, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("AI ({ai}) has no value"));
    }
    let n = value.chars().count();
    if let Some(len) = spec.fixed {
        if n != len {
            return Err(format!("AI ({ai}) needs {len} digits, got {n} (`{value}`)"));
        }
    } else if n > spec.max {
        return Err(format!(
            "AI ({ai}) is at most {} characters, got {n}; a group separator may be missing",
            spec.max
        ));
    }
    match spec.content {
        Content::Numeric => {
            if let Some(bad) = value.chars().find(|c| !c.is_ascii_digit()) {
                return Err(format!(
                    "AI ({ai}) must be digits, found `{bad}` in `{value}`"
                ));
            }
        }
        Content::Alnum => {
            if let Some(bad) = value.chars().find(|c| !is_cset82(*c)) {
                return Err(format!(
                    "AI ({ai}) has a character GS1 does not allow: {bad:?} in {value:?}"
                ));
            }
        }
    }
    match spec.check {
        Check::None => {}
        Check::Mod10 => {
            let (body, last) = value.split_at(value.len() - 1);
            let want = gtin::check_digit(body);
            if want.map(|d| char::from(b'0' + d)) != last.chars().next() {
                let want = want.map_or_else(|| "?".to_string(), |d| d.to_string());
                return Err(format!(
                    "AI ({ai}) check digit is wrong in {value}: ends in {last}, expected {want}"
                ));
            }
        }
        Check::Date => {
            let num = |r: std::ops::Range<usize>| value.get(r).and_then(|s| s.parse::<u8>().ok());
            let (month, day) = (num(2..4).unwrap_or(0), num(4..6).unwrap_or(99));
            if !(1..=12).contains(&month) || day > 31 {
                return Err(format!("AI ({ai}) is not a YYMMDD date: {value}"));
            }
        }
    }
    Ok(())
}

/// Parses a GS1 element string (without the `]C1`/`]d2`/`]Q3` symbology identifier).
///
/// Separators are GS (ASCII 29) and, when given, the printable substitute `gs` that the
/// scanner was programmed to send instead. A leading separator (a transmitted FNC1) is
/// ignored. Check digits of AI (00), (01), (02), (41x) are validated; the error names the
/// AI and what is wrong, e.g. `AI (01) check digit is wrong in 04006381333932: ends in 2,
/// expected 1`.
///
/// ```
/// use packdesk::scan::parse_gs1;
/// let g = parse_gs1("01040063813339311726123110LOT42~21SN7", Some('~')).unwrap();
/// assert_eq!(g.gtin.as_deref(), Some("04006381333931"));
/// assert_eq!(g.expiry.as_deref(), Some("261231"));
/// assert_eq!(g.lot.as_deref(), Some("LOT42"));
/// assert_eq!(g.serial.as_deref(), Some("SN7"));
/// ```
pub fn parse_gs1(data: &str, gs: Option<char>) -> Result<Gs1, String> {
    let is_sep = |c: char| c == GS || Some(c) == gs;
    let mut rest = data.trim_start_matches(is_sep);
    if rest.is_empty() {
        return Err("GS1 data is empty".to_string());
    }
    let mut out = Gs1::default();
    while !rest.is_empty() {
        let Some(spec) = spec_for(rest) else {
            let head: String = rest.chars().take(4).collect();
            return Err(format!("unknown GS1 AI at `{head}`"));
        };
        let (ai, after) = rest.split_at(spec.ai_len);
        let (value, next) = match spec.fixed {
            Some(n) => {
                let end = after
                    .char_indices()
                    .take(n)
                    .take_while(|(_, c)| !is_sep(*c))
                    .map(|(i, c)| i + c.len_utf8())
                    .last()
                    .unwrap_or(0);
                after.split_at(end)
            }
            None => after.split_at(after.find(is_sep).unwrap_or(after.len())),
        };
        validate(ai, &spec, value)?;
        rest = next.trim_start_matches(is_sep);
        let value = value.to_string();
        let slot = match ai {
            "01" => &mut out.gtin,
            "10" => &mut out.lot,
            "17" => &mut out.expiry,
            "21" => &mut out.serial,
            _ => {
                out.other.push((ai.to_string(), value));
                continue;
            }
        };
        if slot.is_some() {
            return Err(format!("AI ({ai}) appears twice"));
        }
        *slot = Some(value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_length_needs_no_separator() {
        let g = parse_gs1("010001234567890517260101", None);
        assert_eq!(
            g,
            Ok(Gs1 {
                gtin: Some("00012345678905".into()),
                expiry: Some("260101".into()),
                ..Gs1::default()
            })
        );
    }

    #[test]
    fn variable_length_ends_at_gs_or_end() {
        let g = parse_gs1("10ABC-1\u{1d}21XYZ\u{1d}", None).unwrap_or_default();
        assert_eq!(g.lot.as_deref(), Some("ABC-1"));
        assert_eq!(g.serial.as_deref(), Some("XYZ"));
        // Without a separator the lot swallows the rest, up to its limit.
        let g = parse_gs1("10ABC21XYZ", None).unwrap_or_default();
        assert_eq!(g.lot.as_deref(), Some("ABC21XYZ"));
        assert_eq!(g.serial, None);
    }

    #[test]
    fn other_ais_kept_in_order() {
        let g = parse_gs1(
            "00106141412345678908\u{1d}020400638133393137100\u{1d}3103001250",
            None,
        );
        assert_eq!(
            g.map(|g| g.other),
            Ok(vec![
                ("00".into(), "106141412345678908".into()),
                ("02".into(), "04006381333931".into()),
                ("37".into(), "100".into()),
                ("3103".into(), "001250".into()),
            ])
        );
    }

    #[test]
    fn errors_name_the_ai() {
        let e = parse_gs1("0104006381333932", None)
            .err()
            .unwrap_or_default();
        assert!(e.contains("AI (01)") && e.contains("expected 1"), "{e}");
        let e = parse_gs1("01040063813339", None).err().unwrap_or_default();
        assert!(e.contains("AI (01) needs 14"), "{e}");
        let e = parse_gs1("010400638133393117991399", None)
            .err()
            .unwrap_or_default();
        assert!(e.contains("AI (17)") && e.contains("YYMMDD"), "{e}");
        let e = parse_gs1("10ABCDEFGHIJKLMNOPQRSTUV", None)
            .err()
            .unwrap_or_default();
        assert!(e.contains("AI (10) is at most 20"), "{e}");
        let e = parse_gs1("3712A", None).err().unwrap_or_default();
        assert!(e.contains("AI (37) must be digits"), "{e}");
        let e = parse_gs1("10A\u{1d}10B", None).err().unwrap_or_default();
        assert!(e.contains("AI (10) appears twice"), "{e}");
        let e = parse_gs1("88123", None).err().unwrap_or_default();
        assert!(e.contains("unknown GS1 AI at `8812`"), "{e}");
        let e = parse_gs1("\u{1d}", None).err().unwrap_or_default();
        assert!(e.contains("empty"), "{e}");
        let e = parse_gs1("10", None).err().unwrap_or_default();
        assert!(e.contains("AI (10) has no value"), "{e}");
    }

    #[test]
    fn short_fixed_field_cut_by_separator_is_an_error() {
        let e = parse_gs1("0112345\u{1d}10A", None)
            .err()
            .unwrap_or_default();
        assert!(e.contains("AI (01) needs 14 digits, got 5"), "{e}");
    }

    #[test]
    fn substitute_and_non_ascii_never_panic() {
        let g = parse_gs1("|10Ž|", Some('|'));
        assert!(g.is_err_and(|e| e.contains("AI (10)")));
        let g = parse_gs1("01ěěěěěěěěěěěěěě", None);
        assert!(g.is_err_and(|e| e.contains("AI (01)")));
    }
}
