//! Reading images safely: the pixel size from the header alone (a decompression bomb
//! is refused before a pixel is decoded), and small JPEG thumbnails decoded under
//! explicit limits, one at a time per process so memory stays bounded.

use std::io::{BufReader, Cursor};
use std::path::Path;
use std::sync::Mutex;

use image::{ImageReader, Limits, RgbImage, Rgba};

/// The largest image we decode: 50 megapixels (a 50 MP phone photo fits; a
/// 100,000 × 100,000 bomb does not).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Thumbnails fit in a square of this many pixels.
pub const THUMB_SIDE: u32 = 480;
/// Memory a single decode may allocate.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// Decodes run one at a time: two 50 MP decodes at once would double the peak.
static DECODING: Mutex<()> = Mutex::new(());

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    #[error("the image is {width} × {height} pixels, more than the {} megapixels accepted", MAX_PIXELS / 1_000_000)]
    TooManyPixels { width: u32, height: u32 },
    #[error("the image could not be read: {0}")]
    Unreadable(String),
}

fn reader(path: &Path) -> Result<ImageReader<BufReader<std::fs::File>>, MediaError> {
    ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| MediaError::Unreadable(e.to_string()))
}

/// Width and height from the header, refused above `MAX_PIXELS`.
pub fn dimensions(path: &Path) -> Result<(u32, u32), MediaError> {
    let (width, height) = reader(path)?
        .into_dimensions()
        .map_err(|e| MediaError::Unreadable(e.to_string()))?;
    if width == 0 || height == 0 {
        return Err(MediaError::Unreadable("it has no pixels".into()));
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(MediaError::TooManyPixels { width, height });
    }
    Ok((width, height))
}

/// The image's pixel size and a JPEG at most `THUMB_SIDE` pixels on its longer
/// side, transparency flattened onto white. Blocking: call it from a blocking thread.
pub fn thumbnail(path: &Path) -> Result<((u32, u32), Vec<u8>), MediaError> {
    let size = dimensions(path)?;
    let mut reader = reader(path)?;
    let mut limits = Limits::default();
    let side = u32::try_from(MAX_PIXELS).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let image = {
        let _one_at_a_time = DECODING.lock().unwrap_or_else(|p| p.into_inner());
        reader
            .decode()
            .map_err(|e| MediaError::Unreadable(e.to_string()))?
            .thumbnail(THUMB_SIDE, THUMB_SIDE)
    };
    Ok((size, jpeg_of(&image)?))
}

/// A `width` × `height` gradient PNG in a colour picked by `seed`, and its
/// thumbnail: sample images for `lauf demo`.
pub fn demo_image(seed: u32, width: u32, height: u32) -> Result<(Vec<u8>, Vec<u8>), MediaError> {
    let [r, g, b, _] = seed.to_le_bytes();
    let image =
        image::DynamicImage::ImageRgba8(image::RgbaImage::from_fn(width, height, |x, y| {
            Rgba([
                r.wrapping_add((x * 255 / width) as u8),
                g.wrapping_add((y * 255 / height) as u8),
                b,
                255,
            ])
        }));
    let mut png = Cursor::new(Vec::new());
    image
        .write_to(&mut png, image::ImageFormat::Png)
        .map_err(|e| MediaError::Unreadable(e.to_string()))?;
    Ok((
        png.into_inner(),
        jpeg_of(&image.thumbnail(THUMB_SIDE, THUMB_SIDE))?,
    ))
}

fn jpeg_of(image: &image::DynamicImage) -> Result<Vec<u8>, MediaError> {
    let rgba = image.to_rgba8();
    let mut flat = RgbImage::new(rgba.width(), rgba.height());
    for (x, y, Rgba([r, g, b, a])) in rgba.enumerate_pixels() {
        let blend = |c: &u8| {
            let (c, a) = (u16::from(*c), u16::from(*a));
            ((c * a + 255 * (255 - a)) / 255) as u8
        };
        flat.put_pixel(x, y, image::Rgb([blend(r), blend(g), blend(b)]));
    }
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
        .encode_image(&flat)
        .map_err(|e| MediaError::Unreadable(e.to_string()))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_fn(width, height, |x, _| {
            Rgba([(x % 256) as u8, 40, 90, if x % 2 == 0 { 255 } else { 0 }])
        });
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn thumbnails_fit_the_square_and_keep_the_aspect() {
        let file = write(&png(1200, 600));
        assert_eq!(dimensions(file.path()), Ok((1200, 600)));
        let (size, jpeg) = thumbnail(file.path()).unwrap();
        assert_eq!(size, (1200, 600));
        assert!(jpeg.starts_with(&[0xff, 0xd8]));
        let thumb = image::load_from_memory(&jpeg).unwrap();
        assert_eq!(
            (thumb.width(), thumb.height()),
            (THUMB_SIDE, THUMB_SIDE / 2)
        );
    }

    #[test]
    fn a_bomb_is_refused_from_its_header() {
        let bomb = crate::test_support::png::bomb(100_000);
        let file = write(&bomb);
        assert_eq!(
            dimensions(file.path()),
            Err(MediaError::TooManyPixels {
                width: 100_000,
                height: 100_000
            })
        );
        assert!(matches!(
            thumbnail(file.path()),
            Err(MediaError::TooManyPixels { .. })
        ));
    }

    #[test]
    fn garbage_after_a_good_signature_is_unreadable() {
        let mut bytes = png(10, 10);
        bytes.truncate(40);
        let file = write(&bytes);
        assert!(matches!(
            thumbnail(file.path()),
            Err(MediaError::Unreadable(_))
        ));
    }
}
