//! Code 128 symbol encoding: picks the character sets (C for digit runs, B otherwise),
//! supports FNC1 for GS1-128, and hands the result to `barcoders` for the module pattern.

use barcoders::sym::code128::Code128;

use super::DocError;

/// The character that stands for FNC1 in the data given to [`code128_modules`]: ASCII GS
/// (0x1D), the same character a scanner sends for a GS1 field separator. A GS at the very
/// start makes the symbol GS1-128 (FNC1 right after the start character).
pub const FNC1: char = '\u{1d}';

/// barcoders' selector and FNC1 characters (see `barcoders::sym::code128`).
const SEL_B: char = 'Ɓ';
const SEL_C: char = 'Ć';
const BARCODERS_FNC1: char = 'Ź';

#[derive(Clone, Copy, PartialEq, Eq)]
enum Set {
    B,
    C,
}

/// Encodes `data` as Code 128 and returns its modules (`true` = bar), start, check
/// character and stop included, without quiet zones.
///
/// Printable ASCII (space to `~`) is allowed; [`FNC1`] marks GS1 function characters.
/// Runs of digits are packed two per symbol in charset C when that is shorter (≥ 4 digits
/// at either end, ≥ 6 in the middle, any even all-digit data).
pub fn code128_modules(data: &str) -> Result<Vec<bool>, DocError> {
    let encoded = to_barcoders(data)?;
    let symbol = Code128::new(&encoded).map_err(|e| DocError::Barcode {
        data: data.to_string(),
        reason: e.to_string(),
    })?;
    Ok(symbol.encode().into_iter().map(|m| m == 1).collect())
}

/// Builds a GS1-128 data string for [`code128_modules`] from (AI, value) pairs: a leading
/// [`FNC1`], and an FNC1 separator after every variable-length element that is not last.
/// Fixed-length AIs known here: 00, 01, 02, 11–17, 20, 31xx–36xx, 41x.
pub fn gs1_data(elements: &[(&str, &str)]) -> String {
    let mut out = String::new();
    out.push(FNC1);
    for (i, (ai, value)) in elements.iter().enumerate() {
        out.push_str(ai);
        out.push_str(value);
        let last = i + 1 == elements.len();
        if !last && !gs1_fixed_length(ai) {
            out.push(FNC1);
        }
    }
    out
}

/// Whether a GS1 application identifier has a predefined (fixed) length, so it needs no
/// separator after it (GS1 General Specifications, figure 7.8.5-2).
fn gs1_fixed_length(ai: &str) -> bool {
    let two = ai.get(..2).unwrap_or(ai);
    matches!(
        two,
        "00" | "01"
            | "02"
            | "03"
            | "04"
            | "11"
            | "12"
            | "13"
            | "14"
            | "15"
            | "16"
            | "17"
            | "18"
            | "19"
            | "20"
            | "31"
            | "32"
            | "33"
            | "34"
            | "35"
            | "36"
            | "41"
    )
}

/// Translates `data` into barcoders' input syntax (charset selectors + `Ź` for FNC1).
fn to_barcoders(data: &str) -> Result<String, DocError> {
    let chars: Vec<char> = data.chars().collect();
    if chars.is_empty() {
        return Err(DocError::Barcode {
            data: String::new(),
            reason: "empty data".to_string(),
        });
    }
    if let Some(bad) = chars
        .iter()
        .find(|&&c| c != FNC1 && !(' '..='~').contains(&c))
    {
        return Err(DocError::Barcode {
            data: data.to_string(),
            reason: format!(
                "character {bad:?} cannot be encoded in Code 128 (printable ASCII only)"
            ),
        });
    }
    let digit_run = |from: usize| {
        chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut out = String::with_capacity(data.len() + 4);
    let mut set: Option<Set> = None;
    let mut seen_data = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == FNC1 {
            if set.is_none() {
                // Start in C when digits follow (the usual GS1 case), else B.
                let s = if digit_run(i + 1) >= 2 {
                    Set::C
                } else {
                    Set::B
                };
                switch(&mut out, &mut set, s);
            }
            out.push(BARCODERS_FNC1);
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let mut run = digit_run(i);
            let at_start = !seen_data;
            let at_end = i + run == chars.len();
            let threshold = if set == Some(Set::C) {
                2
            } else if at_start || at_end {
                4
            } else {
                6
            };
            let all_digits_even = at_start && at_end && run.is_multiple_of(2);
            if run >= threshold || (all_digits_even && run >= 2) {
                if !run.is_multiple_of(2) {
                    if set == Some(Set::C) {
                        // Already in C: pairs here, the last digit goes in B after them.
                        run -= 1;
                    } else {
                        // The odd digit goes in B before the C run.
                        switch(&mut out, &mut set, Set::B);
                        out.push(c);
                        i += 1;
                        run -= 1;
                    }
                }
                switch(&mut out, &mut set, Set::C);
                out.extend(&chars[i..i + run]);
                i += run;
                seen_data = true;
                continue;
            }
        }
        switch(&mut out, &mut set, Set::B);
        out.push(c);
        seen_data = true;
        i += 1;
    }
    Ok(out)
}

fn switch(out: &mut String, set: &mut Option<Set>, to: Set) {
    if *set != Some(to) {
        out.push(match to {
            Set::B => SEL_B,
            Set::C => SEL_C,
        });
        *set = Some(to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_digit_runs_use_charset_c() {
        assert_eq!(to_barcoders("12345678").unwrap(), "Ć12345678");
        assert_eq!(to_barcoders("12345").unwrap(), "Ɓ1Ć2345");
        assert_eq!(to_barcoders("PKG-000123456").unwrap(), "ƁPKG-0Ć00123456");
        assert_eq!(to_barcoders("AB12CD").unwrap(), "ƁAB12CD");
        assert_eq!(to_barcoders("A1234B").unwrap(), "ƁA1234B");
        assert_eq!(to_barcoders("A123456B").unwrap(), "ƁAĆ123456ƁB");
        assert_eq!(to_barcoders("12").unwrap(), "Ć12");
        assert_eq!(to_barcoders("1").unwrap(), "Ɓ1");
        // After an FNC1 in C, an odd run keeps its pairs in C and ends in B.
        assert_eq!(to_barcoders("\u{1d}01234").unwrap(), "ĆŹ0123Ɓ4");
    }

    #[test]
    fn charset_c_makes_digit_codes_shorter() {
        let b_only = 11 * (1 + 12 + 1) + 13;
        let m = code128_modules("123456789012").unwrap();
        assert_eq!(m.len(), 11 * (1 + 6 + 1) + 13);
        assert!(m.len() < b_only);
    }

    #[test]
    fn gs1_starts_with_fnc1_and_separates_variable_fields() {
        let d = gs1_data(&[("01", "08594001234567"), ("10", "LOT42"), ("21", "SN9")]);
        assert_eq!(d, "\u{1d}010859400123456710LOT42\u{1d}21SN9");
        let enc = to_barcoders(&d).unwrap();
        assert!(enc.starts_with("ĆŹ0108594001234567"), "{enc}");
        assert!(enc.contains("ŹĆ21") || enc.contains("Ź21"), "{enc}");
        assert!(code128_modules(&d).is_ok());
    }

    #[test]
    fn modules_start_with_a_bar_and_end_with_the_stop_pattern() {
        let m = code128_modules("PD:PACK").unwrap();
        assert!(m[0]);
        let stop: Vec<bool> = [1, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1]
            .iter()
            .map(|&b| b == 1)
            .collect();
        assert_eq!(&m[m.len() - 13..], stop.as_slice());
    }

    #[test]
    fn rejects_non_ascii_and_empty_data_naming_it() {
        let err = code128_modules("Žluťoučký").unwrap_err().to_string();
        assert!(err.contains("Žluťoučký"), "{err}");
        assert!(err.contains("'Ž'"), "{err}");
        let err = code128_modules("").unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
    }
}
