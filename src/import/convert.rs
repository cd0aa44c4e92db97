//! The conventions each tool writes angles, fields of view and tiles in, and cloudhall's: every
//! difference in one place, each with a test.
//!
//! cloudhall (as Pannellum): degrees; yaw grows to the right (clockwise from above) in
//! (-180, 180]; pitch grows upward; the field of view is horizontal.
//! - Marzipano: radians; pitch grows downward; `fov` is vertical.
//! - krpano: degrees; `ath` to the right, `atv` (and `vlookat`) grow downward; `fov` is vertical,
//!   horizontal or diagonal by `fovtype` (`VFOV`, `HFOV`, `DFOV`, `MFOV`); tile indices count from 1.

/// The screen shape a vertical field of view is turned into a horizontal one for: a desktop's
/// 16:9 (a phone held upright shows less of it, as it would of the original).
pub const REFERENCE_ASPECT: f64 = 16.0 / 9.0;

/// Yaw folded into (-180, 180].
pub fn wrap(yaw: f64) -> f64 {
    let y = (yaw + 180.0).rem_euclid(360.0) - 180.0;
    if y == -180.0 { 180.0 } else { y }
}

pub fn degrees(radians: f64) -> f64 {
    radians.to_degrees()
}

/// A pitch from a tool whose pitch grows downward.
pub fn pitch_up(downward: f64) -> f64 {
    -downward
}

/// The horizontal field of view that shows what a vertical one shows, at `aspect` (w/h).
pub fn hfov_from_vfov(vfov: f64, aspect: f64) -> f64 {
    (2.0 * ((vfov.to_radians() / 2.0).tan() * aspect).atan()).to_degrees()
}

/// The vertical field of view of a horizontal one at `aspect`.
pub fn vfov_from_hfov(hfov: f64, aspect: f64) -> f64 {
    (2.0 * ((hfov.to_radians() / 2.0).tan() / aspect).atan()).to_degrees()
}

/// krpano's `fov` by its `fovtype`, as a horizontal field of view at [`REFERENCE_ASPECT`].
/// `MFOV` (krpano's default) is the vertical one on a landscape screen.
pub fn krpano_hfov(fov: f64, fovtype: &str) -> f64 {
    let a = REFERENCE_ASPECT;
    match fovtype.to_ascii_uppercase().as_str() {
        "HFOV" => fov,
        "DFOV" => {
            // Diagonal: the diagonal's tangent spreads over width and height.
            let t = (fov.to_radians() / 2.0).tan();
            (2.0 * (t * a / (1.0 + a * a).sqrt()).atan()).to_degrees()
        }
        _ => hfov_from_vfov(fov, a),
    }
}

/// A field of view kept within what cloudhall's viewer shows.
pub fn clamp_hfov(hfov: f64) -> f64 {
    hfov.clamp(10.0, 150.0)
}

/// krpano's 1-based tile index (`%v`, `%h`) of cloudhall's 0-based one.
pub fn krpano_index(zero_based: u32) -> u32 {
    zero_based + 1
}

/// Plain text of an HTML fragment (tags dropped, entities decoded, spaces collapsed), and the
/// links it held (their text and address), which become Link hotspots.
pub fn html_text(html: &str) -> (String, Vec<(String, String)>) {
    let mut out = String::new();
    let mut links = Vec::new();
    let mut rest = html;
    let mut link: Option<(String, usize)> = None;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode(&rest[..lt]));
        let Some(gt) = rest[lt..].find('>') else {
            out.push_str(&decode(&rest[lt..]));
            rest = "";
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if name == "br" || name == "p" || name == "div" || name == "li" {
            out.push(' ');
        }
        if name == "a" && !tag.starts_with('/') {
            if let Some(href) = attr(tag, "href") {
                link = Some((href, out.len()));
            }
        } else if name == "a"
            && let Some((href, at)) = link.take()
        {
            let text = out[at..].trim().to_string();
            links.push((if text.is_empty() { href.clone() } else { text }, href));
        }
        rest = &rest[lt + gt + 1..];
    }
    out.push_str(&decode(rest));
    (out.split_whitespace().collect::<Vec<_>>().join(" "), links)
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))? + name.len() + 1;
    let v = &tag[at..];
    let (q, v) = match v.chars().next()? {
        '"' => ('"', &v[1..]),
        '\'' => ('\'', &v[1..]),
        _ => (' ', v),
    };
    Some(decode(v.split(q).next().unwrap_or("")))
}

fn decode(s: &str) -> String {
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// An id cloudhall accepts (lowercase letters, digits and `-`), from a tool's scene name.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "scene".to_string() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_outside_the_half_turn_are_wrapped() {
        assert_eq!(wrap(190.0), -170.0);
        assert_eq!(wrap(-190.0), 170.0);
        assert_eq!(wrap(540.0), 180.0);
        assert_eq!(wrap(-180.0), 180.0);
        assert_eq!(wrap(45.0), 45.0);
    }

    #[test]
    fn radians_downward_pitch_and_vertical_fields_of_view() {
        assert!((degrees(std::f64::consts::FRAC_PI_2) - 90.0).abs() < 1e-9);
        assert_eq!(pitch_up(10.0), -10.0, "Marzipano and krpano: down is positive");
        // 90 degrees tall on a square screen is 90 wide; on 16:9 it is wider.
        assert!((hfov_from_vfov(90.0, 1.0) - 90.0).abs() < 1e-9);
        let h = hfov_from_vfov(60.0, REFERENCE_ASPECT);
        assert!((h - 91.49).abs() < 0.05, "{h}");
        assert!((vfov_from_hfov(h, REFERENCE_ASPECT) - 60.0).abs() < 1e-9);
        assert_eq!(krpano_hfov(100.0, "HFOV"), 100.0);
        assert!((krpano_hfov(60.0, "VFOV") - h).abs() < 1e-9);
        assert!((krpano_hfov(60.0, "MFOV") - h).abs() < 1e-9, "krpano's default is vertical on a wide screen");
        let d = krpano_hfov(100.0, "DFOV");
        assert!(d < 100.0 && d > 80.0, "the diagonal is the widest: {d}");
        assert_eq!(krpano_index(0), 1);
    }

    #[test]
    fn html_becomes_plain_text_and_links_are_kept() {
        let (t, links) = html_text(
            "<p>The <b>gate</b> &amp; wall.</p><p>See <a href=\"https://example.org/x?a=1&amp;b=2\">the record</a>.</p>",
        );
        assert_eq!(t, "The gate & wall. See the record.");
        assert_eq!(links, vec![("the record".to_string(), "https://example.org/x?a=1&b=2".to_string())]);
        assert_eq!(html_text("no tags").0, "no tags");
        assert_eq!(slug("Scene 1: Main Hall!"), "scene-1-main-hall");
        assert_eq!(slug("大厅"), "scene");
    }
}
