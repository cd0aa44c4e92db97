//! What the checker needs to know of asset files: that they decode, how big images are, how long
//! audio lasts.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// How much of each asset to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetCheck {
    /// Decode every image and every audio packet (`cloudhall check`).
    Full,
    /// Read headers only: sizes and durations, fast enough for start-up.
    Headers,
}

/// Width and height of an image, decoding it fully when asked.
pub fn probe_image(path: &Path, check: AssetCheck) -> Result<(u32, u32), String> {
    let reader = image::ImageReader::open(path)
        .map_err(|e| format!("cannot open: {e}"))?
        .with_guessed_format()
        .map_err(|e| format!("cannot read: {e}"))?;
    if reader.format().is_none() {
        return Err("not an image this viewer can read (use JPEG or PNG)".into());
    }
    match check {
        AssetCheck::Headers => {
            reader.into_dimensions().map_err(|e| format!("does not decode: {}", e.to_string().trim()))
        }
        AssetCheck::Full => {
            let img = reader.decode().map_err(|e| format!("does not decode: {}", e.to_string().trim()))?;
            Ok((img.width(), img.height()))
        }
    }
}

/// Duration of an Ogg Vorbis file in seconds.
pub fn probe_ogg(path: &Path, check: AssetCheck) -> Result<f64, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    probe_ogg_reader(BufReader::new(file), check)
}

/// [`probe_ogg`] of Ogg Vorbis bytes from any reader.
pub fn probe_ogg_reader<R: std::io::Read + std::io::Seek>(reader: R, check: AssetCheck) -> Result<f64, String> {
    let mut stream = lewton::inside_ogg::OggStreamReader::new(reader).map_err(|e| format!("not Ogg Vorbis: {e}"))?;
    let rate = stream.ident_hdr.audio_sample_rate as f64;
    let channels = stream.ident_hdr.audio_channels.max(1) as u64;
    if rate <= 0.0 {
        return Err("Ogg Vorbis header gives no sample rate".into());
    }
    match check {
        AssetCheck::Full => {
            // Decode every packet to prove the file plays; the length is the last page's granule
            // position, which also trims the encoder's padding of the final block.
            let mut samples: u64 = 0;
            loop {
                match stream.read_dec_packet_itl() {
                    Ok(Some(pcm)) => samples += pcm.len() as u64 / channels,
                    Ok(None) => break,
                    Err(e) => return Err(format!("does not decode after {:.1} s: {e}", samples as f64 / rate)),
                }
            }
            match stream.get_last_absgp() {
                Some(granule) if granule > 0 => Ok(granule as f64 / rate),
                _ => Ok(samples as f64 / rate),
            }
        }
        AssetCheck::Headers => {
            let mut reader = stream.into_inner().into_inner();
            let granule = last_granule(&mut reader).map_err(|e| format!("cannot read: {e}"))?;
            Ok(granule as f64 / rate)
        }
    }
}

/// The granule position of the last Ogg page: for Vorbis, the number of samples per channel.
fn last_granule<R: Read + Seek>(f: &mut R) -> std::io::Result<u64> {
    let len = f.seek(SeekFrom::End(0))?;
    let tail = len.min(65_536);
    f.seek(SeekFrom::Start(len - tail))?;
    let mut buf = Vec::with_capacity(tail as usize);
    f.read_to_end(&mut buf)?;
    let at = buf
        .windows(4)
        .rposition(|w| w == b"OggS")
        .filter(|&i| i + 14 <= buf.len())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no Ogg page found"))?;
    let mut g = [0u8; 8];
    g.copy_from_slice(&buf[at + 6..at + 14]);
    Ok(u64::from_le_bytes(g))
}
