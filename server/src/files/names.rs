//! File names: the name a client gives (checked as Parse Server checks it: at most 128
//! characters, letters, digits and `@ . ~ _ -` and spaces, not starting with a symbol other than
//! `_`), and the unique stored name made from it.

use super::FileError;

const MAX_GIVEN: usize = 128;

fn allowed(c: char, first: bool) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || (!first && matches!(c, '@' | '.' | ' ' | '~' | '-'))
}

/// Checks a name given on upload (error 122 otherwise). No path separator, control character
/// or leading dot can pass, so a name never leaves its folder.
pub fn check_given(name: &str) -> Result<(), FileError> {
    if name.is_empty() {
        return Err(FileError::InvalidName("Filename not provided.".into()));
    }
    if name.chars().count() > MAX_GIVEN {
        return Err(FileError::InvalidName("Filename too long.".into()));
    }
    let mut chars = name.chars();
    let first = chars.next().is_some_and(|c| allowed(c, true));
    if !first || !chars.all(|c| allowed(c, false)) {
        return Err(FileError::InvalidName("Filename contains invalid characters.".into()));
    }
    Ok(())
}

/// A new unique stored name: 32 random hex digits, `_`, the given name.
pub fn stored_name(given: &str) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    let prefix: String = (0..32).map(|_| char::from_digit(rng.random_range(0..16), 16).expect("a hex digit")).collect();
    format!("{prefix}_{given}")
}

/// Checks a stored name as it arrives in a URL: the shape [`stored_name`] makes (error 122
/// otherwise), so only names Hearth made reach a backend.
pub fn check_stored(name: &str) -> Result<(), FileError> {
    let bad = || FileError::InvalidName("Invalid file name.".into());
    let (prefix, given) = name.split_at_checked(33).ok_or_else(bad)?;
    let hex = prefix.strip_suffix('_').ok_or_else(bad)?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    check_given(given).map_err(|_| bad())
}

/// The name the client gave, from a stored name.
pub fn given_part(stored: &str) -> &str {
    stored.get(33..).unwrap_or(stored)
}

/// The extension of a name (after the last dot), lower case; empty when none.
pub fn extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_names_as_parse_server_checks_them() {
        for ok in ["a.png", "_x", "my photo (1).jpg".replace(['(', ')'], "").as_str(), "a@b.c~d-e_f", "A1"] {
            assert!(check_given(ok).is_ok(), "{ok}");
        }
        for bad in ["", "../etc/passwd", "a/b", "a\\b", ".hidden", "-x", "a\nb", "a\0b", "é.png", "a%2Fb", &"x".repeat(129)] {
            assert!(matches!(check_given(bad), Err(FileError::InvalidName(_))), "{bad:?}");
        }
    }

    #[test]
    fn stored_names_are_unique_and_checked_on_the_way_back() {
        let a = stored_name("a.png");
        assert_ne!(a, stored_name("a.png"));
        assert!(check_stored(&a).is_ok());
        assert_eq!(given_part(&a), "a.png");
        for bad in [
            "a.png",
            "0123456789abcdef0123456789abcdeg_a.png",
            "0123456789abcdef0123456789abcdef-a.png",
            "0123456789abcdef0123456789abcdef_../x",
        ] {
            assert!(check_stored(bad).is_err(), "{bad}");
        }
        assert_eq!(extension("a.tar.GZ"), "gz");
        assert_eq!(extension("noext"), "");
    }
}
