//! The validated tour as JSON, for tools (`cloudhall check --format json`) and the server.

use serde_json::{Value, json};

use super::diag::Diagnostic;
use super::model::Tour;

/// The whole tour, with each narration's cue count and the tour's totals added.
pub fn tour_json(tour: &Tour) -> Value {
    let mut v = serde_json::to_value(tour).unwrap_or(Value::Null);
    if let Some(sites) = v.get_mut("sites").and_then(Value::as_array_mut) {
        for site in sites {
            let Some(scenes) = site.get_mut("scenes").and_then(Value::as_array_mut) else { continue };
            for scene in scenes {
                if let Some(n) = scene.get_mut("narration").and_then(Value::as_object_mut) {
                    let cues = n.get("cues").and_then(Value::as_array).map_or(0, Vec::len);
                    n.insert("cue_count".into(), json!(cues));
                }
            }
        }
    }
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "totals".into(),
            json!({
                "sites": tour.sites.len(),
                "scenes": tour.scene_count(),
                "hotspots": tour.hotspot_count(),
                "narration_seconds": tour.narration_seconds(),
            }),
        );
        // The pinyin of the site names, for the map's search in viewers that have no pinyin
        // table (the browser's): crate::map::remember_pinyin.
        obj.insert("pinyin".into(), json!(crate::map::pinyin_table(tour.sites.iter().map(|s| s.name.zh.as_str()))));
    }
    v
}

/// Diagnostics as JSON: `{"ok": false, "errors": n, "warnings": n, "diagnostics": [...]}`.
pub fn diagnostics_json(diags: &[Diagnostic]) -> Value {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    json!({
        "ok": errors == 0,
        "errors": errors,
        "warnings": diags.len() - errors,
        "diagnostics": diags,
    })
}
