//! GTIN (EAN-8, UPC-A, EAN-13, GTIN-14) check digits and normalisation to GTIN-14.

/// The GS1 mod-10 check digit for `body` (all digits, without the check digit).
pub fn check_digit(body: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, c) in body.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = u32::from(c - b'0');
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// True when `code` is 8, 12, 13 or 14 digits with a valid check digit.
pub fn is_valid(code: &str) -> bool {
    matches!(code.len(), 8 | 12 | 13 | 14)
        && code.bytes().all(|b| b.is_ascii_digit())
        && check_digit(&code[..code.len() - 1]) == Some(code.as_bytes()[code.len() - 1] - b'0')
}

/// Normalises a valid EAN-8/UPC-A/EAN-13/GTIN-14 to GTIN-14 (left-padded with zeros), so
/// that `012345678905`, `0012345678905` and `00012345678905` are one product.
/// Returns `None` for anything that is not a valid GTIN.
pub fn to_gtin14(code: &str) -> Option<String> {
    if is_valid(code) {
        Some(format!("{code:0>14}"))
    } else {
        None
    }
}

/// Appends the check digit to `body` (used by the demo data to make valid EANs).
pub fn with_check_digit(body: &str) -> Option<String> {
    check_digit(body).map(|d| format!("{body}{d}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits() {
        assert!(is_valid("4006381333931"));
        assert!(is_valid("012345678905"));
        assert!(is_valid("96385074"));
        assert!(!is_valid("4006381333932"));
        assert!(!is_valid("40063813339"));
        assert_eq!(with_check_digit("400638133393").as_deref(), Some("4006381333931"));
    }

    #[test]
    fn normalises_to_gtin14() {
        let a = to_gtin14("012345678905");
        assert_eq!(a.as_deref(), Some("00012345678905"));
        assert_eq!(a, to_gtin14("0012345678905"));
        assert_eq!(a, to_gtin14("00012345678905"));
        assert_eq!(to_gtin14("SKU-123"), None);
    }
}
