//! The `cloudhall` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use cloudhall::tour::{self, AssetCheck};

#[derive(Parser)]
#[command(
    name = "cloudhall",
    version,
    about = "A virtual museum tour: panoramic halls, narration, maps and a memorial"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a tour folder and report every mistake as path:line:col.
    Check {
        /// The folder holding tour.ron and the site files.
        #[arg(default_value = "scenes")]
        dir: PathBuf,
        /// `text` for people, `json` for tools (the whole validated tour, or the errors).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Read asset headers only instead of decoding every image and audio file.
        #[arg(long)]
        quick: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { dir, format, quick } => {
            check(&dir, format, if quick { AssetCheck::Headers } else { AssetCheck::Full })
        }
    }
}

fn check(dir: &std::path::Path, format: Format, depth: AssetCheck) -> ExitCode {
    let loaded = tour::load_with(dir, depth);
    let failed = loaded.tour.is_none();
    match format {
        Format::Text => {
            for d in &loaded.diagnostics {
                eprintln!("{d}");
            }
            match &loaded.tour {
                Some(t) => println!("{}", t.summary()),
                None => {
                    let n = loaded.errors().count();
                    eprintln!("{n} error{} in {}", if n == 1 { "" } else { "s" }, dir.display());
                }
            }
        }
        Format::Json => {
            let v = match &loaded.tour {
                Some(t) => {
                    let mut v = tour::json::tour_json(t);
                    if let Some(o) = v.as_object_mut() {
                        o.insert("diagnostics".into(), serde_json::to_value(&loaded.diagnostics).unwrap_or_default());
                    }
                    v
                }
                None => tour::json::diagnostics_json(&loaded.diagnostics),
            };
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
