//! A source folder per fuzz process for the importers: a real small panorama (`pano.jpg`, also
//! as a cube face `f.jpg` and a tile `0/f/0_0.jpg`) beside which each input is written as the
//! importer's file, so that an input naming those files runs on into the importer's reading of
//! images, hotspots and views. Any outcome but a panic or a hang is fine.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cloudhall::tour::TourFile;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The folder and the bundled tour's file, made once per process.
fn setup() -> &'static (PathBuf, TourFile) {
    static DIR: OnceLock<(PathBuf, TourFile)> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cloudhall-fuzz-import-{}", std::process::id()));
        let pano = root().join("tests/fixtures/assets/test-pano.jpg");
        let square = root().join("tests/fixtures/assets/square.jpg");
        std::fs::create_dir_all(dir.join("0/f")).expect("source folder");
        std::fs::copy(&pano, dir.join("pano.jpg")).expect("panorama");
        for face in ["f", "b", "l", "r", "u", "d"] {
            std::fs::copy(&square, dir.join(format!("{face}.jpg"))).expect("cube face");
        }
        std::fs::copy(&square, dir.join("0/f/0_0.jpg")).expect("tile");
        let (tour, _) = cloudhall::import::tour_file(&root().join("scenes")).expect("the bundled tour");
        (dir, tour)
    })
}

/// Write `data` as `name` in the source folder and give its path, with the tour.
pub fn input(name: &str, data: &[u8]) -> (PathBuf, &'static TourFile) {
    let (dir, tour) = setup();
    let path = dir.join(name);
    std::fs::write(&path, data).expect("write input");
    (path, tour)
}

/// What an importer said must be something: a site with scenes, or a reason.
pub fn judge(result: Result<cloudhall::import::Imported, String>) {
    match result {
        Ok(imported) => assert!(!imported.site.scenes.is_empty(), "an import with no scenes"),
        Err(why) => assert!(!why.trim().is_empty(), "an import refused without a reason"),
    }
}
