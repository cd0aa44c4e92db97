//! Which field of a site a `cloudhall check` diagnostic is about, so the studio can show it
//! beside that field.
//!
//! Diagnostics name `file:line:col`; the studio checks the draft as the file it would publish,
//! so the position can be walked back through that file's position tree to the value there:
//! `scenes.1.hotspots.0.kind.scene` is the target of the first hotspot of the second scene.

use crate::tour::spans::{Node, NodeKind, Pos};

/// The dotted path of the value written at `pos` (or of the last value that starts before it).
pub fn field_at(root: &Node, pos: Pos) -> Option<String> {
    let mut best: Option<(Pos, Vec<String>)> = None;
    walk(root, &mut Vec::new(), pos, &mut best);
    best.map(|(_, path)| path.join("."))
}

fn consider(at: Pos, path: &[String], target: Pos, best: &mut Option<(Pos, Vec<String>)>) {
    // The latest start at or before the target wins; on a tie the deeper path (found later).
    if at <= target && best.as_ref().is_none_or(|(b, _)| at >= *b) {
        *best = Some((at, path.to_vec()));
    }
}

fn walk(node: &Node, path: &mut Vec<String>, target: Pos, best: &mut Option<(Pos, Vec<String>)>) {
    consider(node.pos, path, target, best);
    match &node.kind {
        NodeKind::Fields(fields) => {
            for (key, key_pos, value) in fields {
                path.push(key.clone());
                consider(*key_pos, path, target, best);
                walk(value, path, target, best);
                path.pop();
            }
        }
        NodeKind::Seq(items) => {
            // `Some(x)` and one-value variants such as `Equirect("…")` stand for their value.
            let transparent = items.len() == 1 && node.name.is_some();
            for (i, item) in items.iter().enumerate() {
                if !transparent {
                    path.push(i.to_string());
                }
                walk(item, path, target, best);
                if !transparent {
                    path.pop();
                }
            }
        }
        NodeKind::Map(entries) => {
            for (i, (_, v)) in entries.iter().enumerate() {
                path.push(i.to_string());
                walk(v, path, target, best);
                path.pop();
            }
        }
        NodeKind::Atom(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tour::spans::scan;

    #[test]
    fn positions_lead_back_to_fields() {
        let text = "Site(\n    id: \"a\",\n    scenes: [\n        (id: \"s\", hotspots: [(id: \"h\", kind: Go(scene: \"nowhere\"))]),\n    ],\n)";
        let root = scan(text).expect("scans");
        assert_eq!(field_at(&root, Pos { line: 2, col: 9 }).as_deref(), Some("id"));
        let col = text.lines().nth(3).unwrap().chars().collect::<String>().find("\"nowhere\"").unwrap() + 1;
        assert_eq!(field_at(&root, Pos { line: 4, col }).as_deref(), Some("scenes.0.hotspots.0.kind.scene"));
        // A key's own position names the field too.
        assert_eq!(field_at(&root, Pos { line: 3, col: 5 }).as_deref(), Some("scenes"));
    }
}
