//! The Parse JS SDK's JSON form of a file upload (`{"base64": "...", "_ContentType": ...,
//! "fileData": {...}, "_ApplicationId": ...}`), read from a body in memory or in a temporary
//! file without holding the file: the members other than `base64` are kept as text (they are
//! small: keys, content type, metadata; at most [`FIELDS_LIMIT`] with their names) and parsed
//! only once the keys among them admitted the request, the base64 text is only located, then
//! decoded in pieces.

use std::io::{BufRead, Read, SeekFrom};
use std::ops::Range;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use crate::http::body::ReadSeek;
use crate::http::extract::BodyKeys;

/// The most the members other than `base64` may take, in all.
pub const FIELDS_LIMIT: usize = 1 << 20;

/// How much base64 text is decoded at a time. Pieces stay small: mimalloc keeps freed large
/// blocks in the heap of the thread that used them (many blocking threads, hence tens of MiB
/// resident after a few uploads at 256 KiB), while small ones are reused at once.
const PIECE: usize = 64 << 10;

/// What the form holds.
pub struct Form {
    /// Every member but `base64`, its value's JSON text as sent (checked to be one value).
    fields: Vec<(String, Vec<u8>)>,
    /// Where the text of the `base64` string lies (between its quotes), if it is a string.
    pub base64: Option<Range<u64>>,
}

/// Names the members only: their values carry keys.
impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Form")
            .field("fields", &self.fields.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("base64", &self.base64)
            .finish()
    }
}

impl Form {
    /// The keys among the members (`_ApplicationId`, `_MasterKey`...), without parsing the others.
    pub fn keys(&self) -> BodyKeys {
        let mut object = Map::new();
        for (name, raw) in &self.fields {
            if name.starts_with('_')
                && let Ok(value @ Value::String(_)) = serde_json::from_slice(raw)
            {
                object.insert(name.clone(), value);
            }
        }
        serde_json::from_value(Value::Object(object)).unwrap_or_default()
    }

    /// Every member but `base64`, parsed (a later member of a name wins, as in serde_json).
    pub fn fields(&self) -> Result<Map<String, Value>, FormError> {
        let mut fields = Map::new();
        for (name, raw) in &self.fields {
            fields.insert(name.clone(), serde_json::from_slice(raw).map_err(|e| FormError::Invalid(e.to_string()))?);
        }
        Ok(fields)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum FormError {
    /// Not JSON, or not a JSON object.
    Invalid(String),
    /// The members other than `base64` are larger than [`FIELDS_LIMIT`].
    TooLarge,
    Io(String),
}

/// A reader that counts its position.
struct Scanner<R> {
    r: R,
    pos: u64,
}

impl<R: BufRead> Scanner<R> {
    fn peek(&mut self) -> Result<Option<u8>, FormError> {
        Ok(self.r.fill_buf().map_err(|e| FormError::Io(e.to_string()))?.first().copied())
    }

    fn next(&mut self) -> Result<u8, FormError> {
        let b = self.peek()?.ok_or_else(|| FormError::Invalid("unexpected end of the body".into()))?;
        self.r.consume(1);
        self.pos += 1;
        Ok(b)
    }

    fn white_space(&mut self) -> Result<Option<u8>, FormError> {
        while let Some(b) = self.peek()? {
            if !b.is_ascii_whitespace() {
                return Ok(Some(b));
            }
            self.next()?;
        }
        Ok(None)
    }

    fn expect(&mut self, want: u8) -> Result<(), FormError> {
        match self.white_space()? {
            Some(b) if b == want => self.next().map(|_| ()),
            _ => Err(FormError::Invalid(format!("expected {:?} at byte {}", want as char, self.pos))),
        }
    }

    /// The rest of a string whose opening quote was read, its raw text (escapes as sent) kept
    /// in `out` when given, up to `cap` bytes. Runs without quotes or escapes are taken whole.
    fn string(&mut self, mut out: Option<&mut Vec<u8>>, cap: usize) -> Result<(), FormError> {
        loop {
            let buf = self.r.fill_buf().map_err(|e| FormError::Io(e.to_string()))?;
            if buf.is_empty() {
                return Err(FormError::Invalid("unexpected end of the body".into()));
            }
            let run = buf.iter().position(|b| matches!(b, b'"' | b'\\')).unwrap_or(buf.len());
            if let Some(out) = out.as_deref_mut() {
                if out.len() + run >= cap {
                    return Err(FormError::TooLarge);
                }
                out.extend_from_slice(&buf[..run]);
            }
            self.r.consume(run);
            self.pos += run as u64;
            if self.peek()?.is_none() {
                continue;
            }
            let b = self.next()?;
            if let Some(out) = out.as_deref_mut() {
                out.push(b);
            }
            if b == b'"' {
                return Ok(());
            }
            let escaped = self.next()?;
            if let Some(out) = out.as_deref_mut() {
                out.push(escaped);
            }
        }
    }

    /// One JSON value's raw text, appended to `out` (at most `cap` bytes in all).
    fn value(&mut self, out: &mut Vec<u8>, cap: usize) -> Result<(), FormError> {
        let mut depth = 0usize;
        loop {
            let Some(b) = self.peek()? else { return Err(FormError::Invalid("unexpected end of the body".into())) };
            if depth == 0 && !out.is_empty() && matches!(b, b',' | b'}' | b']') {
                return Ok(());
            }
            if out.len() >= cap {
                return Err(FormError::TooLarge);
            }
            out.push(self.next()?);
            match b {
                b'"' => self.string(Some(out), cap)?,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.checked_sub(1).ok_or_else(|| FormError::Invalid("unbalanced brackets".into()))?;
                }
                _ => {}
            }
            if depth == 0 && matches!(b, b'"' | b'}' | b']') {
                return Ok(());
            }
        }
    }
}

/// Reads the form: the members but `base64` (at most [`FIELDS_LIMIT`] bytes of them, names
/// included) and where the base64 text lies. Nothing is parsed into values yet: that waits for
/// the keys.
pub fn scan(r: impl BufRead) -> Result<Form, FormError> {
    let mut s = Scanner { r, pos: 0 };
    let (mut fields, mut base64) = (Vec::new(), None);
    let mut used = 0usize;
    s.expect(b'{')?;
    if s.white_space()? == Some(b'}') {
        s.next()?;
    } else {
        loop {
            s.expect(b'"')?;
            let mut key = vec![b'"'];
            s.string(Some(&mut key), 1024)?;
            let key: String = serde_json::from_slice(&key).map_err(|e| FormError::Invalid(e.to_string()))?;
            s.expect(b':')?;
            if key == "base64" && s.white_space()? == Some(b'"') {
                s.next()?;
                let start = s.pos;
                s.string(None, 0)?;
                base64 = Some(start..s.pos - 1);
            } else {
                // The name counts before the value is read, so the value's room is what is left.
                used = used.saturating_add(key.len());
                if used >= FIELDS_LIMIT {
                    return Err(FormError::TooLarge);
                }
                s.white_space()?;
                let mut raw = Vec::new();
                s.value(&mut raw, FIELDS_LIMIT - used)?;
                used = used.saturating_add(raw.len());
                if used > FIELDS_LIMIT {
                    return Err(FormError::TooLarge);
                }
                // One JSON value, checked without building it: it is built once the keys admit
                // the request.
                serde_json::from_slice::<serde::de::IgnoredAny>(&raw).map_err(|e| FormError::Invalid(e.to_string()))?;
                fields.push((key, raw));
            }
            match s.white_space()? {
                Some(b',') => {
                    s.next()?;
                }
                Some(b'}') => {
                    s.next()?;
                    break;
                }
                _ => return Err(FormError::Invalid(format!("expected ',' or '}}' at byte {}", s.pos))),
            }
        }
    }
    if s.white_space()?.is_some() {
        return Err(FormError::Invalid("trailing characters after the JSON object".into()));
    }
    Ok(Form { fields, base64 })
}

/// Decodes the base64 text at `range` (standard alphabet, padded or not, white space and JSON's
/// `\/` and `\n` escapes allowed, after an optional `data:...;base64,` prefix), giving the bytes
/// to `out` a piece at a time. Answers the decoded size; `Err(None)` when the text is not base64,
/// `Err(Some(e))` when `out` refused.
pub fn decode<E>(r: &mut dyn ReadSeek, range: Range<u64>, mut out: impl FnMut(Vec<u8>) -> Result<(), E>) -> Result<u64, Option<E>> {
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    r.seek(SeekFrom::Start(range.start)).map_err(|_| None)?;
    let mut text = r.take(range.end - range.start);
    let mut raw = vec![0u8; PIECE];
    let mut clean: Vec<u8> = Vec::with_capacity(PIECE + 4);
    let (mut size, mut first, mut escape) = (0u64, true, None::<Vec<u8>>);
    loop {
        let n = text.read(&mut raw).map_err(|_| None)?;
        let mut piece = &raw[..n];
        if first && n > 0 {
            first = false;
            // A data URL's prefix: `;` and `,` are no base64, so one within the first KiB is it.
            let head = &piece[..piece.len().min(1024)];
            if let Some(at) = head.windows(8).position(|w| w == b";base64,") {
                piece = &piece[at + 8..];
            }
        }
        for &b in piece {
            if let Some(seq) = &mut escape {
                seq.push(b);
                match (seq[0], seq.len()) {
                    (b'/', _) => clean.push(b'/'),
                    (b'n' | b'r' | b't', _) => {}
                    (b'u', 5) => {
                        let code = std::str::from_utf8(&seq[1..]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or(None)?;
                        if !code.is_ascii_whitespace() {
                            clean.push(code);
                        }
                    }
                    (b'u', _) => continue,
                    _ => return Err(None),
                }
                escape = None;
            } else if b == b'\\' {
                escape = Some(Vec::with_capacity(5));
            } else if !b.is_ascii_whitespace() {
                clean.push(b);
            }
        }
        let end = n == 0;
        // Whole groups of four, but for the last piece, which may be unpadded. Before the end,
        // the last group waits: it may be the padded last one, whose end of text comes in a
        // later read.
        let take = if end { clean.len() } else { clean.len().saturating_sub(1) / 4 * 4 };
        if take > 0 && (end || clean.len() >= PIECE) {
            let group = &clean[..take];
            if !end && group.contains(&b'=') {
                return Err(None);
            }
            let bytes = engine.decode(group).map_err(|_| None)?;
            size += bytes.len() as u64;
            out(bytes).map_err(Some)?;
            clean.drain(..take);
        }
        if end {
            return if escape.is_some() { Err(None) } else { Ok(size) };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn decoded(body: &str) -> Result<Vec<u8>, ()> {
        let form = scan(Cursor::new(body.as_bytes())).map_err(|_| ())?;
        let mut bytes = Vec::new();
        decode::<()>(&mut Cursor::new(body.as_bytes()), form.base64.ok_or(())?, |b| {
            bytes.extend(b);
            Ok(())
        })
        .map_err(|_| ())?;
        Ok(bytes)
    }

    #[test]
    fn forms_are_read_without_the_base64_text() {
        let body = r#" {"base64": "aGVsbG8=", "_ContentType": "text/plain", "fileData": {"metadata": {"a": [1, "}"]}}, "_ApplicationId": "app", "n": -1.5e3, "t": true} "#;
        let form = scan(Cursor::new(body.as_bytes())).unwrap();
        assert_eq!(
            Value::Object(form.fields().unwrap()),
            serde_json::json!({"_ContentType": "text/plain", "fileData": {"metadata": {"a": [1, "}"]}}, "_ApplicationId": "app", "n": -1.5e3, "t": true})
        );
        assert_eq!(form.keys().application_id.as_deref(), Some("app"));
        let at = form.base64.unwrap();
        assert_eq!(&body[at.start as usize..at.end as usize], "aGVsbG8=");
        assert_eq!(scan(Cursor::new(b"{}".as_slice())).unwrap().base64, None);
        for bad in ["", "[1]", "{\"a\": 1", "{\"a\" 1}", "{\"a\": 1} x", "{\"base64\": \"abc"] {
            assert!(matches!(scan(Cursor::new(bad.as_bytes())), Err(FormError::Invalid(_))), "{bad:?}");
        }
        let big = format!("{{\"m\": \"{}\"}}", "x".repeat(FIELDS_LIMIT));
        assert_eq!(scan(Cursor::new(big.as_bytes())).unwrap_err(), FormError::TooLarge);
        // Not JSON values: refused before anything is built.
        assert!(matches!(scan(Cursor::new(br#"{"m": [1,]}"#.as_slice())), Err(FormError::Invalid(_))));
    }

    #[test]
    fn the_fields_limit_counts_names_before_values() {
        // A long name, then a value just under the limit, then a large member: the name counts
        // first, so the value no longer fits (it used to, and the next member's room wrapped).
        let name = "k".repeat(1000);
        let value = "x".repeat(FIELDS_LIMIT - 12);
        let members = format!("[{}0]", "0,".repeat(100_000));
        let body = format!(r#"{{"{name}": "{value}", "m": {members}}}"#);
        assert_eq!(scan(Cursor::new(body.as_bytes())).unwrap_err(), FormError::TooLarge);
        // Name and value within the limit together: read.
        let value = "x".repeat(FIELDS_LIMIT - 1000 - 3);
        let body = format!(r#"{{"{name}": "{value}", "_ApplicationId": 1}}"#);
        assert_eq!(scan(Cursor::new(body.as_bytes())).unwrap_err(), FormError::TooLarge, "the last member's name does not fit");
        let body = format!(r#"{{"{name}": "{value}"}}"#);
        let form = scan(Cursor::new(body.as_bytes())).unwrap();
        assert_eq!(form.fields().unwrap()[&name].as_str().map(str::len), Some(value.len()));
        // Names alone count too.
        let many = (0..2000).map(|i| format!(r#""{i:0>1000}": 0"#)).collect::<Vec<_>>().join(",");
        assert_eq!(scan(Cursor::new(format!("{{{many}}}").as_bytes())).unwrap_err(), FormError::TooLarge);
    }

    #[test]
    fn keys_are_read_without_parsing_the_other_members() {
        let form = scan(Cursor::new(
            br#"{"fileData": {"metadata": {"k": "v"}}, "_ApplicationId": "app", "_MasterKey": {"a": 1}, "_JavaScriptKey": "js"}"#
                .as_slice(),
        ))
        .unwrap();
        let keys = form.keys();
        assert_eq!((keys.application_id.as_deref(), keys.master_key, keys.javascript_key.as_deref()), (Some("app"), None, Some("js")));
    }

    #[test]
    fn base64_forms() {
        assert_eq!(decoded(r#"{"base64": "aGVsbG8="}"#).unwrap(), b"hello");
        assert_eq!(decoded(r#"{"base64": "aGVsbG8"}"#).unwrap(), b"hello");
        assert_eq!(decoded(r#"{"base64": "data:text/plain;base64,aGk="}"#).unwrap(), b"hi");
        assert_eq!(decoded(r#"{"base64": "aGVs\nbG8=", "x": 1}"#).unwrap(), b"hello");
        assert_eq!(decoded(r#"{"base64": "aGVs\/bG8="}"#), Err(()), "an escaped slash is a slash");
        assert_eq!(decoded(r#"{"base64": "ab\/+"}"#).unwrap(), [0x69, 0xbf, 0xfe]);
        assert_eq!(decoded(r#"{"base64": "a*b"}"#), Err(()));
        assert_eq!(decoded(r#"{"base64": "aGk=aGk="}"#), Err(()), "padding only at the end");
        // Larger than a piece: every byte comes back, also when the padding ends a piece (the
        // text of 49,151 bytes is one piece exactly, that of 98,303 two).
        for len in [PIECE * 2 + 7, 49_151, 49_152, 98_303, 98_304, 98_302] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let body = format!("{{\"base64\": \"{}\"}}", base64::engine::general_purpose::STANDARD.encode(&data));
            assert_eq!(decoded(&body).unwrap(), data, "{len} bytes");
        }
        // Padding followed by more text is refused wherever it falls.
        for at in [PIECE - 4, PIECE, PIECE + 4] {
            let text = format!("{}aGk={}", "A".repeat(at), "A".repeat(PIECE));
            assert_eq!(decoded(&format!(r#"{{"base64": "{text}"}}"#)), Err(()), "padding at {at}");
        }
    }
}
