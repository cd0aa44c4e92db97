//! The `cloudhall` command line (and, built for wasm32, the viewer in the browser).
#![cfg_attr(target_arch = "wasm32", allow(dead_code, unused_imports))]

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
    /// Serve the tour, its assets, visit counts and the memorial over HTTP.
    #[cfg(feature = "server")]
    Serve(ServeArgs),
    /// Open the tour in the viewer, or render one frame of it with --screenshot.
    #[cfg(feature = "viewer")]
    View(ViewArgs),
    /// Turn an equirectangular JPEG or PNG into a multiresolution cube pyramid (Pannellum's
    /// layout, with its config.json), into a folder or into a scene of a tour.
    #[cfg(not(target_arch = "wasm32"))]
    Tiles(TilesArgs),
    /// Bring a tour made with Pannellum, Marzipano or krpano into the tour as one site.
    #[cfg(not(target_arch = "wasm32"))]
    Import(ImportArgs),
    /// Write a site as a tour another viewer opens (`pannellum`: config.json and panoramas).
    #[cfg(not(target_arch = "wasm32"))]
    Export(ExportArgs),
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

#[cfg(feature = "viewer")]
#[derive(clap::Args)]
struct ViewArgs {
    /// The folder holding tour.ron and the site files.
    #[arg(long, default_value = "scenes")]
    tour: PathBuf,
    /// The site to open (default: the tour's start site).
    #[arg(long)]
    site: Option<String>,
    /// The scene to open (default: the site's start scene).
    #[arg(long)]
    scene: Option<String>,
    /// The language of the interface and texts (default: the one the visitor chose last time,
    /// else Chinese).
    #[arg(long)]
    lang: Option<cloudhall::tour::Lang>,
    /// Initial yaw in degrees (default: the scene's).
    #[arg(long, allow_hyphen_values = true)]
    yaw: Option<f32>,
    /// Initial pitch in degrees (default: the scene's).
    #[arg(long, allow_hyphen_values = true)]
    pitch: Option<f32>,
    /// Initial horizontal field of view in degrees (default: the scene's).
    #[arg(long)]
    hfov: Option<f32>,
    /// Load the tour and its assets from a `cloudhall serve` at this URL (and record visits there).
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// Lead a live guided session on the --server: show its join code, the roster and the
    /// controls; the class follows where you go and look.
    #[arg(long, requires = "server", conflicts_with = "join")]
    guide: bool,
    /// Join the live guided session with this nine-digit code on the --server.
    #[arg(long, value_name = "CODE", requires = "server", requires = "name")]
    join: Option<String>,
    /// Your name on the session's roster (with --join).
    #[arg(long)]
    name: Option<String>,
    /// Start on the city map (the default when no --site is given and no screenshot is taken).
    #[arg(long)]
    map: bool,
    /// Do not turn by itself after 30 s without input.
    #[arg(long)]
    no_autorotate: bool,
    /// Reduce motion: no autorotation, no inertia, cuts instead of fades (remembered; F7).
    #[arg(long)]
    reduced_motion: bool,
    /// The interface's size in percent, 100 to 200 (remembered; [ and ]).
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u16).range(100..=200))]
    ui_scale: Option<u16>,
    /// The subtitles' size in percent, 100 to 200 (remembered; F9).
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u16).range(100..=200))]
    subtitle_size: Option<u16>,
    /// Opaque, high-contrast panels (remembered; F8).
    #[arg(long)]
    high_contrast: bool,
    /// Do not reload scene files when they change.
    #[arg(long)]
    no_watch: bool,
    /// Measure how long a Go takes to show its panorama (preloaded and cold), headlessly, and exit.
    #[arg(long)]
    bench_go: bool,
    /// Pan round and zoom for this many seconds, headlessly, and print the frame times.
    #[arg(long, value_name = "SECONDS")]
    bench_pan: Option<f32>,
    /// Render one frame without a window into this PNG and exit.
    #[arg(long, value_name = "OUT.png")]
    screenshot: Option<PathBuf>,
    /// Open in the VR glasses mode (side-by-side stereo for a cardboard viewer; `V` toggles it).
    #[arg(long)]
    vr: bool,
    /// The VR lens's radial distortion coefficients.
    #[arg(long, value_name = "K1", default_value_t = cloudhall::vr::lens::Lens::default().k1, allow_hyphen_values = true)]
    vr_k1: f32,
    #[arg(long, value_name = "K2", default_value_t = cloudhall::vr::lens::Lens::default().k2, allow_hyphen_values = true)]
    vr_k2: f32,
    /// The distance between the pupils (and lenses), millimetres.
    #[arg(long, value_name = "MM", default_value_t = cloudhall::vr::lens::Lens::default().ipd_mm)]
    vr_ipd: f32,
    /// The width of the screen in landscape, millimetres.
    #[arg(long, value_name = "MM", default_value_t = cloudhall::vr::lens::Lens::default().screen_width_mm)]
    vr_screen_width: f32,
    /// Draw the two eyes without the lens's distortion (a plain side-by-side stereo display).
    #[arg(long)]
    vr_no_distortion: bool,
    /// Screenshot width in pixels.
    #[arg(long, default_value_t = 1280)]
    width: u32,
    /// Screenshot height in pixels.
    #[arg(long, default_value_t = 720)]
    height: u32,
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("dest").required(true).args(["out", "site"])))]
struct TilesArgs {
    /// The equirectangular image: 2:1, from 2048x1024 up to 24576x12288.
    input: PathBuf,
    /// Write the pyramid into this folder (replaced only once the new pyramid is complete).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write into the tour's assets for this site's --scene, and point the scene at it.
    #[arg(long, requires = "scene", conflicts_with = "out")]
    site: Option<String>,
    /// The scene whose panorama the pyramid becomes (with --site).
    #[arg(long, requires = "site")]
    scene: Option<String>,
    /// The folder holding tour.ron and the site files (with --site).
    #[arg(long, default_value = "scenes")]
    tour: PathBuf,
    /// Tile edge in pixels.
    #[arg(long, default_value_t = 512)]
    tile: u32,
    /// JPEG quality of the tiles, 1 to 100.
    #[arg(long, default_value_t = 85, value_parser = clap::value_parser!(u8).range(1..=100))]
    quality: u8,
}

#[cfg(not(target_arch = "wasm32"))]
fn tiles(args: TilesArgs) -> ExitCode {
    use cloudhall::tiles::{
        Options,
        command::{Destination, run},
    };
    let dest = match (args.out, args.site, args.scene) {
        (Some(out), _, _) => Destination::Folder(out),
        (None, Some(site), Some(scene)) => Destination::Scene { tour: args.tour, site, scene },
        _ => {
            eprintln!("error: give --out DIR, or --site ID and --scene ID");
            return ExitCode::from(2);
        }
    };
    match run(&args.input, dest, Options { tile: args.tile, quality: args.quality }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(feature = "server")]
#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// The folder holding tour.ron and the site files.
    #[arg(long, default_value = "scenes")]
    tour: PathBuf,
    /// Where the SQLite database (and an optional `moderators` or `moderator-token` file) live.
    #[arg(long, default_value = "data")]
    data: PathBuf,
    /// A database URL: sqlite://PATH?mode=rwc, or postgres://user:password@host/db (default: SQLite in DATA/cloudhall.db).
    #[arg(long)]
    database_url: Option<String>,
    /// Words that memorial messages and students' names may not contain, one per line (default: a small built-in list).
    #[arg(long)]
    words: Option<PathBuf>,
    /// Most students in one live guided session.
    #[arg(long, default_value_t = 200)]
    max_students: usize,
    /// With several instances on one PostgreSQL: seconds after which an instance that stopped
    /// renewing its lease (it crashed) is taken for dead, its teacher and students away. The same
    /// on every instance.
    #[arg(long, default_value_t = 15)]
    live_lease: u64,
    /// With several instances: the PostgreSQL URL to LISTEN on, when --database-url goes
    /// through a pooler in transaction mode (PgBouncer), which cannot hold a LISTEN.
    #[arg(long)]
    listen_url: Option<String>,
    /// The browser viewer to serve at `/` (built by `make web`).
    #[arg(long, default_value = "web/dist")]
    web: PathBuf,
    /// The time zone of the statistics' days, as hours east of UTC (China Standard Time by default).
    #[arg(long, default_value = "+08:00", allow_hyphen_values = true)]
    utc_offset: String,
    /// The largest file a curator may upload to the studio (a panorama, narration, a floor plan), in MB.
    #[arg(long, default_value_t = 256)]
    upload_limit_mb: u64,
    /// A load balancer or reverse proxy in front of this server (repeat for several): from these
    /// addresses the client is the one `X-Forwarded-For` names, for the rate limits.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// In the browser: the viewer alone, started by the page (web/index.html).
#[cfg(target_arch = "wasm32")]
fn main() {
    #[cfg(feature = "viewer")]
    cloudhall::viewer::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        #[cfg(feature = "viewer")]
        Command::View(args) => view(args),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve(args),
        Command::Tiles(args) => tiles(args),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Import(args) => import(args),
        #[cfg(not(target_arch = "wasm32"))]
        Command::Export(args) => export(args),
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

#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Tool {
    /// A Pannellum configuration (config.json: one panorama, or a tour of scenes).
    Pannellum,
    /// A Marzipano Tool export folder (data.js and tiles/).
    Marzipano,
    /// A krpano tour file (tour.xml).
    Krpano,
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(clap::Args)]
struct ImportArgs {
    /// Which tool made the tour.
    #[arg(value_enum)]
    tool: Tool,
    /// The tour to import: Pannellum's config.json, Marzipano's export folder, krpano's tour.xml.
    source: PathBuf,
    /// The id of the new site (lowercase letters, digits and -).
    #[arg(long)]
    site: String,
    /// The tour folder (tour.ron) the site joins.
    #[arg(long, default_value = "scenes")]
    tour: PathBuf,
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExportTool {
    /// A Pannellum tour: config.json and the panoramas.
    Pannellum,
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(clap::Args)]
struct ExportArgs {
    #[arg(value_enum)]
    tool: ExportTool,
    /// The folder to write into.
    out: PathBuf,
    /// The site to export.
    #[arg(long)]
    site: String,
    /// The tour folder (tour.ron).
    #[arg(long, default_value = "scenes")]
    tour: PathBuf,
    /// The language of the exported texts.
    #[arg(long, default_value = "zh")]
    lang: cloudhall::tour::Lang,
}

#[cfg(not(target_arch = "wasm32"))]
fn import(args: ImportArgs) -> ExitCode {
    use cloudhall::import;
    let run = || -> Result<import::Report, String> {
        if args.site.is_empty() || !args.site.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!("--site `{}`: use lowercase letters, digits and -", args.site));
        }
        let (tour, _) = import::tour_file(&args.tour)?;
        let imported = match args.tool {
            Tool::Pannellum => import::pannellum::read(&args.source, &args.site, &tour)?,
            Tool::Marzipano => import::marzipano::read(&args.source, &args.site, &tour)?,
            Tool::Krpano => import::krpano::read(&args.source, &args.site, &tour)?,
        };
        import::write(&args.tour, imported)
    };
    match run() {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: {e}
nothing was written"
            );
            ExitCode::from(1)
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn export(args: ExportArgs) -> ExitCode {
    match args.tool {
        ExportTool::Pannellum => {
            match cloudhall::import::export::pannellum(&args.tour, &args.site, &args.out, args.lang) {
                Ok(done) => {
                    println!(
                        "wrote {} ({} scenes, {} files): open it with pannellum.viewer(element, config)",
                        args.out.join("config.json").display(),
                        done.scenes,
                        done.files
                    );
                    for d in &done.dropped {
                        println!("  not carried over: {d}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

/// What --guide or --join asks for: the session (created for --guide), and for a student the
/// site and scene the class is at.
#[cfg(all(feature = "viewer", target_arch = "wasm32"))]
#[allow(clippy::type_complexity)]
fn live_join(_: &ViewArgs) -> Result<Option<(cloudhall::live::LiveJoin, Option<(String, String)>)>, String> {
    Ok(None)
}

#[cfg(all(feature = "viewer", not(target_arch = "wasm32")))]
#[allow(clippy::type_complexity)]
fn live_join(args: &ViewArgs) -> Result<Option<(cloudhall::live::LiveJoin, Option<(String, String)>)>, String> {
    use cloudhall::live::{LiveJoin, is_code};
    use cloudhall::viewer::live::{create_session, session_info};
    let Some(base) = &args.server else { return Ok(None) };
    if args.guide {
        let (code, token) = create_session(base)?;
        println!("live session {code}: students join with `cloudhall view --server {base} --join {code} --name NAME`");
        return Ok(Some((LiveJoin::Guide { code, token }, None)));
    }
    let Some(code) = &args.join.as_deref().map(cloudhall::live::typed_code) else { return Ok(None) };
    if !is_code(code) {
        return Err(format!("`{code}` is not a session code: a code is nine digits"));
    }
    let name = args.name.clone().unwrap_or_default();
    let info = session_info(base, code)?;
    Ok(Some((LiveJoin::Join { code: code.clone(), name }, cloudhall::live::class_position(&info))))
}

#[cfg(feature = "viewer")]
fn view(args: ViewArgs) -> ExitCode {
    use cloudhall::viewer::{StartView, ViewerOptions, headless, run};
    let live = match live_join(&args) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let in_session = live.is_some();
    let mut options = ViewerOptions {
        tour_dir: args.tour.clone(),
        site: args.site.clone(),
        scene: args.scene.clone(),
        lang: args.lang.unwrap_or(cloudhall::tour::Lang::Zh),
        lang_given: args.lang.is_some(),
        remember: args.screenshot.is_none() && !args.bench_go && args.bench_pan.is_none(),
        view: StartView { yaw: args.yaw, pitch: args.pitch, hfov: args.hfov },
        autorotate: !args.no_autorotate && !in_session,
        comfort: cloudhall::a11y::ComfortChoice {
            reduced_motion: args.reduced_motion.then_some(true),
            ui_scale: args.ui_scale,
            subtitle_scale: args.subtitle_size,
            high_contrast: args.high_contrast.then_some(true),
        },
        watch: !args.no_watch && args.screenshot.is_none(),
        map: args.map
            || (args.site.is_none()
                && args.scene.is_none()
                && args.screenshot.is_none()
                && !args.bench_go
                && args.bench_pan.is_none()
                && !in_session),
        server: args.server.clone(),
        live: None,
        vr: args.vr,
        lens: cloudhall::vr::lens::Lens {
            k1: args.vr_k1,
            k2: args.vr_k2,
            ipd_mm: args.vr_ipd,
            screen_width_mm: args.vr_screen_width,
            ..Default::default()
        },
        distortion: !args.vr_no_distortion,
        queue_file: None,
    };
    if let Some((join, at)) = live {
        // A student starts where the class is.
        if let Some((site, scene)) = at
            && options.site.is_none()
        {
            options.site = Some(site);
            options.scene = Some(scene);
        }
        options.live = Some(join);
    }
    if args.bench_go {
        return match headless::bench_go(options, args.width, args.height) {
            Ok(t) => {
                println!(
                    "go to a preloaded neighbour: {:.1} ms ({} frames)",
                    t.preloaded.as_secs_f64() * 1000.0,
                    t.preloaded_frames
                );
                println!(
                    "go to a scene not preloaded: {:.1} ms ({} frames)",
                    t.cold.as_secs_f64() * 1000.0,
                    t.cold_frames
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        };
    }
    if let Some(secs) = args.bench_pan {
        return match headless::bench_pan(options, args.width, args.height, secs) {
            Ok(t) => {
                println!(
                    "pan and zoom for {secs} s: {} frames, median {:.1} ms, worst {:.1} ms; tile cache peak {:.1} MB, {} tiles loaded",
                    t.frames,
                    t.median.as_secs_f64() * 1000.0,
                    t.worst.as_secs_f64() * 1000.0,
                    t.peak_tile_bytes as f64 / 1048576.0,
                    t.tiles_loaded
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        };
    }
    let result = match &args.screenshot {
        Some(out) => headless::screenshot(options, out, args.width.max(16), args.height.max(16)).map(|shot| {
            if let Some(p) = &shot.problem {
                eprintln!("warning: {p}");
            }
            println!("wrote {} ({}x{}, {} frames)", shot.path.display(), shot.width, shot.height, shot.frames);
        }),
        None => run(options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(feature = "server")]
fn serve(args: ServeArgs) -> ExitCode {
    use cloudhall::server::{ServerConfig, guard::WordList, moderator_token, serve};
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .try_init();
    let words = match &args.words {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => WordList::parse(&t),
            Err(e) => {
                eprintln!("error: cannot read the word list {}: {e}", p.display());
                return ExitCode::from(1);
            }
        },
        None => WordList::parse(cloudhall::server::guard::DEFAULT_WORDS),
    };
    let utc_offset = match cloudhall::server::parse_utc_offset(&args.utc_offset) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: --utc-offset: {e}");
            return ExitCode::from(1);
        }
    };
    let config = ServerConfig {
        addr: args.addr,
        utc_offset,
        moderator_token: moderator_token(&args.data),
        tour_dir: args.tour,
        data_dir: args.data,
        database_url: args.database_url,
        words,
        live: cloudhall::server::live::LiveConfig {
            max_students: args.max_students,
            lease: std::time::Duration::from_secs(args.live_lease.max(1)),
            listen_url: args.listen_url,
            ..Default::default()
        },
        web_dir: args.web,
        upload_limit: args.upload_limit_mb.saturating_mul(1024 * 1024),
        trusted_proxies: args.trusted_proxies,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
