//! The `cloudhall tiles` command: a progress bar on a terminal (quiet otherwise), then either a
//! pyramid folder, or a pyramid in a tour's assets with its scene pointed at it and the tour
//! checked.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Options, check_input, make, multires, plan, tile_count, tour_edit};
use crate::tour::{self, AssetCheck};

/// Where the pyramid goes.
pub enum Destination {
    /// A folder of its own (`--out DIR`).
    Folder(PathBuf),
    /// A scene of a tour (`--site ID --scene ID --tour DIR`).
    Scene { tour: PathBuf, site: String, scene: String },
}

/// Run the command; the error is the message for the user.
pub fn run(input: &Path, dest: Destination, opts: Options) -> Result<(), String> {
    let (w, _) = check_input(input)?;
    let (face, levels) = plan(w, opts.tile);
    let target = match &dest {
        Destination::Folder(out) => {
            tile(input, out, opts, face, levels)?;
            println!(
                "wrote {}: {levels} levels, faces {face} px, {}-px tiles; open it in Pannellum with its config.json",
                out.display(),
                opts.tile.min(face)
            );
            return Ok(());
        }
        Destination::Scene { tour, site, scene } => tour_edit::target(tour, site, scene)?,
    };
    let Destination::Scene { tour: tour_dir, scene, .. } = &dest else { unreachable!() };
    tile(input, &target.pyramid_dir, opts, face, levels)?;
    let m = multires(&target.prefix, face, levels, opts.tile);
    let text = crate::tour::source::read_or_say(&target.site_file)?;
    let edited = tour_edit::replace_panorama(&target.site_file, &text, scene, &tour_edit::multires_ron(&m))?;
    let tmp = target.site_file.with_extension("ron.tmp");
    std::fs::write(&tmp, edited).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &target.site_file)
        .map_err(|e| format!("cannot replace {}: {e}", target.site_file.display()))?;
    println!(
        "wrote {} and pointed scene `{scene}` in {} at it",
        target.pyramid_dir.display(),
        target.site_file.display()
    );
    let loaded = tour::load_with(tour_dir, AssetCheck::Full);
    for d in &loaded.diagnostics {
        eprintln!("{d}");
    }
    match &loaded.tour {
        Some(t) => {
            println!("{}", t.summary());
            Ok(())
        }
        None => Err(format!("the tour in {} has errors (above)", tour_dir.display())),
    }
}

fn tile(input: &Path, out: &Path, opts: Options, face: u32, levels: u32) -> Result<(), String> {
    let bar = ProgressBar::with_draw_target(Some(tile_count(face, levels, opts.tile)), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} tiles, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(format!("tiling {}", input.display()));
    let result = make(input, out, opts, &|n| bar.set_position(n));
    bar.finish_and_clear();
    result.map(|_| ())
}
