//! Reading a tour folder: `tour.ron` plus one `<site-id>.ron` per site.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::assets::AssetCheck;
use super::diag::Diagnostic;
use super::model::{Site, Tour, TourFile};
use super::source::{self, ReadError};
use super::spans::{self, Node, Pos, Seg};
use super::validate;

/// A parsed file with the positions of its values.
pub struct Parsed<T> {
    pub path: PathBuf,
    pub value: T,
    pub spans: Option<Node>,
}

impl<T> Parsed<T> {
    pub fn pos(&self, path: &[Seg]) -> Pos {
        self.spans.as_ref().map_or(Pos { line: 1, col: 1 }, |n| n.locate(path))
    }
}

/// The outcome of loading: the tour when it has no errors, and everything found on the way.
#[derive(Debug)]
pub struct Loaded {
    pub tour: Option<Tour>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// The tour, or every diagnostic when there is an error.
    pub fn into_result(self) -> Result<Tour, Vec<Diagnostic>> {
        match self.tour {
            Some(t) => Ok(t),
            None => Err(self.diagnostics),
        }
    }
}

/// Load and validate the tour in `dir`, reading asset headers only.
pub fn load(dir: &Path) -> Loaded {
    load_with(dir, AssetCheck::Headers)
}

/// Texts that stand in for files of a tour folder while loading it: `Some(text)` replaces (or
/// adds) the file at that path, `None` removes it. The studio checks a draft this way, so its
/// diagnostics name the files and lines that publishing would write.
pub type Overlay = BTreeMap<PathBuf, Option<String>>;

/// Load and validate the tour in `dir`, reading assets as deeply as `check` says.
pub fn load_with(dir: &Path, check: AssetCheck) -> Loaded {
    load_overlay(dir, &Overlay::new(), check)
}

/// [`load_with`], with the folder's files seen through `overlay`.
pub fn load_overlay(dir: &Path, overlay: &Overlay, check: AssetCheck) -> Loaded {
    let read = |path: &Path| match overlay.get(path) {
        Some(Some(text)) => Ok(text.clone()),
        Some(None) => Err(ReadError::Io(std::io::Error::from(std::io::ErrorKind::NotFound))),
        None => source::read(path),
    };
    let mut diags = Vec::new();
    let tour_path = dir.join("tour.ron");
    let tour_file = match read(&tour_path) {
        Ok(src) => parse::<TourFile>(&tour_path, &src, &mut diags),
        Err(ReadError::Text(d)) => {
            diags.push(d);
            None
        }
        Err(ReadError::Io(e)) => {
            diags.push(
                Diagnostic::error(&tour_path, Pos { line: 1, col: 1 }, format!("cannot read the tour file: {e}"))
                    .hint("a tour folder holds tour.ron and one <site-id>.ron per site; pass the folder to check"),
            );
            None
        }
    };
    let Some(tour_file) = tour_file else {
        return Loaded { tour: None, diagnostics: diags };
    };

    let mut sites = Vec::new();
    let mut seen = HashSet::new();
    for (i, id) in tour_file.value.sites.iter().enumerate() {
        if !seen.insert(id.as_str()) {
            continue; // reported as a duplicate by validation
        }
        let path = dir.join(format!("{id}.ron"));
        match read(&path) {
            Ok(src) => {
                if let Some(site) = parse::<Site>(&path, &src, &mut diags) {
                    sites.push(site);
                }
            }
            Err(ReadError::Text(d)) => diags.push(d),
            Err(ReadError::Io(_)) => diags.push(
                Diagnostic::error(
                    &tour_file.path,
                    tour_file.pos(&[Seg::Field("sites"), Seg::Index(i)]),
                    format!("site `{id}` has no file {}", path.display()),
                )
                .hint(format!("create {id}.ron beside tour.ron, or remove `{id}` from `sites`")),
            ),
        }
    }
    // Site files the tour does not list are probably forgotten.
    if let Ok(entries) = std::fs::read_dir(dir) {
        let on_disk = entries.filter_map(|e| e.ok().map(|e| e.path()));
        let added = overlay.iter().filter(|(p, t)| t.is_some() && p.parent() == Some(dir)).map(|(p, _)| p.clone());
        let mut stray: Vec<PathBuf> = on_disk
            .filter(|p| !overlay.contains_key(p))
            .chain(added)
            .filter(|p| p.extension().is_some_and(|x| x == "ron"))
            .filter(|p| p.file_stem().is_some_and(|s| s != "tour" && !seen.contains(s.to_string_lossy().as_ref())))
            .collect();
        stray.sort();
        for p in stray {
            let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            diags.push(
                Diagnostic::warning(&p, Pos { line: 1, col: 1 }, "this site file is not listed in tour.ron")
                    .hint(format!("add \"{stem}\" to `sites` in tour.ron, or move the file out of the tour folder")),
            );
        }
    }

    let assets_dir = dir.join(&tour_file.value.assets);
    validate::validate(&tour_file, &sites, &assets_dir, check, &mut diags);
    diags.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));

    let ok = !diags.iter().any(Diagnostic::is_error);
    let tour = ok.then(|| {
        let t = tour_file.value;
        Tour {
            title: t.title,
            start_site: t.start_site,
            categories: t.categories,
            map: t.map,
            sites: sites.into_iter().map(|s| s.value).collect(),
            assets_dir,
        }
    });
    Loaded { tour, diagnostics: diags }
}

fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Parse one file; a syntax or shape mistake becomes a diagnostic.
pub fn parse<T: serde::de::DeserializeOwned>(path: &Path, src: &str, diags: &mut Vec<Diagnostic>) -> Option<Parsed<T>> {
    match ron_options().from_str::<T>(src) {
        Ok(value) => Some(Parsed { path: path.to_path_buf(), value, spans: spans::scan(src) }),
        Err(e) => {
            diags.push(ron_diagnostic(path, src, &e));
            None
        }
    }
}

/// Parse a single value from text, as the viewer does when a file changes.
pub fn parse_str<T: serde::de::DeserializeOwned>(path: &Path, src: &str) -> Result<T, Diagnostic> {
    ron_options().from_str::<T>(src).map_err(|e| ron_diagnostic(path, src, &e))
}

fn ron_diagnostic(path: &Path, src: &str, e: &ron::error::SpannedError) -> Diagnostic {
    use ron::Error as E;
    let pos = Pos { line: e.span.start.line.max(1), col: e.span.start.col.max(1) };
    // A string without its closing quote swallows text up to the next quote, and ron then
    // stops somewhere after it (or at the end of the file); the curator needs where it starts.
    if let Some(start) = source::unterminated_string(src)
        && (matches!(e.code, E::ExpectedStringEnd) || start < pos)
    {
        return Diagnostic::error(path, start, "this string has no closing quote")
            .hint("add the closing `\"` at the end of the text that starts here");
    }
    let outer = |o: &Option<String>| o.as_deref().map(|o| format!(" in `{o}`")).unwrap_or_default();
    let (message, hint) = match &e.code {
        E::NoSuchStructField { expected, found, outer: o } => {
            (format!("unknown field `{found}`{}", outer(o)), format!("the fields here are: {}", expected.join(", ")))
        }
        E::MissingStructField { field, outer: o } => {
            (format!("missing field `{field}`{}", outer(o)), format!("add `{field}: ...` to this value"))
        }
        E::DuplicateStructField { field, outer: o } => {
            (format!("field `{field}` is given twice{}", outer(o)), "keep one of them".to_string())
        }
        E::NoSuchEnumVariant { expected, found, outer: o } => {
            (format!("unknown variant `{found}`{}", outer(o)), format!("use one of: {}", expected.join(", ")))
        }
        E::ExpectedDifferentStructName { expected, found } => {
            (format!("expected `{expected}(...)`, found `{found}(...)`"), format!("this file holds a {expected}"))
        }
        E::InvalidValueForType { expected, found } => {
            (format!("expected {expected}, found {found}"), "check the value's type".to_string())
        }
        E::ExpectedFloat | E::ExpectedInteger => {
            (e.code.to_string(), "angles and times are numbers such as 12.5 (write 90.0, not 90)".to_string())
        }
        E::Eof | E::ExpectedStructLikeEnd | E::ExpectedArrayEnd | E::ExpectedMapEnd => (
            e.code.to_string(),
            "a bracket or parenthesis is not closed, or a comma is missing before this point".to_string(),
        ),
        E::ExpectedComma => (e.code.to_string(), "separate fields and list items with commas".to_string()),
        other => (other.to_string(), "see the scene file format in README.md".to_string()),
    };
    Diagnostic::error(path, pos, message).hint(hint)
}
