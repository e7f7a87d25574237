//! What an uploaded file is, decided from its content: the first bytes are matched
//! against known signatures and checked against what the file's name claims. A file
//! is accepted only when both agree and the format is on the allow-list; the stored
//! MIME type is ours, never the browser's.

use super::AssetType;

/// How many leading bytes `classify` looks at.
pub const SNIFF_BYTES: usize = 8 * 1024;

/// What the content must look like for a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    /// One of these signatures (as `infer` names them).
    Magic(&'static [&'static str]),
    /// A container format recognised by a leading marker of its own.
    Prefix(&'static [u8]),
    /// UTF-8 text without NUL bytes.
    Text,
    /// An SVG document (text whose root is `<svg`).
    Svg,
}

/// One accepted format.
#[derive(Debug)]
struct Format {
    extensions: &'static [&'static str],
    content: Content,
    asset_type: AssetType,
    mime: &'static str,
    label: &'static str,
    /// A browser may show it in the page (no script can run in it).
    inline: bool,
    /// We can decode it for a thumbnail.
    raster: bool,
}

const ZIP: &[&str] = &["application/zip"];

macro_rules! formats {
    ($($ext:expr => $content:expr, $ty:ident, $mime:literal, $label:literal, $inline:literal, $raster:literal;)+) => {
        &[$(Format {
            extensions: $ext,
            content: $content,
            asset_type: AssetType::$ty,
            mime: $mime,
            label: $label,
            inline: $inline,
            raster: $raster,
        },)+]
    };
}

use Content::{Magic, Prefix, Svg, Text};

const FORMATS: &[Format] = formats! {
    &["png"] => Magic(&["image/png"]), Image, "image/png", "PNG image", true, true;
    &["jpg", "jpeg"] => Magic(&["image/jpeg"]), Image, "image/jpeg", "JPEG image", true, true;
    &["gif"] => Magic(&["image/gif"]), Image, "image/gif", "GIF image", true, true;
    &["webp"] => Magic(&["image/webp"]), Image, "image/webp", "WebP image", true, true;
    &["avif"] => Magic(&["image/avif"]), Image, "image/avif", "AVIF image", true, false;
    &["heic", "heif"] => Magic(&["image/heif"]), Image, "image/heif", "HEIF image", false, false;
    &["tif", "tiff"] => Magic(&["image/tiff"]), Image, "image/tiff", "TIFF image", false, false;
    &["bmp"] => Magic(&["image/bmp"]), Image, "image/bmp", "BMP image", false, false;
    &["ico"] => Magic(&["image/vnd.microsoft.icon"]), Image, "image/vnd.microsoft.icon", "icon", false, false;
    &["svg"] => Svg, Image, "image/svg+xml", "SVG image", false, false;
    &["mp4", "m4v"] => Magic(&["video/mp4", "video/x-m4v"]), Video, "video/mp4", "MP4 video", true, false;
    &["mov"] => Magic(&["video/quicktime"]), Video, "video/quicktime", "QuickTime video", true, false;
    &["webm"] => Magic(&["video/webm"]), Video, "video/webm", "WebM video", true, false;
    &["mkv"] => Magic(&["video/x-matroska"]), Video, "video/x-matroska", "Matroska video", false, false;
    &["avi"] => Magic(&["video/x-msvideo"]), Video, "video/x-msvideo", "AVI video", false, false;
    &["pdf"] => Magic(&["application/pdf"]), Document, "application/pdf", "PDF document", true, false;
    &["doc"] => Magic(&["application/msword", "application/x-ole-storage"]), Document, "application/msword", "Word document", false, false;
    &["xls"] => Magic(&["application/vnd.ms-excel", "application/x-ole-storage"]), Document, "application/vnd.ms-excel", "Excel workbook", false, false;
    &["ppt"] => Magic(&["application/vnd.ms-powerpoint", "application/x-ole-storage"]), Document, "application/vnd.ms-powerpoint", "PowerPoint deck", false, false;
    &["docx"] => Magic(&["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/zip"]), Document, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document", false, false;
    &["xlsx"] => Magic(&["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/zip"]), Document, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook", false, false;
    &["pptx"] => Magic(&["application/vnd.openxmlformats-officedocument.presentationml.presentation", "application/zip"]), Document, "application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint deck", false, false;
    &["odt"] => Magic(&["application/vnd.oasis.opendocument.text", "application/zip"]), Document, "application/vnd.oasis.opendocument.text", "OpenDocument text", false, false;
    &["ods"] => Magic(&["application/vnd.oasis.opendocument.spreadsheet", "application/zip"]), Document, "application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet", false, false;
    &["odp"] => Magic(&["application/vnd.oasis.opendocument.presentation", "application/zip"]), Document, "application/vnd.oasis.opendocument.presentation", "OpenDocument presentation", false, false;
    &["rtf"] => Magic(&["application/rtf"]), Document, "application/rtf", "RTF document", false, false;
    &["txt", "md", "csv"] => Text, Document, "text/plain; charset=utf-8", "text", false, false;
    &["psd"] => Magic(&["image/vnd.adobe.photoshop"]), Design, "image/vnd.adobe.photoshop", "Photoshop file", false, false;
    &["ai"] => Magic(&["application/pdf", "application/postscript"]), Design, "application/pdf", "Illustrator file", false, false;
    &["eps"] => Magic(&["application/postscript"]), Design, "application/postscript", "EPS file", false, false;
    &["sketch", "xd"] => Magic(ZIP), Design, "application/zip", "design file", false, false;
    &["fig"] => Prefix(b"fig-kiwi"), Design, "application/octet-stream", "Figma file", false, false;
    &["zip"] => Magic(ZIP), Other, "application/zip", "ZIP archive", false, false;
    &["tar"] => Magic(&["application/x-tar"]), Other, "application/x-tar", "tar archive", false, false;
    &["gz", "tgz"] => Magic(&["application/gzip"]), Other, "application/gzip", "gzip archive", false, false;
    &["7z"] => Magic(&["application/x-7z-compressed"]), Other, "application/x-7z-compressed", "7-Zip archive", false, false;
    &["rar"] => Magic(&["application/vnd.rar"]), Other, "application/vnd.rar", "RAR archive", false, false;
    &["xz"] => Magic(&["application/x-xz"]), Other, "application/x-xz", "xz archive", false, false;
    &["zst"] => Magic(&["application/zstd"]), Other, "application/zstd", "zstd archive", false, false;
    &["rs", "js", "mjs", "cjs", "ts", "tsx", "jsx", "py", "rb", "go", "java", "kt", "swift",
      "c", "h", "cc", "cpp", "hpp", "cs", "php", "html", "htm", "css", "scss", "json", "yaml",
      "yml", "toml", "xml", "sql", "sh", "vue", "svelte", "astro", "graphql", "env"]
        => Text, Code, "text/plain; charset=utf-8", "source file", false, false;
};

/// An accepted file: what it is and how it may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    pub asset_type: AssetType,
    pub mime: &'static str,
    pub label: &'static str,
    pub inline: bool,
    pub raster: bool,
}

/// Why a file was refused, in words for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// A summary of what the allow-list takes, for forms and messages.
pub const ACCEPTED: &str = "images (PNG, JPEG, GIF, WebP, AVIF, HEIF, TIFF, SVG), video (MP4, MOV, WebM, MKV, AVI), PDF and office documents, design files (PSD, AI, EPS, Sketch, XD, Figma), archives (ZIP, tar, gzip, 7z, RAR) and code or text files";

/// The `accept` attribute for file inputs: every allowed extension.
pub fn accept_attribute() -> String {
    FORMATS
        .iter()
        .flat_map(|f| f.extensions.iter())
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The last path segment of a browser-sent file name, without control characters,
/// trimmed and at most 255 characters: what we show, never what we store under.
pub fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    trimmed.chars().take(255).collect()
}

fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

fn is_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // The sample may end inside a character: only that is forgiven.
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

fn is_svg(head: &[u8]) -> bool {
    if !is_text(head) {
        return false;
    }
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    // Skip the XML declaration, comments and a doctype before the root element.
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>").map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("<!doctype") {
            rest = after.split_once('>').map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    rest.starts_with("<svg")
}

/// What the content looks like, in words, for a refusal.
fn describe(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return match kind.mime_type() {
            "text/html" => "HTML".into(),
            "text/xml" => "XML".into(),
            "text/x-shellscript" => "a shell script".into(),
            "application/x-executable"
            | "application/vnd.microsoft.portable-executable"
            | "application/x-mach-binary" => "a program".into(),
            other => other.to_string(),
        };
    }
    if head.is_empty() {
        "empty".into()
    } else if is_text(head) {
        "text".into()
    } else {
        "of an unknown kind".into()
    }
}

/// Decides what `name` with content starting `head` is, or why it is refused.
pub fn classify(name: &str, head: &[u8]) -> Result<Detected, Refused> {
    let Some(ext) = extension(name) else {
        return Err(Refused(format!(
            "“{name}” has no file extension, so its type cannot be checked. Accepted: {ACCEPTED}."
        )));
    };
    let Some(format) = FORMATS
        .iter()
        .find(|f| f.extensions.contains(&ext.as_str()))
    else {
        return Err(Refused(format!(
            "“{name}”: .{ext} files are not accepted. Accepted: {ACCEPTED}."
        )));
    };
    if head.is_empty() {
        return Err(Refused(format!("“{name}” is empty.")));
    }
    let sniffed = infer::get(head).map(|k| k.mime_type());
    let matches = match format.content {
        Magic(signatures) => sniffed.is_some_and(|m| signatures.contains(&m)),
        Prefix(marker) => head.starts_with(marker),
        Svg => is_svg(head),
        Text => {
            is_text(head)
                && sniffed.is_none_or(|m| m.starts_with("text/") || m == "application/json")
        }
    };
    if !matches {
        return Err(Refused(format!(
            "“{name}” is named as a {} but its content is {}.",
            format.label,
            describe(head)
        )));
    }
    Ok(Detected {
        asset_type: format.asset_type,
        mime: format.mime,
        label: format.label,
        inline: format.inline,
        raster: format.raster,
    })
}

/// Tags from a comma-separated field: trimmed, lower-cased, inner spaces folded,
/// duplicates dropped, order kept. At most 20, each 1 to 50 characters.
pub fn parse_tags(text: &str) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for part in text.split(',') {
        let tag = part.split_whitespace().collect::<Vec<_>>().join(" ");
        let tag = tag.trim_start_matches('#').to_lowercase();
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > 50 {
            return Err(format!("The tag “{tag}” is longer than 50 characters."));
        }
        if tag.chars().any(char::is_control) {
            return Err("Tags cannot hold control characters.".into());
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > 20 {
        return Err(format!("At most 20 tags per file ({} given).", tags.len()));
    }
    Ok(tags)
}

/// "1.4 MB", "820 KB", "12 bytes".
pub fn human_size(bytes: i64) -> String {
    const KB: f64 = 1000.0;
    let b = bytes.max(0) as f64;
    if b < KB {
        format!("{bytes} bytes")
    } else if b < KB * KB {
        format!("{:.0} KB", b / KB)
    } else if b < KB * KB * KB {
        format!("{:.1} MB", b / (KB * KB))
    } else {
        format!("{:.2} GB", b / (KB * KB * KB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj";

    #[test]
    fn content_and_name_must_agree() {
        let png = classify("shot.PNG", PNG).unwrap();
        assert_eq!(png.asset_type, AssetType::Image);
        assert_eq!(png.mime, "image/png");
        assert!(png.raster && png.inline);
        assert_eq!(
            classify("contract.pdf", PDF).unwrap().asset_type,
            AssetType::Document
        );
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
        let refused = classify("innocent.png", html).unwrap_err();
        assert!(
            refused
                .0
                .contains("named as a PNG image but its content is HTML"),
            "{refused}"
        );
        assert!(classify("shot.jpg", PNG).is_err());
        assert!(classify("report.pdf", PNG).is_err());
    }

    #[test]
    fn programs_and_unknown_extensions_are_refused() {
        let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0";
        assert!(
            classify("setup.exe", b"MZ\x90\0")
                .unwrap_err()
                .0
                .contains(".exe files are not accepted")
        );
        assert!(classify("notes.txt", elf).is_err());
        assert!(classify("noextension", PNG).is_err());
        assert!(classify("empty.txt", b"").unwrap_err().0.contains("empty"));
    }

    #[test]
    fn code_is_utf8_text_and_html_is_fine_as_code() {
        assert_eq!(
            classify("main.rs", b"fn main() {}\n").unwrap().asset_type,
            AssetType::Code
        );
        let page = classify("index.html", b"<!doctype html><html></html>").unwrap();
        assert_eq!(page.asset_type, AssetType::Code);
        assert_eq!(page.mime, "text/plain; charset=utf-8");
        assert!(!page.inline);
        assert!(classify("main.rs", b"\xff\xfe\0b").is_err());
        // A sample cut inside a multi-byte character is still text.
        let cut = "naïve ünïcödé".as_bytes();
        assert!(classify("notes.md", &cut[..cut.len() - 1]).is_ok());
    }

    #[test]
    fn svg_is_recognised_and_never_inline() {
        let svg = classify(
            "logo.svg",
            b"<?xml version=\"1.0\"?>\n<!-- logo -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
        )
        .unwrap();
        assert_eq!(svg.mime, "image/svg+xml");
        assert!(!svg.inline && !svg.raster);
        assert!(classify("logo.svg", b"<html><svg></svg></html>").is_err());
    }

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_file_name("C:\\fakepath\\shot.png"), "shot.png");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("  a\u{0}b\r\n.png "), "ab.png");
        assert_eq!(clean_file_name(".htaccess"), "htaccess");
        assert_eq!(clean_file_name(&"x".repeat(400)).len(), 255);
    }

    #[test]
    fn tags_are_normalised() {
        assert_eq!(
            parse_tags(" Logo, #brand ,logo,, dark   mode").unwrap(),
            vec!["logo", "brand", "dark mode"]
        );
        assert!(parse_tags(&"x".repeat(51)).is_err());
        let many = (0..21).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        assert!(parse_tags(&many).is_err());
        assert_eq!(parse_tags("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(12), "12 bytes");
        assert_eq!(human_size(820_000), "820 KB");
        assert_eq!(human_size(1_400_000), "1.4 MB");
        assert_eq!(human_size(25_000_000), "25.0 MB");
    }
}
