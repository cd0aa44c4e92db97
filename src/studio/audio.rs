//! Narration from the studio: any common audio file (or a recording made in the page) becomes
//! the Ogg Vorbis the hall plays, and the pauses in it time the subtitle lines.
//!
//! ffmpeg converts (it reads every format a browser records and curators bring: WebM/Opus, MP3,
//! M4A, WAV, FLAC, Ogg); the result is decoded again here with lewton, the decoder the viewer
//! itself uses, so the duration and pauses are those of the file visitors get.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

/// What the studio needs to know of a narration file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Seconds.
    pub duration: f64,
    /// Stretches of sound `(start, end)`, seconds, between pauses.
    pub speech: Vec<(f64, f64)>,
    /// The waveform for the page: the loudest sample of each of [`PEAKS`] equal slices, 0..1.
    pub peaks: Vec<f32>,
}

/// How many slices the waveform has.
pub const PEAKS: usize = 600;

/// Convert `input` (any format ffmpeg reads) to mono Ogg Vorbis at 44.1 kHz in `output`.
pub fn convert(input: &Path, output: &Path) -> Result<(), String> {
    let run = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i"])
        .arg(input)
        .args(["-vn", "-ac", "1", "-ar", "44100", "-c:a", "libvorbis", "-q:a", "4", "-f", "ogg"])
        .arg(output)
        .output()
        .map_err(|e| format!("cannot run ffmpeg to convert the audio ({e}); install ffmpeg on the server"))?;
    if !run.status.success() {
        let why = String::from_utf8_lossy(&run.stderr);
        let last = why.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no reason given");
        return Err(format!("this file is not audio the server can read: {}", last.trim()));
    }
    Ok(())
}

/// Decode an Ogg Vorbis file and find its duration, pauses and waveform.
pub fn analyse(ogg: &Path) -> Result<Analysis, String> {
    let file = std::fs::File::open(ogg).map_err(|e| format!("cannot read {}: {e}", ogg.display()))?;
    let mut stream = lewton::inside_ogg::OggStreamReader::new(std::io::BufReader::new(file))
        .map_err(|e| format!("the converted audio is not Ogg Vorbis: {e}"))?;
    let rate = stream.ident_hdr.audio_sample_rate as f64;
    let channels = stream.ident_hdr.audio_channels.max(1) as usize;
    let mut mono: Vec<f32> = Vec::new();
    while let Some(packet) = stream.read_dec_packet_itl().map_err(|e| format!("the audio is damaged: {e}"))? {
        for frame in packet.chunks(channels) {
            mono.push(frame.iter().map(|&s| s as f32 / 32768.0).sum::<f32>() / channels as f32);
        }
    }
    if mono.is_empty() || rate <= 0.0 {
        return Err("the audio is empty: record or choose a file with sound in it".into());
    }
    Ok(Analysis { duration: mono.len() as f64 / rate, speech: speech(&mono, rate), peaks: peaks(&mono, PEAKS) })
}

/// The loudest sample of each of `n` equal slices.
pub fn peaks(samples: &[f32], n: usize) -> Vec<f32> {
    if samples.is_empty() || n == 0 {
        return Vec::new();
    }
    (0..n)
        .map(|i| {
            let (a, b) = (i * samples.len() / n, ((i + 1) * samples.len() / n).max(i * samples.len() / n + 1));
            samples[a..b.min(samples.len())].iter().fold(0f32, |m, s| m.max(s.abs())).min(1.0)
        })
        .collect()
}

/// Analysis windows, seconds.
const WINDOW: f64 = 0.02;
/// Quieter stretches shorter than this are breaths inside speech, not pauses.
const MIN_PAUSE: f64 = 0.25;
/// Sounds shorter than this are clicks, not speech.
const MIN_SOUND: f64 = 0.08;

/// The stretches of sound in `samples`, between pauses. A window is sound when its loudness is
/// over a tenth of the loudest window's (and over a floor, so that hiss is not speech).
pub fn speech(samples: &[f32], rate: f64) -> Vec<(f64, f64)> {
    let w = ((WINDOW * rate) as usize).max(1);
    let rms: Vec<f32> =
        samples.chunks(w).map(|c| (c.iter().map(|s| s * s).sum::<f32>() / c.len() as f32).sqrt()).collect();
    let loudest = rms.iter().copied().fold(0f32, f32::max);
    let threshold = (loudest * 0.1).max(0.003);
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut start: Option<usize> = None;
    for (i, &r) in rms.iter().chain(std::iter::once(&0.0)).enumerate() {
        match (r > threshold, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let (a, b) =
                    (s as f64 * w as f64 / rate, (i as f64 * w as f64 / rate).min(samples.len() as f64 / rate));
                match out.last_mut() {
                    Some(last) if a - last.1 < MIN_PAUSE => last.1 = b,
                    _ => out.push((a, b)),
                }
                start = None;
            }
            _ => {}
        }
    }
    out.retain(|(a, b)| b - a >= MIN_SOUND);
    out
}

/// Times for `lines` subtitle lines over a recording with these stretches of sound: the lines
/// break at the longest pauses, so each line covers whole stretches; with fewer stretches than
/// lines, the sound is shared out by length. Returns `(start, end)` a line, in order.
pub fn time_lines(lines: usize, speech: &[(f64, f64)], duration: f64) -> Vec<(f64, f64)> {
    if lines == 0 {
        return Vec::new();
    }
    let speech: Vec<(f64, f64)> = if speech.is_empty() { vec![(0.0, duration.max(0.1))] } else { speech.to_vec() };
    if speech.len() >= lines {
        // The lines - 1 longest pauses, in order of time.
        let mut gaps: Vec<(f64, usize)> = speech.windows(2).enumerate().map(|(i, p)| (p[1].0 - p[0].1, i)).collect();
        gaps.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut cuts: Vec<usize> = gaps.iter().take(lines - 1).map(|g| g.1).collect();
        cuts.sort_unstable();
        let mut out = Vec::new();
        let mut first = 0;
        for c in cuts.into_iter().chain(std::iter::once(speech.len() - 1)) {
            out.push((speech[first].0, speech[c].1));
            first = c + 1;
        }
        return out;
    }
    // Fewer stretches than lines: cut the sound itself into equal shares.
    let total: f64 = speech.iter().map(|(a, b)| b - a).sum();
    let share = total / lines as f64;
    // A start on the boundary of two stretches belongs to the later one, an end to the earlier.
    let at = |t: f64, start: bool| {
        let mut left = t;
        for (a, b) in &speech {
            if left < b - a || (!start && left <= b - a) {
                return a + left;
            }
            left -= b - a;
        }
        speech.last().map_or(0.0, |s| s.1)
    };
    (0..lines).map(|i| (at(i as f64 * share, true), at((i + 1) as f64 * share, false))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 440 Hz tone where `on` says, silence elsewhere.
    fn signal(rate: f64, seconds: f64, on: &[(f64, f64)]) -> Vec<f32> {
        (0..(rate * seconds) as usize)
            .map(|i| {
                let t = i as f64 / rate;
                if on.iter().any(|(a, b)| t >= *a && t < *b) {
                    (0.5 * (t * 440.0 * std::f64::consts::TAU).sin()) as f32
                } else {
                    0.0
                }
            })
            .collect()
    }

    #[test]
    fn pauses_split_the_sound_and_breaths_do_not() {
        let s = signal(8000.0, 6.0, &[(0.5, 1.5), (1.6, 2.0), (3.0, 4.2), (5.0, 5.5)]);
        let found = speech(&s, 8000.0);
        assert_eq!(found.len(), 3, "{found:?}");
        let near = |a: f64, b: f64| (a - b).abs() < 0.03;
        assert!(near(found[0].0, 0.5) && near(found[0].1, 2.0), "{found:?}");
        assert!(near(found[1].0, 3.0) && near(found[1].1, 4.2), "{found:?}");
        assert!(near(found[2].0, 5.0) && near(found[2].1, 5.5), "{found:?}");
    }

    #[test]
    fn lines_break_at_the_longest_pauses() {
        let speech = [(0.5, 2.0), (2.3, 3.0), (4.0, 5.0), (5.2, 6.0)];
        assert_eq!(time_lines(2, &speech, 7.0), vec![(0.5, 3.0), (4.0, 6.0)]);
        assert_eq!(time_lines(1, &speech, 7.0), vec![(0.5, 6.0)]);
        // More lines than stretches: the sound is shared by length.
        let t = time_lines(4, &[(1.0, 3.0), (4.0, 6.0)], 7.0);
        assert_eq!(t, vec![(1.0, 2.0), (2.0, 3.0), (4.0, 5.0), (5.0, 6.0)]);
        assert_eq!(time_lines(2, &[], 4.0), vec![(0.0, 2.0), (2.0, 4.0)]);
    }

    #[test]
    fn peaks_are_the_loudest_of_each_slice() {
        let p = peaks(&[0.1, -0.9, 0.2, 0.3, 0.0, -0.4], 3);
        assert_eq!(p, vec![0.9, 0.3, 0.4]);
    }
}
