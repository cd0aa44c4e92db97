//! A tour folder per fuzz process, into which each input is written before it is checked.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where a tour's files come from, and where its assets are (`None`: an empty folder).
pub struct Source {
    pub dir: &'static str,
    pub assets: Option<&'static str>,
    dest: OnceLock<(PathBuf, Vec<String>)>,
}

/// The small test tour, with its real (small) assets: every probe of an image or a sound runs.
#[allow(dead_code)]
pub static FIXTURE: Source = Source { dir: "tests/fixtures/good", assets: Some("tests/fixtures/assets"), dest: OnceLock::new() };
/// The bundled tour without its assets: every rule of the validator runs on every mutation, and
/// each asset is reported missing without reading the 5,000 files (one run a second otherwise).
#[allow(dead_code)]
pub static BUNDLED: Source = Source { dir: "scenes", assets: None, dest: OnceLock::new() };

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// A copy of the tour's `.ron` files (sorted names) pointing at the real assets.
fn copy(src: &Source) -> &(PathBuf, Vec<String>) {
    src.dest.get_or_init(|| {
        let dest = std::env::temp_dir().join(format!("cloudhall-fuzz-{}-{}", std::process::id(), src.dir.replace('/', "-")));
        std::fs::create_dir_all(&dest).expect("temp dir");
        let mut names: Vec<String> = std::fs::read_dir(root().join(src.dir))
            .expect("tour folder")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".ron"))
            .collect();
        names.sort();
        for n in &names {
            std::fs::write(dest.join(n), original(src, n)).expect("copy");
        }
        (dest, names)
    })
}

fn assets_of(src: &Source) -> PathBuf {
    match src.assets {
        Some(a) => root().join(a).canonicalize().expect("assets"),
        None => {
            let empty = std::env::temp_dir().join(format!("cloudhall-fuzz-{}-no-assets", std::process::id()));
            std::fs::create_dir_all(&empty).expect("empty assets folder");
            empty
        }
    }
}

/// The file as the tour has it, with tour.ron pointing at the real assets folder.
fn original(src: &Source, name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(root().join(src.dir).join(name)).expect("read");
    if name == "tour.ron" {
        let assets = assets_of(src);
        let start = text.find("assets: \"").expect("assets field");
        let end = start + text[start + 9..].find('"').expect("closing quote") + 10;
        format!("{}assets: {:?}{}", &text[..start], assets.display().to_string(), &text[end..]).into_bytes()
    } else {
        text.into_bytes()
    }
}

/// Replace file number `which` (modulo the count) with `contents`, check the tour, put it back.
pub fn check_with(src: &Source, which: u8, contents: &[u8]) {
    let (dest, names) = copy(src);
    let name = &names[usize::from(which) % names.len()];
    let path = dest.join(name);
    let mut contents = contents.to_vec();
    if name == "tour.ron" {
        // Keep the input's tour pointing at real assets when it names an assets folder at all.
        contents = String::from_utf8_lossy(&contents)
            .replace("\"../assets\"", &format!("{:?}", assets_of(src).display().to_string()))
            .into_bytes();
    }
    std::fs::write(&path, &contents).expect("write input");
    let loaded = cloudhall::tour::load_with(dest, cloudhall::tour::AssetCheck::Headers);
    // Whatever it is, it is a tour or it says why not.
    assert!(loaded.tour.is_some() || loaded.errors().next().is_some());
    for d in &loaded.diagnostics {
        let _ = d.to_string();
    }
    std::fs::write(&path, original(src, name)).expect("restore");
}
