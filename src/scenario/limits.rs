//! Size limits on scenario input, and the one linear pass over the text that enforces them before
//! ron reads it, so that a malformed or hostile file gets a clear error instead of hanging the tool.
//!
//! Why each limit exists:
//! - ron 0.11 rescans the rest of a string literal after every escape, so reading a string costs
//!   about (escapes × length): a `name` of a million `\n` (2 MB) took 76 s. Capping the length and
//!   the escapes of each string bounds that cost per input byte, so parsing stays linear in the
//!   file size (a 4 MiB file made entirely of strings at both limits: 0.4-0.6 s with checking).
//! - Checking a timeline `Set` event re-applies it to a copy of the scenario (without its timeline)
//!   and checks the copy, so checking costs about (events × groups): 2,000 creator groups and 2,000 events,
//!   a 140 KB file, took 22 s. Capping both lists bounds it (0.5-0.8 s for a 4 MiB file of
//!   long events and groups at their limits, on a busy 2-core machine).
//!
//! Scenario files are a few KB; every limit is far above what a real experiment needs.

use super::{Problem, Scenario};

/// Largest scenario file (or text given to `parse`): 4 MiB.
pub const MAX_FILE_BYTES: usize = 4 << 20;
/// Longest string literal, in bytes between its quotes as written in the file: 64 KiB.
pub const MAX_STRING_BYTES: usize = 64 << 10;
/// Most escapes (`\n`, `\"`, `\u{..}`, ...) in one string literal.
pub const MAX_STRING_ESCAPES: usize = 1024;
/// Most creator groups in `creators`.
pub const MAX_CREATOR_GROUPS: usize = 128;
/// Most events in `timeline`.
pub const MAX_TIMELINE_EVENTS: usize = 256;
/// Longest `--set` (or timeline `Set`) value: 64 KiB, the same as a string literal in a file.
pub const MAX_OVERRIDE_VALUE_BYTES: usize = 64 << 10;

/// Longest piece of user input an error message repeats whole.
pub const MAX_ECHO_CHARS: usize = 120;
/// Longest message about user input (one that may quote it) shown whole.
pub const MAX_MESSAGE_CHARS: usize = 600;

/// User input (or a message that quotes it) as an error message repeats it: whole up to
/// `max_chars` characters, else its first two thirds and last third of that around an ellipsis
/// and its length, so a 64 KiB value neither buries the message nor hides how it ends
/// ("..., expected u64").
pub fn echo(input: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    let chars = input.chars().count();
    if chars <= max_chars {
        return input.into();
    }
    let head: String = input.chars().take(max_chars * 2 / 3).collect();
    let tail: String = input.chars().skip(chars - max_chars / 3).collect();
    format!("{head}…[{} bytes]…{tail}", input.len()).into()
}

#[cfg(test)]
#[test]
fn echo_keeps_short_input_and_both_ends_of_long_input() {
    assert_eq!(echo("seed=3", MAX_ECHO_CHARS), "seed=3");
    let long = format!("seed={}, expected u64", "x".repeat(60_000));
    let short = echo(&long, MAX_ECHO_CHARS);
    assert!(short.len() < 200, "{short}");
    assert!(short.starts_with("seed=xxx"), "{short}");
    assert!(short.ends_with("xxx, expected u64"), "{short}");
    assert!(short.contains("…[60019 bytes]…"), "{short}");
    // Cut on characters, never inside one.
    let wide = "é".repeat(500);
    assert_eq!(
        echo(&wide, MAX_ECHO_CHARS)
            .chars()
            .filter(|&c| c == 'é')
            .count(),
        120
    );
}

/// A string literal over a limit: where it starts (byte offset of its first character) and why.
#[derive(Debug, PartialEq)]
pub(crate) struct Exceeded {
    pub offset: usize,
    pub message: String,
}

/// Finds the first string literal over `MAX_STRING_BYTES` or `MAX_STRING_ESCAPES`.
///
/// Lexes just enough RON to know what is inside a string: `"..."` and `b"..."` with escapes,
/// raw strings `r"..."`, `r#"..."#` (and `br`), char literals (`'"'` must not open a string),
/// `//` line comments and nested `/* */` block comments, as ron 0.11 reads them. Everything else is
/// skipped byte by byte. On a valid prefix this agrees with ron, so every string ron would read is
/// checked; after an error ron stops anyway. One pass, constant work per byte. All delimiters are
/// ASCII, which never occurs inside a multi-byte UTF-8 character, so walking bytes is safe.
pub(crate) fn check_strings(text: &str) -> Result<(), Exceeded> {
    let b = text.as_bytes();
    let n = b.len();
    let mut i = 0;
    while i < n {
        match b[i] {
            b'"' => i = quoted_string(b, i)?,
            b'\'' => i = char_literal(b, i),
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = memchr(b'\n', &b[i..]).map_or(n, |k| i + k + 1);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => i = block_comment(b, i),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &b[start..i];
                if word == b"r" || word == b"br" {
                    let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
                    if b.get(i + hashes) == Some(&b'"') {
                        i = raw_string(b, start, i + hashes + 1, hashes)?;
                    } else {
                        // A raw identifier (`r#type`) or a plain `r`: nothing to check.
                        i += hashes;
                    }
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Skips `"..."` opening at `open`; returns the index after its closing quote (or the end).
fn quoted_string(b: &[u8], open: usize) -> Result<usize, Exceeded> {
    let mut escapes = 0;
    let mut i = open + 1;
    // Jump from one quote or backslash to the next; nothing else matters inside a string.
    while let Some(k) = b[i..].iter().position(|&c| c == b'"' || c == b'\\') {
        i += k;
        if b[i] == b'"' {
            string_limits(i - open - 1, escapes, open, true)?;
            return Ok(i + 1);
        }
        escapes += 1;
        // The escaped character may be `"` or `\`; skipping it keeps the string open correctly.
        // (`\u{..}` and `\x..` go on with plain characters, which the search passes over.)
        i = (i + 2).min(b.len());
    }
    // Unterminated: ron reports the missing quote itself, but first it reads up to the last `"`
    // byte (an escaped one), so the limits apply to what runs to the end of the file.
    string_limits(b.len() - open - 1, escapes, open, false)?;
    Ok(b.len())
}

/// Skips a raw string whose body starts at `body` and ends at `"` followed by `hashes` `#`.
fn raw_string(b: &[u8], start: usize, body: usize, hashes: usize) -> Result<usize, Exceeded> {
    let mut i = body;
    while let Some(k) = memchr(b'"', &b[i..]) {
        let quote = i + k;
        let closing = b[quote + 1..]
            .iter()
            .take(hashes)
            .take_while(|&&c| c == b'#')
            .count();
        if closing == hashes {
            string_limits(quote - body, 0, start, true)?;
            return Ok(quote + 1 + hashes);
        }
        // Each `#` run after a quote is looked at once, so this stays linear.
        i = quote + 1;
    }
    string_limits(b.len() - body, 0, start, false).map(|()| b.len())
}

/// Skips a char literal (`'a'`, `'"'`, `'\''`, `'\u{1F600}'`) so its quote cannot open a string.
fn char_literal(b: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    match b.get(i) {
        Some(b'\\') => {
            i = (i + 2).min(b.len());
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'{' || b[i] == b'}') {
                i += 1;
            }
        }
        Some(&c) => i += utf8_len(c),
        None => return i,
    }
    // Not a well-formed char literal: ron stops with an error here; carry on after the `'`.
    if b.get(i) == Some(&b'\'') {
        i + 1
    } else {
        open + 1
    }
}

/// Skips a block comment, nested as ron nests them (`/*` before `*/` at the same position).
fn block_comment(b: &[u8], open: usize) -> usize {
    let mut level = 0usize;
    let mut i = open;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            level += 1;
            i += 2;
        } else if b[i..].starts_with(b"*/") {
            level -= 1;
            i += 2;
            if level == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

fn string_limits(bytes: usize, escapes: usize, start: usize, closed: bool) -> Result<(), Exceeded> {
    let message = if bytes <= MAX_STRING_BYTES && escapes <= MAX_STRING_ESCAPES {
        return Ok(());
    } else if !closed {
        format!("string has no closing quote (it runs {bytes} bytes to the end of the file)")
    } else if bytes > MAX_STRING_BYTES {
        format!(
            "string is {bytes} bytes long, over the limit of {MAX_STRING_BYTES} bytes (64 KiB) \
             for one string"
        )
    } else {
        format!(
            "string has {escapes} escapes (\\n, \\\", \\u{{..}}, ...), over the limit of \
             {MAX_STRING_ESCAPES} for one string; write the characters themselves instead"
        )
    };
    Err(Exceeded {
        offset: start,
        message,
    })
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&c| c == needle)
}

fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// 1-based line and column (in characters, as ron counts them) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        1 + before.bytes().filter(|&c| c == b'\n').count(),
        1 + before[line_start..].chars().count(),
    )
}

/// Lists longer than their limits, checked before the range checks whose cost they bound.
pub(crate) fn list_problems(s: &Scenario) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (path, what, len, limit) in [
        ("creators", "groups", s.creators.len(), MAX_CREATOR_GROUPS),
        ("timeline", "events", s.timeline.len(), MAX_TIMELINE_EVENTS),
    ] {
        if len > limit {
            problems.push(Problem {
                path: path.into(),
                message: format!("{len} {what}, more than the limit of {limit}"),
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(n: usize) -> String {
        "a".repeat(n)
    }

    #[test]
    fn strings_at_the_limits_pass_and_one_more_fails() {
        let ok = format!("(name: \"{}\")", long(MAX_STRING_BYTES));
        assert_eq!(check_strings(&ok), Ok(()));
        let err =
            check_strings(&format!("(name: \"{}\")", long(MAX_STRING_BYTES + 1))).unwrap_err();
        assert_eq!(err.offset, 7);
        assert!(err.message.contains("65537 bytes long"), "{}", err.message);

        let escapes = "\\n".repeat(MAX_STRING_ESCAPES);
        assert_eq!(check_strings(&format!("(name: \"{escapes}\")")), Ok(()));
        let err = check_strings(&format!("(name: \"{escapes}\\t\")")).unwrap_err();
        assert!(err.message.contains("1025 escapes"), "{}", err.message);
    }

    #[test]
    fn escaped_quotes_and_backslashes_do_not_end_a_string() {
        let text = format!(
            "(name: \"a\\\"b\\\\\", lesson: \"{}\")",
            long(MAX_STRING_BYTES + 1)
        );
        let err = check_strings(&text).unwrap_err();
        assert_eq!(&text[err.offset..err.offset + 8], "\"aaaaaaa");
    }

    #[test]
    fn comments_and_char_literals_hide_quotes() {
        let big = long(MAX_STRING_BYTES + 1);
        for text in [
            format!("// \" {big}\n(name: \"x\")"),
            format!("/* \" /* nested \" */ {big} \" */ (name: \"x\")"),
            format!("(name: '\"', lesson: '\\'', x: '\\u{{22}}', y: \"x\") // {big}"),
        ] {
            assert_eq!(check_strings(&text), Ok(()), "{}", &text[..40]);
        }
        // A quote after a block comment closes does open a string.
        assert!(check_strings(&format!("/* */ \"{big}\"")).is_err());
    }

    #[test]
    fn raw_strings_are_measured_and_raw_identifiers_are_not() {
        let big = long(MAX_STRING_BYTES + 1);
        assert!(check_strings(&format!("(name: r#\"{big}\"#)")).is_err());
        assert!(check_strings(&format!("(name: br\"{big}\")")).is_err());
        // `"` followed by too few hashes does not close `r##"`: the body is `a"#b"` and the rest.
        let text = format!("(name: r##\"a\"#b\"{}\"##)", long(MAX_STRING_BYTES - 5));
        assert_eq!(check_strings(&text), Ok(()));
        assert!(
            check_strings(&format!(
                "(name: r##\"a\"#b\"{}\"##)",
                long(MAX_STRING_BYTES - 4)
            ))
            .is_err()
        );
        // Backslashes are not escapes in raw strings.
        let raw = format!("(name: r\"{}\")", "\\".repeat(MAX_STRING_ESCAPES * 2));
        assert_eq!(check_strings(&raw), Ok(()));
        assert_eq!(check_strings("(r#type: 1, bar: \"x\")"), Ok(()));
    }

    #[test]
    fn unterminated_strings_are_measured_to_the_end() {
        assert_eq!(check_strings("(name: \"abc"), Ok(()));
        assert_eq!(check_strings("(name: \"abc\\"), Ok(()));
        let err = check_strings(&format!("(name: \"{}\\\"", "\\n".repeat(5000))).unwrap_err();
        assert!(err.message.contains("no closing quote"), "{}", err.message);
        let err = check_strings(&format!("(name: \"{}", long(MAX_STRING_BYTES + 5))).unwrap_err();
        assert!(err.message.contains("no closing quote"), "{}", err.message);
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "(\n  name: \"é\", x: \"";
        assert_eq!(line_col(text, text.len() - 1), (2, 17));
        assert_eq!(line_col(text, 0), (1, 1));
    }
}
