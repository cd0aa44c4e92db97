//! Writing sites back to RON the way curators write them by hand.
//!
//! A new site gets a whole file in the bundled tour's layout (one field a line, one scene a
//! block, one hotspot a line). An existing site is patched: only the values that changed are
//! rewritten, in the text itself, so the comments and layout of everything else stay as they
//! were (as `cloudhall tiles --site` does for one panorama). Every result is parsed back and
//! compared with the site it should hold before it is used.

use std::path::Path;

use serde::Serialize;

use crate::tour::load::parse_str;
use crate::tour::spans::{self, Node, NodeKind, Seg, offset, value_end};
use crate::tour::{Narration, Scene, Site};

/// `value` as one line of RON: `(zh: "…", en: "…")`, `Go(scene: "hall")`.
pub fn compact<T: Serialize + ?Sized>(value: &T) -> String {
    let cfg = ron::ser::PrettyConfig::new()
        .compact_structs(true)
        .compact_arrays(true)
        .compact_maps(true)
        .struct_names(false)
        .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
    let text = ron::ser::to_string_pretty(value, cfg).unwrap_or_default();
    // The extension is announced in a header; inside a file the loader enables it itself.
    let body = text.strip_prefix("#![enable(implicit_some)]").unwrap_or(&text);
    body.trim_start().to_string()
}

/// A list, one item a line at `indent` (items) below `outer` (the closing bracket).
fn block_list(items: &[String], indent: &str, outer: &str) -> String {
    if items.is_empty() {
        return "[]".into();
    }
    let mut out = String::from("[\n");
    for item in items {
        out.push_str(&format!("{indent}{item},\n"));
    }
    out.push_str(outer);
    out.push(']');
    out
}

/// A narration: its cues one a line.
fn narration_ron(n: &Narration, indent: &str) -> String {
    let inner = format!("{indent}    ");
    let cues: Vec<String> = n.cues.iter().map(compact).collect();
    format!(
        "(\n{inner}audio: {},\n{inner}duration: {},\n{inner}cues: {},\n{indent})",
        compact(&n.audio),
        compact(&n.duration),
        block_list(&cues, &format!("{inner}    "), &inner)
    )
}

/// The fields of a scene, in the order the bundled files write them.
const SCENE_FIELDS: [&str; 9] =
    ["id", "name", "panorama", "thumbnail", "description", "view", "limits", "narration", "hotspots"];

/// The text of one field of a scene whose fields are indented by `indent`, or `None` when an
/// optional field is not set.
fn scene_field(scene: &Scene, name: &str, indent: &str) -> Option<String> {
    Some(match name {
        "id" => compact(&scene.id),
        "name" => compact(&scene.name),
        "panorama" => compact(&scene.panorama),
        "thumbnail" => compact(scene.thumbnail.as_ref()?),
        "description" => compact(scene.description.as_ref()?),
        "view" => compact(&scene.view),
        "limits" => compact(&scene.limits),
        "narration" => narration_ron(scene.narration.as_ref()?, indent),
        "hotspots" => {
            let items: Vec<String> = scene.hotspots.iter().map(compact).collect();
            block_list(&items, &format!("{indent}    "), indent)
        }
        _ => return None,
    })
}

/// One scene as a block whose fields are indented by `indent`, closed at `outer`.
pub fn scene_ron(scene: &Scene, indent: &str, outer: &str) -> String {
    let f: Vec<(String, String)> =
        SCENE_FIELDS.iter().filter_map(|k| scene_field(scene, k, indent).map(|v| (k.to_string(), v))).collect();
    fields_block(&f, indent, outer)
}

fn fields_block(fields: &[(String, String)], indent: &str, outer: &str) -> String {
    let mut out = String::from("(\n");
    for (k, v) in fields {
        out.push_str(&format!("{indent}{k}: {v},\n"));
    }
    out.push_str(outer);
    out.push(')');
    out
}

/// The text of one top-level field of a site (scenes excepted), or `None` when the field is
/// absent (an optional one that is not set).
fn site_field(site: &Site, name: &str, indent: &str) -> Option<String> {
    let inner = format!("{indent}    ");
    let one_a_line = |items: Vec<String>| block_list(&items, &inner, indent);
    Some(match name {
        "id" => compact(&site.id),
        "name" => compact(&site.name),
        "summary" => compact(&site.summary),
        "category" => compact(&site.category),
        "location" => compact(&site.location),
        "education_base" => compact(&site.education_base),
        "sources" => one_a_line(site.sources.iter().map(compact).collect()),
        "start_scene" => compact(site.start_scene.as_ref()?),
        "floor_plan" => {
            let plan = site.floor_plan.as_ref()?;
            let positions: Vec<String> = plan.positions.iter().map(compact).collect();
            format!(
                "(\n{inner}image: {},\n{inner}positions: {},\n{indent})",
                compact(&plan.image),
                block_list(&positions, &format!("{inner}    "), &inner)
            )
        }
        "people" => one_a_line(site.people.iter().map(compact).collect()),
        "route" => compact(site.route.as_ref()?),
        _ => return None,
    })
}

/// The top-level fields of a site file, in the order the bundled files write them.
const SITE_FIELDS: [&str; 12] = [
    "id",
    "name",
    "summary",
    "category",
    "location",
    "education_base",
    "sources",
    "start_scene",
    "floor_plan",
    "people",
    "scenes",
    "route",
];

/// A whole site file, for a site the studio made.
pub fn site_file(site: &Site) -> String {
    let scenes: Vec<String> = site.scenes.iter().map(|s| scene_ron(s, "            ", "        ")).collect();
    let fields: Vec<(String, String)> = SITE_FIELDS
        .iter()
        .filter_map(|k| match *k {
            "scenes" => Some((k.to_string(), block_list(&scenes, "        ", "    "))),
            _ => site_field(site, k, "    ").map(|v| (k.to_string(), v)),
        })
        .collect();
    let title =
        if site.name.en.is_empty() { site.name.zh.clone() } else { format!("{} {}", site.name.zh, site.name.en) };
    format!(
        "// {}\n// Made in the studio; curators may edit it by hand too.\nSite{}\n",
        title.replace('\n', " "),
        fields_block(&fields, "    ", "")
    )
}

/// A replacement of `start..end` in a text.
struct Edit {
    start: usize,
    end: usize,
    with: String,
}

fn apply(text: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| std::cmp::Reverse(e.start));
    let mut out = text.to_string();
    for e in edits {
        out.replace_range(e.start..e.end, &e.with);
    }
    out
}

/// The byte range of the value at `node`.
fn span(text: &str, node: &Node) -> Option<(usize, usize)> {
    let start = offset(text, node.pos)?;
    Some((start, value_end(text, start)?))
}

/// The indentation of the line that holds byte `at`.
fn indent_at(text: &str, at: usize) -> String {
    let line = &text[text[..at].rfind('\n').map_or(0, |i| i + 1)..];
    line.chars().take_while(|c| *c == ' ' || *c == '\t').collect()
}

/// `original` (the published text of `published`) changed so that it holds `draft`: only the
/// values that differ are rewritten. When the text cannot be followed, the whole file is written
/// afresh, keeping its leading comment lines.
pub fn patch_site(file: &Path, original: &str, published: &Site, draft: &Site) -> String {
    if published == draft {
        return original.to_string();
    }
    if let Some(text) = try_patch(original, published, draft)
        && parse_str::<Site>(file, &text).ok().as_ref() == Some(draft)
    {
        return text;
    }
    let comments: String =
        original.lines().take_while(|l| l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect();
    let fresh = site_file(draft);
    let body = fresh.lines().skip_while(|l| l.starts_with("//")).collect::<Vec<_>>().join("\n");
    if comments.is_empty() { fresh } else { format!("{comments}{body}\n") }
}

fn try_patch(text: &str, published: &Site, draft: &Site) -> Option<String> {
    let root = spans::scan(text)?;
    let mut edits = Vec::new();
    field_edits(
        text,
        &root,
        &SITE_FIELDS,
        &|name, indent| site_field(published, name, indent),
        &|name, indent| site_field(draft, name, indent),
        &mut edits,
    )?;
    if published.scenes != draft.scenes {
        let list = root.get(&[Seg::Field("scenes")])?;
        list_edits(
            text,
            list,
            &published.scenes,
            &draft.scenes,
            &|s: &Scene| s.id.as_str(),
            &scene_edits,
            &|s, indent| scene_ron(s, &format!("{indent}    "), indent),
            &mut edits,
        )?;
    }
    Some(apply(text, edits))
}

/// Edits turning the fields of the struct at `node` from what `old` writes into what `new`
/// writes; each renders a field at an indentation, `None` for an absent optional field.
/// Fields that are lists of items (`scenes`, `hotspots`) are left to [`list_edits`].
fn field_edits(
    text: &str,
    node: &Node,
    order: &[&str],
    old: &dyn Fn(&str, &str) -> Option<String>,
    new: &dyn Fn(&str, &str) -> Option<String>,
    edits: &mut Vec<Edit>,
) -> Option<()> {
    let NodeKind::Fields(fields) = &node.kind else { return None };
    let field_indent = fields.first().and_then(|(_, k, _)| offset(text, *k)).map(|at| indent_at(text, at))?;
    for (i, name) in order.iter().enumerate() {
        let (was, now) = (old(name, &field_indent), new(name, &field_indent));
        if was == now {
            continue;
        }
        let present = fields.iter().find(|(k, _, _)| k == name);
        match (present, now) {
            (Some((_, _, value)), Some(with)) => {
                let (start, end) = span(text, value)?;
                edits.push(Edit { start, end, with });
            }
            (Some((_, key, value)), None) => {
                // From the start of the key's line to the end of the value's line.
                let key_at = offset(text, *key)?;
                let (_, end) = span(text, value)?;
                let line_start = text[..key_at].rfind('\n').map_or(0, |i| i + 1);
                let after = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
                edits.push(Edit { start: line_start, end: after, with: String::new() });
            }
            (None, Some(with)) => {
                // A field that was not written goes on its own line before the next one that is,
                // or after the last.
                let next = order[i + 1..].iter().find_map(|n| fields.iter().find(|(k, _, _)| k == n));
                let at = match next {
                    Some((_, key, _)) => {
                        let key_at = offset(text, *key)?;
                        text[..key_at].rfind('\n').map_or(0, |i| i + 1)
                    }
                    None => {
                        let (_, _, last) = fields.last()?;
                        let (_, end) = span(text, last)?;
                        text[end..].find('\n').map_or(text.len(), |i| end + i + 1)
                    }
                };
                edits.push(Edit { start: at, end: at, with: format!("{field_indent}{name}: {with},\n") });
            }
            (None, None) => {}
        }
    }
    Some(())
}

/// Edits turning the list at `list` from `old` items into `new` ones. With the same ids in the
/// same order, each changed item is patched in place by `patch`; otherwise the list is written
/// again, each unchanged item with its own text (comments inside it kept).
fn list_edits<T: PartialEq>(
    text: &str,
    list: &Node,
    old: &[T],
    new: &[T],
    id: &dyn Fn(&T) -> &str,
    patch: &dyn Fn(&str, &Node, &T, &T, &mut Vec<Edit>) -> Option<()>,
    render: &dyn Fn(&T, &str) -> String,
    edits: &mut Vec<Edit>,
) -> Option<()> {
    let NodeKind::Seq(items) = &list.kind else { return None };
    if items.len() != old.len() {
        return None;
    }
    let same_ids = old.len() == new.len() && old.iter().zip(new).all(|(a, b)| id(a) == id(b));
    if same_ids {
        for ((a, b), node) in old.iter().zip(new).zip(items) {
            if a != b {
                patch(text, node, a, b, edits)?;
            }
        }
        return Some(());
    }
    let (start, end) = span(text, list)?;
    let outer = indent_at(text, start);
    let item_indent =
        items.first().and_then(|n| offset(text, n.pos)).map_or(format!("{outer}    "), |f| indent_at(text, f));
    let mut parts = Vec::new();
    for item in new {
        let kept = old.iter().position(|o| o == item).and_then(|i| items.get(i));
        match kept.and_then(|n| span(text, n)) {
            Some((s, e)) => parts.push(text[s..e].to_string()),
            None => parts.push(render(item, &item_indent)),
        }
    }
    edits.push(Edit { start, end, with: block_list(&parts, &item_indent, &outer) });
    Some(())
}

/// Edits turning the scene at `node` from `old` into `new`, field by field.
fn scene_edits(text: &str, node: &Node, old: &Scene, new: &Scene, edits: &mut Vec<Edit>) -> Option<()> {
    let whole = |edits: &mut Vec<Edit>| -> Option<()> {
        let (start, end) = span(text, node)?;
        let outer = indent_at(text, start);
        edits.push(Edit { start, end, with: scene_ron(new, &format!("{outer}    "), &outer) });
        Some(())
    };
    let NodeKind::Fields(_) = &node.kind else { return whole(edits) };
    let order: Vec<&str> = SCENE_FIELDS.iter().copied().filter(|f| *f != "hotspots").collect();
    let mut mine = Vec::new();
    let simple = field_edits(
        text,
        node,
        &order,
        &|name, indent| scene_field(old, name, indent),
        &|name, indent| scene_field(new, name, indent),
        &mut mine,
    );
    let lists = if old.hotspots == new.hotspots {
        Some(())
    } else {
        match node.get(&[Seg::Field("hotspots")]) {
            Some(list) => list_edits(
                text,
                list,
                &old.hotspots,
                &new.hotspots,
                &|h| h.id.as_str(),
                &|t, n, _, b, e| {
                    let (start, end) = span(t, n)?;
                    e.push(Edit { start, end, with: compact(b) });
                    Some(())
                },
                &|h, _| compact(h),
                &mut mine,
            ),
            None => field_edits(
                text,
                node,
                &SCENE_FIELDS,
                &|name, indent| (name == "hotspots").then(|| scene_field(old, name, indent)).flatten(),
                &|name, indent| (name == "hotspots").then(|| scene_field(new, name, indent)).flatten(),
                &mut mine,
            ),
        }
    };
    match (simple, lists) {
        (Some(()), Some(())) => {
            edits.extend(mine);
            Some(())
        }
        _ => whole(edits),
    }
}

/// `tour.ron` with site `id` added at the end of its `sites` list.
pub fn add_site_to_tour(text: &str, id: &str) -> Option<String> {
    let root = spans::scan(text)?;
    let list = root.get(&[Seg::Field("sites")])?;
    let (start, end) = span(text, list)?;
    let close = end - 1;
    let before = text[start..close].trim_end();
    let at = start + before.len();
    let item = compact(id);
    let insert = if let NodeKind::Seq(items) = &list.kind
        && let Some(first) = items.first()
    {
        let indent = indent_at(text, offset(text, first.pos)?);
        if before.ends_with(',') { format!("\n{indent}{item},") } else { format!(",\n{indent}{item}") }
    } else {
        format!("{item}")
    };
    let mut out = text.to_string();
    out.insert_str(at, &insert);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tour::{HotspotKind, TourFile, View};

    fn bundled(id: &str) -> (std::path::PathBuf, String, Site) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes").join(format!("{id}.ron"));
        let text = std::fs::read_to_string(&path).expect("bundled site");
        let site: Site = parse_str(&path, &text).expect("parses");
        (path, text, site)
    }

    #[test]
    fn every_bundled_site_written_afresh_reads_back_the_same() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
        let mut n = 0;
        for e in std::fs::read_dir(&dir).expect("scenes") {
            let p = e.expect("entry").path();
            if p.file_stem().is_some_and(|s| s == "tour") || p.extension().is_none_or(|x| x != "ron") {
                continue;
            }
            let site: Site = parse_str(&p, &std::fs::read_to_string(&p).expect("read")).expect("parse");
            let text = site_file(&site);
            let back: Site = parse_str(&p, &text).unwrap_or_else(|d| panic!("{d}\n{text}"));
            assert_eq!(back, site, "{}", p.display());
            n += 1;
        }
        assert_eq!(n, 18);
    }

    #[test]
    fn a_changed_hotspot_rewrites_its_scene_and_keeps_every_other_line() {
        let (path, text, site) = bundled("aohan-museum");
        let mut draft = site.clone();
        draft.scenes[1].hotspots[0].yaw = 33.5;
        let out = patch_site(&path, &text, &site, &draft);
        assert_eq!(parse_str::<Site>(&path, &out).expect("parses"), draft);
        // The file's comments and the other scenes are byte for byte the same.
        assert!(out.starts_with("// 敖汉旗博物馆 Aohan Banner Museum\n// Generated by"));
        let scene0 = &text[text.find("id: \"square\"").unwrap()..text.find("id: \"prehistory-hall\"").unwrap()];
        assert!(out.contains(scene0));
        let changed_lines = out.lines().filter(|l| !text.contains(*l)).count();
        assert!(changed_lines <= 3, "{changed_lines} lines changed");
    }

    #[test]
    fn comments_outside_the_edit_survive() {
        let (path, text, site) = bundled("aohan-museum");
        let marked = text.replacen("    start_scene:", "    // chosen by the curators in 2024\n    start_scene:", 1);
        let mut draft = site.clone();
        draft.name.en = "Aohan Museum".into();
        draft.scenes.swap(1, 2);
        let out = patch_site(&path, &marked, &site, &draft);
        assert_eq!(parse_str::<Site>(&path, &out).expect("parses"), draft);
        assert!(out.contains("// chosen by the curators in 2024\n    start_scene:"));
        assert!(out.contains("en: \"Aohan Museum\""));
    }

    #[test]
    fn optional_fields_come_and_go_and_scenes_are_added() {
        let (path, text, site) = bundled("aohan-museum");
        let mut draft = site.clone();
        draft.floor_plan = None;
        draft.route = Some(vec!["square".into()]);
        let mut extra = draft.scenes[0].clone();
        extra.id = "new-room".into();
        extra.hotspots = vec![crate::tour::Hotspot {
            id: "back".into(),
            yaw: 10.0,
            pitch: -5.0,
            kind: HotspotKind::Go {
                scene: "square".into(),
                site: None,
                view: Some(View { yaw: 1.0, pitch: 2.0, hfov: 90.0 }),
            },
            description: None,
        }];
        draft.scenes.push(extra);
        let out = patch_site(&path, &text, &site, &draft);
        assert_eq!(parse_str::<Site>(&path, &out).expect("parses"), draft);
        assert!(!out.contains("floor_plan"));
        assert!(out.starts_with("// 敖汉旗博物馆"));
    }

    #[test]
    fn a_new_site_is_appended_to_the_tour() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/tour.ron");
        let text = std::fs::read_to_string(&path).expect("tour");
        let out = add_site_to_tour(&text, "new-site").expect("edits");
        let t: TourFile = parse_str(&path, &out).expect("parses");
        assert_eq!(t.sites.last().map(String::as_str), Some("new-site"));
        assert_eq!(t.sites.len(), 19);
        assert!(out.contains("        \"hongshan-site\",\n        \"new-site\",\n    ],"));
        let empty = "Tour(sites: [], x: 1)";
        assert_eq!(add_site_to_tour(empty, "a").as_deref(), Some("Tour(sites: [\"a\"], x: 1)"));
    }
}
