//! What free text a person can have typed. Control characters cannot be: they are
//! refused, whatever the database would make of them (PostgreSQL refuses U+0000 in
//! text outright; SQLite would store it), so both backends treat input alike.

/// The first control character `text` holds that a person cannot have meant: any
/// C0 control (U+0000–U+001F) or DEL, except tab, line feed and carriage return
/// in multi-line text (a `<textarea>` sends its line breaks as CR LF).
pub fn stray_control(text: &str, multiline: bool) -> Option<char> {
    text.chars().find(|&c| {
        let allowed = multiline && matches!(c, '\t' | '\n' | '\r');
        (c.is_ascii_control()) && !allowed
    })
}

/// `U+0000`: how a message names a character nobody can see.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_line_breaks_in_multi_line_text() {
        assert_eq!(stray_control("plain text", false), None);
        assert_eq!(stray_control("Nul\0Title", false), Some('\0'));
        assert_eq!(stray_control("tab\there", false), Some('\t'));
        assert_eq!(stray_control("tab\there", true), None);
        assert_eq!(stray_control("two\r\nlines", true), None);
        assert_eq!(stray_control("bell\x07", true), Some('\x07'));
        assert_eq!(stray_control("del\x7f", true), Some('\x7f'));
        assert_eq!(stray_control("ümlaut · emoji 🎉", false), None);
        assert_eq!(code_point('\0'), "U+0000");
    }
}
