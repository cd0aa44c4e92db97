//! Narration: each sentence synthesised by espeak-ng's Mandarin voice, joined with pauses, encoded
//! as Ogg Vorbis by oggenc; cue times come from the synthesised sentence lengths.

use std::path::Path;
use std::process::Command;

use crate::Text;

pub const RATE: u32 = 22_050;
const LEAD_IN: f64 = 0.4;
const GAP: f64 = 0.45;
const TAIL: f64 = 0.6;
/// espeak-ng's default speed in words a minute.
const SPEED: f64 = 165.0;

pub struct Cue {
    pub start: f64,
    pub end: f64,
    pub text: Text,
}

pub struct Narration {
    pub duration: f64,
    pub cues: Vec<Cue>,
}

/// Synthesise `sentences` into `out` (Ogg Vorbis) and return the timed cues.
pub fn narrate(sentences: &[Text], out: &Path) -> Result<Narration, String> {
    let mut speed = SPEED;
    let (mut pcm, mut cues) = synthesise(sentences, speed)?;
    let seconds = pcm.len() as f64 / RATE as f64;
    // Keep every scene's narration between 30 and 90 seconds.
    if seconds > 88.0 || seconds < 32.0 {
        let target = if seconds > 88.0 { 85.0 } else { 34.0 };
        speed = (SPEED * seconds / target).clamp(90.0, 260.0);
        (pcm, cues) = synthesise(sentences, speed)?;
    }
    let duration = pcm.len() as f64 / RATE as f64;
    std::fs::create_dir_all(out.parent().unwrap_or(Path::new("."))).map_err(|e| e.to_string())?;
    let wav = out.with_extension("wav");
    write_wav(&wav, &pcm).map_err(|e| format!("{}: {e}", wav.display()))?;
    let status = Command::new("oggenc")
        .args(["-Q", "-q", "1", "--serial", "2026", "-o"])
        .arg(out)
        .arg(&wav)
        .status()
        .map_err(|e| format!("oggenc: {e} (install vorbis-tools)"))?;
    let _ = std::fs::remove_file(&wav);
    if !status.success() {
        return Err(format!("oggenc failed for {}", out.display()));
    }
    Ok(Narration { duration, cues })
}

fn synthesise(sentences: &[Text], speed: f64) -> Result<(Vec<i16>, Vec<Cue>), String> {
    let mut pcm: Vec<i16> = vec![0; (LEAD_IN * RATE as f64) as usize];
    let mut cues = Vec::new();
    for (i, s) in sentences.iter().enumerate() {
        if i > 0 {
            pcm.extend(std::iter::repeat_n(0, (GAP * RATE as f64) as usize));
        }
        let voice = speak(&s.zh, speed)?;
        let start = pcm.len() as f64 / RATE as f64;
        pcm.extend_from_slice(&voice);
        let end = pcm.len() as f64 / RATE as f64;
        cues.push(Cue { start: round2(start), end: round2(end), text: s.clone() });
    }
    pcm.extend(std::iter::repeat_n(0, (TAIL * RATE as f64) as usize));
    Ok((pcm, cues))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// One sentence as 16-bit mono PCM at [`RATE`], with its leading and trailing silence trimmed.
fn speak(text: &str, speed: f64) -> Result<Vec<i16>, String> {
    let output = Command::new("espeak-ng")
        .args(["-v", "cmn", "-s", &format!("{}", speed.round() as u32), "--stdout"])
        .arg(text)
        .output()
        .map_err(|e| format!("espeak-ng: {e} (install espeak-ng)"))?;
    if !output.status.success() {
        return Err(format!("espeak-ng failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let samples = parse_wav(&output.stdout)?;
    let loud = |s: &i16| s.unsigned_abs() > 300;
    let first = samples.iter().position(loud).unwrap_or(0);
    let last = samples.iter().rposition(loud).map_or(samples.len(), |i| i + 1);
    Ok(samples[first..last.max(first)].to_vec())
}

fn parse_wav(bytes: &[u8]) -> Result<Vec<i16>, String> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("espeak-ng did not write a WAV stream".into());
    }
    let mut at = 12;
    let mut rate = 0u32;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        let body = at + 8;
        if id == b"fmt " {
            rate = u32::from_le_bytes([bytes[body + 4], bytes[body + 5], bytes[body + 6], bytes[body + 7]]);
        } else if id == b"data" {
            if rate != RATE {
                return Err(format!("espeak-ng wrote {rate} Hz, expected {RATE}"));
            }
            // Streamed WAV carries a placeholder size: read to the end.
            let end = if size == 0 || body + size > bytes.len() { bytes.len() } else { body + size };
            return Ok(bytes[body..end].chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect());
        }
        at = body + size + (size & 1);
    }
    Err("WAV stream has no data".into())
}

fn write_wav(path: &Path, pcm: &[i16]) -> std::io::Result<()> {
    let data_len = (pcm.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in pcm {
        out.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, out)
}

/// The narration already written into a generated site file, for `--no-audio` runs that only
/// redraw images.
pub fn read_existing(site_file: &Path, scene_id: &str) -> Option<Narration> {
    let src = std::fs::read_to_string(site_file).ok()?;
    let site: cloudhall::tour::Site = cloudhall::tour::load::parse_str(site_file, &src).ok()?;
    let n = site.scene(scene_id)?.narration.clone()?;
    Some(Narration {
        duration: n.duration,
        cues: n
            .cues
            .into_iter()
            .map(|c| Cue { start: c.start, end: c.end, text: Text { zh: c.text.zh, en: c.text.en } })
            .collect(),
    })
}
