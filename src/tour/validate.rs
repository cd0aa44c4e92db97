//! Every rule a tour must satisfy, each reported at the value it is about.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use super::assets::{self, AssetCheck};
use super::diag::Diagnostic;
use super::load::Parsed;
use super::model::*;
use super::pyramid;
use super::spans::{Pos, Seg};

use Seg::{Field as F, Index as I};

/// Narration may disagree with its audio file by this much, in seconds.
pub const DURATION_TOLERANCE: f64 = 0.5;

/// Validate a parsed tour file and its sites, appending to `diags`.
pub fn validate(
    tour: &Parsed<TourFile>,
    sites: &[Parsed<Site>],
    assets_dir: &Path,
    check: AssetCheck,
    diags: &mut Vec<Diagnostic>,
) {
    let mut v = Validator { diags, assets: Vec::new(), pyramids: Vec::new(), cubes: 0 };
    v.tour_file(tour);
    for site in sites {
        v.site(tour, sites, site);
    }
    v.reachability(sites);
    v.inside_outline(tour, sites, assets_dir);
    let assets = std::mem::take(&mut v.assets);
    check_assets(assets, assets_dir, check, v.diags);
    for (file, pos, m) in std::mem::take(&mut v.pyramids) {
        for problem in pyramid::tile_problems(&m, assets_dir, check) {
            v.diags.push(Diagnostic::error(&file, pos, format!("multires pyramid: {problem}")).hint(
                "tiles are looked for under the assets folder; run `cloudhall tiles` again to rebuild the pyramid",
            ));
        }
    }
}

/// True for lowercase kebab-case: `liao-shangjing-site`, `hall-2`.
pub fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Yaw in (-180, 180].
pub fn yaw_in_range(yaw: f64) -> bool {
    yaw > -180.0 && yaw <= 180.0
}

pub fn pitch_in_range(pitch: f64) -> bool {
    (-90.0..=90.0).contains(&pitch)
}

pub fn hfov_in_range(hfov: f64) -> bool {
    hfov > 0.0 && hfov < 180.0
}

struct Validator<'d> {
    diags: &'d mut Vec<Diagnostic>,
    assets: Vec<AssetUse>,
    /// Multires pyramids whose tiles are checked after the other assets.
    pyramids: Vec<(PathBuf, Pos, Multires)>,
    /// Cube panoramas seen so far: numbers each one's faces as a group.
    cubes: usize,
}

/// One place a scene file names an asset.
struct AssetUse {
    file: PathBuf,
    pos: Pos,
    asset: String,
    what: &'static str,
    kind: AssetKind,
}

enum AssetKind {
    Image {
        panorama: bool,
        /// A multires preview: small on purpose, shown only until the tiles arrive.
        preview: bool,
    },
    /// One face of the `cube`-th cube panorama: square, and the same size as its five siblings.
    Face {
        cube: usize,
    },
    Audio {
        declared: f64,
        declared_pos: Pos,
    },
    Other,
}

impl Validator<'_> {
    fn err(&mut self, file: &Path, pos: Pos, msg: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::error(file, pos, msg).hint(hint));
    }

    fn warn(&mut self, file: &Path, pos: Pos, msg: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::warning(file, pos, msg).hint(hint));
    }

    fn id(&mut self, file: &Path, pos: Pos, what: &str, id: &str) {
        if !is_kebab(id) {
            self.err(
                file,
                pos,
                format!("{what} id `{id}` is not lowercase kebab-case"),
                "ids use a-z, 0-9 and single hyphens, e.g. `main-hall`",
            );
        }
    }

    fn text<T>(&mut self, p: &Parsed<T>, path: &[Seg], text: &Text, what: &str) {
        for (lang, s, field) in [("Chinese", &text.zh, "zh"), ("English", &text.en, "en")] {
            if s.trim().is_empty() {
                let mut full = path.to_vec();
                full.push(F(field));
                self.err(
                    &p.path,
                    p.pos(&full),
                    format!("{what} has no {lang} text"),
                    "every visitor-facing text needs both zh and en",
                );
            }
        }
    }

    /// Reports the second and later uses of each id.
    fn unique<'a, T>(&mut self, p: &Parsed<T>, what: &str, ids: impl Iterator<Item = (Vec<Seg<'a>>, &'a str)>) {
        let mut first: HashMap<&str, Pos> = HashMap::new();
        for (path, id) in ids {
            let pos = p.pos(&path);
            if let Some(prev) = first.get(id) {
                let hint = format!("the first `{id}` is at line {}; give each {what} its own id", prev.line);
                self.err(&p.path, pos, format!("duplicate {what} id `{id}`"), hint);
            } else {
                first.insert(id, pos);
            }
        }
    }

    fn asset<T>(&mut self, p: &Parsed<T>, path: &[Seg], asset: &str, what: &'static str, kind: AssetKind) {
        let pos = p.pos(path);
        let escapes = Path::new(asset).components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
        if asset.is_empty() || escapes {
            self.err(
                &p.path,
                pos,
                format!("{what} path `{asset}` must be a relative path inside the assets folder"),
                "write paths such as `pano/site/scene.jpg`, without `..` or a leading `/`",
            );
            return;
        }
        self.assets.push(AssetUse { file: p.path.clone(), pos, asset: asset.to_string(), what, kind });
    }

    fn tour_file(&mut self, t: &Parsed<TourFile>) {
        let tf = &t.value;
        self.text(t, &[F("title")], &tf.title, "the tour title");
        for (i, c) in tf.categories.iter().enumerate() {
            self.id(&t.path, t.pos(&[F("categories"), I(i), F("id")]), "category", &c.id);
            self.text(t, &[F("categories"), I(i), F("name")], &c.name, "a category name");
            if !is_hex_color(&c.color) {
                self.err(
                    &t.path,
                    t.pos(&[F("categories"), I(i), F("color")]),
                    format!("category colour `{}` is not #rrggbb", c.color),
                    "write colours as six hex digits, e.g. \"#b22222\"",
                );
            }
        }
        self.unique(
            t,
            "category",
            tf.categories.iter().enumerate().map(|(i, c)| (vec![F("categories"), I(i), F("id")], c.id.as_str())),
        );
        for (i, id) in tf.sites.iter().enumerate() {
            self.id(&t.path, t.pos(&[F("sites"), I(i)]), "site", id);
        }
        self.unique(t, "site", tf.sites.iter().enumerate().map(|(i, id)| (vec![F("sites"), I(i)], id.as_str())));
        if tf.sites.is_empty() {
            self.err(&t.path, t.pos(&[F("sites")]), "the tour lists no sites", "list the site ids in `sites`");
        }
        if !tf.sites.contains(&tf.start_site) {
            self.err(
                &t.path,
                t.pos(&[F("start_site")]),
                format!("start site `{}` is not in `sites`", tf.start_site),
                "name one of the listed sites",
            );
        }
        let m = &tf.map;
        self.asset(t, &[F("map"), F("outline")], &m.outline, "map outline", AssetKind::Other);
        self.geo(t, &[F("map"), F("center")], m.center.lat, m.center.lon);
        if !(0.0..=20.0).contains(&m.zoom) {
            self.err(
                &t.path,
                t.pos(&[F("map"), F("zoom")]),
                format!("map zoom {} is outside 0..20", m.zoom),
                "city maps use about 7 to 9",
            );
        }
    }

    fn geo<T>(&mut self, p: &Parsed<T>, path: &[Seg], lat: f64, lon: f64) {
        let mut at = path.to_vec();
        if !(-90.0..=90.0).contains(&lat) {
            at.push(F("lat"));
            self.err(
                &p.path,
                p.pos(&at),
                format!("latitude {lat} is outside -90..90"),
                "write latitude in degrees north, e.g. 42.26",
            );
            at.pop();
        }
        if !(-180.0..=180.0).contains(&lon) {
            at.push(F("lon"));
            self.err(
                &p.path,
                p.pos(&at),
                format!("longitude {lon} is outside -180..180"),
                "write longitude in degrees east, e.g. 118.89",
            );
        }
    }

    fn site(&mut self, tour: &Parsed<TourFile>, sites: &[Parsed<Site>], p: &Parsed<Site>) {
        let s = &p.value;
        let file = p.path.clone();
        let stem = file.file_stem().map(|x| x.to_string_lossy().into_owned()).unwrap_or_default();
        self.id(&file, p.pos(&[F("id")]), "site", &s.id);
        if s.id != stem {
            self.err(
                &file,
                p.pos(&[F("id")]),
                format!("site id `{}` does not match its file name `{stem}.ron`", s.id),
                format!("rename the file to {}.ron or set `id: \"{stem}\"`", s.id),
            );
        }
        self.text(p, &[F("name")], &s.name, "the site name");
        self.text(p, &[F("summary")], &s.summary, "the site summary");
        self.text(p, &[F("education_base"), F("note")], &s.education_base.note, "the education-base note");
        self.text(p, &[F("location"), F("district")], &s.location.district, "the district");
        if tour.value.categories.iter().all(|c| c.id != s.category) {
            let known: Vec<&str> = tour.value.categories.iter().map(|c| c.id.as_str()).collect();
            self.err(
                &file,
                p.pos(&[F("category")]),
                format!("unknown category `{}`", s.category),
                format!("tour.ron defines: {}", known.join(", ")),
            );
        }
        self.geo(p, &[F("location")], s.location.lat, s.location.lon);
        if s.sources.is_empty() {
            self.warn(
                &file,
                p.pos(&[F("sources")]),
                "the site names no sources",
                "say where its facts come from, so curators can verify them",
            );
        }
        for (i, person) in s.people.iter().enumerate() {
            self.id(&file, p.pos(&[F("people"), I(i), F("id")]), "person", &person.id);
            self.text(p, &[F("people"), I(i), F("name")], &person.name, "a person's name");
            self.text(p, &[F("people"), I(i), F("bio")], &person.bio, "a person's biography");
        }
        self.unique(
            p,
            "person",
            s.people.iter().enumerate().map(|(i, x)| (vec![F("people"), I(i), F("id")], x.id.as_str())),
        );

        if s.scenes.is_empty() {
            self.err(&file, p.pos(&[F("scenes")]), "the site has no scenes", "add at least one scene");
        }
        self.unique(
            p,
            "scene",
            s.scenes.iter().enumerate().map(|(i, x)| (vec![F("scenes"), I(i), F("id")], x.id.as_str())),
        );
        if let Some(start) = &s.start_scene
            && s.scene(start).is_none()
        {
            self.err(
                &file,
                p.pos(&[F("start_scene")]),
                format!("start scene `{start}` is not a scene of this site"),
                scene_list(s),
            );
        }
        if let Some(plan) = &s.floor_plan {
            self.asset(
                p,
                &[F("floor_plan"), F("image")],
                &plan.image,
                "floor plan",
                AssetKind::Image { panorama: false, preview: false },
            );
            for (i, pos) in plan.positions.iter().enumerate() {
                let at = |f| vec![F("floor_plan"), F("positions"), I(i), F(f)];
                if s.scene(&pos.scene).is_none() {
                    self.err(
                        &file,
                        p.pos(&at("scene")),
                        format!("floor plan names unknown scene `{}`", pos.scene),
                        scene_list(s),
                    );
                }
                if !yaw_in_range(pos.north) {
                    self.err(
                        &file,
                        p.pos(&at("north")),
                        format!("plan north offset {} is outside -180..180", pos.north),
                        "north is the plan bearing of the panorama's yaw 0, in (-180, 180]",
                    );
                }
                for (v, f) in [(pos.x, "x"), (pos.y, "y")] {
                    if !(0.0..=1.0).contains(&v) {
                        self.err(
                            &file,
                            p.pos(&at(f)),
                            format!("plan position {f} = {v} is outside 0..1"),
                            "positions are fractions of the plan's width and height",
                        );
                    }
                }
            }
            self.unique(
                p,
                "plan position",
                plan.positions
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (vec![F("floor_plan"), F("positions"), I(i), F("scene")], x.scene.as_str())),
            );
        }
        for (i, scene) in s.scenes.iter().enumerate() {
            self.scene(&tour.value.sites, sites, p, i, scene);
        }
        if let Some(route) = &s.route {
            if route.is_empty() {
                self.err(
                    &file,
                    p.pos(&[F("route")]),
                    "the guided-tour route is empty",
                    "list the scenes in the order the tour visits them, or remove `route`",
                );
            }
            for (i, id) in route.iter().enumerate() {
                if s.scene(id).is_none() {
                    self.err(
                        &file,
                        p.pos(&[F("route"), I(i)]),
                        format!("route names unknown scene `{id}`"),
                        scene_list(s),
                    );
                }
            }
            self.unique(
                p,
                "route entry",
                route.iter().enumerate().map(|(i, id)| (vec![F("route"), I(i)], id.as_str())),
            );
        }
    }

    fn scene(&mut self, listed: &[String], sites: &[Parsed<Site>], p: &Parsed<Site>, i: usize, sc: &Scene) {
        let file = p.path.clone();
        let base = [F("scenes"), I(i)];
        let at =
            |rest: &[Seg<'static>]| -> Vec<Seg<'static>> { base.iter().cloned().chain(rest.iter().cloned()).collect() };
        self.id(&file, p.pos(&at(&[F("id")])), "scene", &sc.id);
        self.text(p, &at(&[F("name")]), &sc.name, "the scene name");
        match &sc.description {
            Some(d) => self.text(p, &at(&[F("description")]), d, "the scene description"),
            None => self.warn(
                &file,
                p.pos(&at(&[F("id")])),
                format!("scene `{}` has no description", sc.id),
                "add `description: (zh: \"…\", en: \"…\")` saying what a sighted visitor sees here (the monument, \
                 the inscriptions, the layout): screen readers read it to visitors who cannot see the panorama",
            ),
        }
        match &sc.panorama {
            Panorama::Equirect(path) => self.asset(
                p,
                &at(&[F("panorama"), I(0)]),
                path,
                "panorama",
                AssetKind::Image { panorama: true, preview: false },
            ),
            Panorama::Cube(..) => {
                self.cubes += 1;
                for (k, path) in sc.panorama.assets().into_iter().enumerate() {
                    let kind = AssetKind::Face { cube: self.cubes };
                    self.asset(p, &at(&[F("panorama"), I(k)]), path, "cube face", kind);
                }
            }
            Panorama::Multires { .. } => {
                let Some(m) = sc.panorama.multires() else { return };
                let m = &m;
                let preview = AssetKind::Image { panorama: true, preview: true };
                self.asset(p, &at(&[F("panorama"), F("preview")]), &m.preview, "multires preview", preview);
                let shape = pyramid::shape_problems(m);
                for (field, msg, hint) in &shape {
                    self.err(&file, p.pos(&at(&[F("panorama"), F(field)])), msg.clone(), hint.clone());
                }
                let probe = m.tile_path(1, 'f', 0, 0);
                let escapes =
                    Path::new(&probe).components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
                if escapes {
                    self.err(
                        &file,
                        p.pos(&at(&[F("panorama"), F("path")])),
                        format!("tile path `{}` must be a relative path inside the assets folder", m.path),
                        "write it as `pano/SITE/SCENE/%l/%s%y_%x.jpg`",
                    );
                } else if shape.is_empty() {
                    self.pyramids.push((file.clone(), p.pos(&at(&[F("panorama"), F("path")])), m.clone()));
                }
            }
        }
        if let Some(thumb) = &sc.thumbnail {
            self.asset(
                p,
                &at(&[F("thumbnail")]),
                thumb,
                "thumbnail",
                AssetKind::Image { panorama: false, preview: false },
            );
        }
        self.view(p, &at(&[F("view")]), &sc.view);
        let l = sc.limits;
        let lim = |f: &'static str| at(&[F("limits"), F(f)]);
        for (v, f) in [(l.min_hfov, "min_hfov"), (l.max_hfov, "max_hfov")] {
            if !hfov_in_range(v) {
                self.err(
                    &file,
                    p.pos(&lim(f)),
                    format!("{f} {v} is outside 0..180"),
                    "hfov is the horizontal field of view in degrees",
                );
            }
        }
        for (v, f) in [(l.min_pitch, "min_pitch"), (l.max_pitch, "max_pitch")] {
            if !pitch_in_range(v) {
                self.err(
                    &file,
                    p.pos(&lim(f)),
                    format!("{f} {v} is outside -90..90"),
                    "pitch is degrees above the horizon",
                );
            }
        }
        if l.min_hfov > l.max_hfov {
            self.err(
                &file,
                p.pos(&lim("min_hfov")),
                format!("min_hfov {} is greater than max_hfov {}", l.min_hfov, l.max_hfov),
                "swap them, or lower min_hfov",
            );
        } else if hfov_in_range(sc.view.hfov) && !(l.min_hfov..=l.max_hfov).contains(&sc.view.hfov) {
            self.err(
                &file,
                p.pos(&at(&[F("view"), F("hfov")])),
                format!("initial hfov {} is outside the scene's limits {}..{}", sc.view.hfov, l.min_hfov, l.max_hfov),
                "change the view's hfov or widen `limits`",
            );
        }
        if l.min_pitch > l.max_pitch {
            self.err(
                &file,
                p.pos(&lim("min_pitch")),
                format!("min_pitch {} is greater than max_pitch {}", l.min_pitch, l.max_pitch),
                "swap them",
            );
        } else if pitch_in_range(sc.view.pitch) && !(l.min_pitch..=l.max_pitch).contains(&sc.view.pitch) {
            self.err(
                &file,
                p.pos(&at(&[F("view"), F("pitch")])),
                format!(
                    "initial pitch {} is outside the scene's limits {}..{}",
                    sc.view.pitch, l.min_pitch, l.max_pitch
                ),
                "change the view's pitch or widen `limits`",
            );
        }
        if let Some(n) = &sc.narration {
            self.narration(p, &at(&[F("narration")]), n);
            for (c, cue) in n.cues.iter().enumerate() {
                if let Some(h) = &cue.hotspot
                    && sc.hotspots.iter().all(|x| &x.id != h)
                {
                    let ids: Vec<&str> = sc.hotspots.iter().map(|x| x.id.as_str()).collect();
                    self.err(
                        &file,
                        p.pos(&at(&[F("narration"), F("cues"), I(c), F("hotspot")])),
                        format!("cue names unknown hotspot `{h}`"),
                        format!("the scene's hotspots are: {}", ids.join(", ")),
                    );
                }
            }
        }
        self.unique(
            p,
            "hotspot",
            sc.hotspots.iter().enumerate().map(|(h, x)| (at(&[F("hotspots"), I(h), F("id")]), x.id.as_str())),
        );
        let site = &p.value;
        for (h, hs) in sc.hotspots.iter().enumerate() {
            let hp = |rest: &[Seg<'static>]| -> Vec<Seg<'static>> {
                at(&[F("hotspots"), I(h)]).into_iter().chain(rest.iter().cloned()).collect()
            };
            self.id(&file, p.pos(&hp(&[F("id")])), "hotspot", &hs.id);
            self.angles(p, &hp(&[]), hs.yaw, hs.pitch);
            if let Some(d) = &hs.description {
                self.text(p, &hp(&[F("description")]), d, "the hotspot description");
            }
            match &hs.kind {
                HotspotKind::Go { scene, site: target_site, view } => {
                    let target = match target_site {
                        Some(id) => match sites.iter().find(|x| &x.value.id == id) {
                            Some(t) => Some(&t.value),
                            // A listed site whose file did not parse is reported there.
                            None if listed.contains(id) => None,
                            None => {
                                self.err(
                                    &file,
                                    p.pos(&hp(&[F("kind"), F("site")])),
                                    format!("Go target site `{id}` does not exist"),
                                    "name a site listed in tour.ron",
                                );
                                None
                            }
                        },
                        None => Some(site),
                    };
                    if let Some(t) = target {
                        if t.scene(scene).is_none() {
                            self.err(
                                &file,
                                p.pos(&hp(&[F("kind"), F("scene")])),
                                format!("Go target scene `{scene}` does not exist in site `{}`", t.id),
                                scene_list(t),
                            );
                        } else if t.id == site.id && *scene == sc.id {
                            self.err(
                                &file,
                                p.pos(&hp(&[F("kind"), F("scene")])),
                                "this Go hotspot leads to its own scene",
                                "point it at another scene",
                            );
                        }
                    }
                    if let Some(view) = view {
                        self.view(p, &hp(&[F("kind"), F("view")]), view);
                    }
                }
                HotspotKind::Info { title, body, image, audio } => {
                    self.text(p, &hp(&[F("kind"), F("title")]), title, "an Info title");
                    self.text(p, &hp(&[F("kind"), F("body")]), body, "an Info body");
                    if let Some(img) = image {
                        self.asset(
                            p,
                            &hp(&[F("kind"), F("image")]),
                            img,
                            "info image",
                            AssetKind::Image { panorama: false, preview: false },
                        );
                    }
                    if let Some(clip) = audio {
                        self.narration(p, &hp(&[F("kind"), F("audio")]), clip);
                    }
                }
                HotspotKind::Memorial(MemorialTarget::Person(id)) => {
                    if site.person(id).is_none() {
                        let known: Vec<&str> = site.people.iter().map(|x| x.id.as_str()).collect();
                        let hint = if known.is_empty() {
                            "the site lists no `people`; add the person there, or use Memorial(Site)".to_string()
                        } else {
                            format!("the site's people are: {}", known.join(", "))
                        };
                        self.err(
                            &file,
                            p.pos(&hp(&[F("kind"), I(0), I(0)])),
                            format!("Memorial names unknown person `{id}`"),
                            hint,
                        );
                    }
                }
                HotspotKind::Memorial(MemorialTarget::Site) => {}
                HotspotKind::Link { url, title } => {
                    self.text(p, &hp(&[F("kind"), F("title")]), title, "a Link title");
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        self.err(
                            &file,
                            p.pos(&hp(&[F("kind"), F("url")])),
                            format!("link `{url}` is not an http(s) URL"),
                            "write the full address, starting with https://",
                        );
                    }
                }
            }
        }
    }

    fn angles<T>(&mut self, p: &Parsed<T>, base: &[Seg], yaw: f64, pitch: f64) {
        let mut at = base.to_vec();
        if !yaw_in_range(yaw) {
            at.push(F("yaw"));
            self.err(
                &p.path,
                p.pos(&at),
                format!("yaw {yaw} is outside -180..180"),
                "yaw is degrees right of the panorama's centre, in (-180, 180]",
            );
            at.pop();
        }
        if !pitch_in_range(pitch) {
            at.push(F("pitch"));
            self.err(
                &p.path,
                p.pos(&at),
                format!("pitch {pitch} is outside -90..90"),
                "pitch is degrees above the horizon, in [-90, 90]",
            );
        }
    }

    fn view<T>(&mut self, p: &Parsed<T>, base: &[Seg], view: &View) {
        self.angles(p, base, view.yaw, view.pitch);
        if !hfov_in_range(view.hfov) {
            let mut at = base.to_vec();
            at.push(F("hfov"));
            self.err(
                &p.path,
                p.pos(&at),
                format!("hfov {} is outside 0..180", view.hfov),
                "hfov is the horizontal field of view in degrees, usually 60 to 120",
            );
        }
    }

    fn narration<T>(&mut self, p: &Parsed<T>, base: &[Seg], n: &Narration) {
        let at = |rest: &[Seg<'static>]| -> Vec<Seg> { base.iter().cloned().chain(rest.iter().cloned()).collect() };
        let duration_pos = p.pos(&at(&[F("duration")]));
        if n.duration <= 0.0 {
            self.err(
                &p.path,
                duration_pos,
                format!("narration duration {} is not positive", n.duration),
                "give the audio's length in seconds",
            );
        }
        self.asset(
            p,
            &at(&[F("audio")]),
            &n.audio,
            "narration audio",
            AssetKind::Audio { declared: n.duration, declared_pos: duration_pos },
        );
        let mut prev: Option<&Cue> = None;
        for (i, cue) in n.cues.iter().enumerate() {
            let cp = |f: &'static str| at(&[F("cues"), I(i), F(f)]);
            self.text(p, &at(&[F("cues"), I(i), F("text")]), &cue.text, "a subtitle cue");
            if cue.start < 0.0 {
                self.err(
                    &p.path,
                    p.pos(&cp("start")),
                    format!("cue starts at {} s, before the audio", cue.start),
                    "cue times are seconds from the start of the audio",
                );
            }
            if cue.end <= cue.start {
                self.err(
                    &p.path,
                    p.pos(&cp("end")),
                    format!("cue ends at {} s, not after its start {} s", cue.end, cue.start),
                    "a cue's end must come after its start",
                );
            }
            if let Some(prev) = prev {
                if cue.start < prev.start {
                    self.err(
                        &p.path,
                        p.pos(&cp("start")),
                        format!(
                            "cue at {} s comes after the cue at {} s: cues are out of order",
                            cue.start, prev.start
                        ),
                        "list cues in the order they are spoken",
                    );
                } else if cue.start < prev.end {
                    self.err(
                        &p.path,
                        p.pos(&cp("start")),
                        format!(
                            "cue starting at {} s overlaps the previous cue, which ends at {} s",
                            cue.start, prev.end
                        ),
                        "end the previous cue before this one starts",
                    );
                }
            }
            if n.duration > 0.0 && cue.end > n.duration + 1e-6 {
                self.err(
                    &p.path,
                    p.pos(&cp("end")),
                    format!("cue ends at {} s, past the end of the audio ({} s)", cue.end, n.duration),
                    "shorten the cue, or check the narration's duration",
                );
            }
            prev = Some(cue);
        }
    }

    /// Pins outside the city outline are almost always a slip in the coordinates.
    fn inside_outline(&mut self, tour: &Parsed<TourFile>, sites: &[Parsed<Site>], assets_dir: &Path) {
        let path = assets_dir.join(&tour.value.map.outline);
        let Ok(src) = std::fs::read_to_string(&path) else { return };
        let rings = match crate::map::outline_rings(&src) {
            Ok(r) => r,
            Err(e) => {
                self.err(
                    &tour.path,
                    tour.pos(&[F("map"), F("outline")]),
                    format!("map outline `{}` is unusable: {e}", tour.value.map.outline),
                    "give a GeoJSON Polygon or MultiPolygon in longitude, latitude",
                );
                return;
            }
        };
        for p in sites {
            let l = &p.value.location;
            if !crate::map::contains(&rings, l.lon, l.lat) {
                self.warn(
                    &p.path,
                    p.pos(&[F("location")]),
                    format!("location {}, {} lies outside the map outline", l.lat, l.lon),
                    "check the latitude and longitude (degrees north, degrees east)",
                );
            }
        }
    }

    /// Every scene but a site's start scene should be the target of some Go hotspot.
    fn reachability(&mut self, sites: &[Parsed<Site>]) {
        let mut reached: HashSet<(&str, &str)> = HashSet::new();
        for p in sites {
            for sc in &p.value.scenes {
                for hs in &sc.hotspots {
                    if let HotspotKind::Go { scene, site, .. } = &hs.kind {
                        reached.insert((site.as_deref().unwrap_or(&p.value.id), scene));
                    }
                }
            }
        }
        for p in sites {
            let start = p.value.start_scene_id();
            for (i, sc) in p.value.scenes.iter().enumerate() {
                if Some(sc.id.as_str()) != start && !reached.contains(&(p.value.id.as_str(), sc.id.as_str())) {
                    self.warn(
                        &p.path,
                        p.pos(&[F("scenes"), I(i), F("id")]),
                        format!("no hotspot leads to scene `{}`", sc.id),
                        "add a Go hotspot to it from another scene, or visitors will only find it in the scene strip",
                    );
                }
            }
        }
    }
}

fn scene_list(site: &Site) -> String {
    let ids: Vec<&str> = site.scenes.iter().map(|s| s.id.as_str()).collect();
    format!("scenes of `{}`: {}", site.id, ids.join(", "))
}

fn is_hex_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// What probing one asset file found.
#[derive(Clone)]
enum Probe {
    Missing,
    Image(Result<(u32, u32), String>),
    Audio(Result<f64, String>),
    Present,
}

fn check_assets(uses: Vec<AssetUse>, dir: &Path, check: AssetCheck, diags: &mut Vec<Diagnostic>) {
    // Probe each distinct file once, spread over the cores: full decoding is the slow part of a check.
    let mut jobs: Vec<(String, u8)> = uses.iter().map(|u| (u.asset.clone(), kind_tag(&u.kind))).collect();
    jobs.sort();
    jobs.dedup();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(jobs.len().max(1));
    let chunk = jobs.len().div_ceil(threads).max(1);
    let results: HashMap<(String, u8), Probe> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(asset, tag)| ((asset.clone(), *tag), probe(&dir.join(asset), *tag, check)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    // Cube faces: square, and one size per cube.
    let mut cube_sizes: HashMap<usize, (u32, u32)> = HashMap::new();
    for u in &uses {
        if let (AssetKind::Face { cube }, Some(Probe::Image(Ok(dims)))) =
            (&u.kind, results.get(&(u.asset.clone(), kind_tag(&u.kind))))
        {
            cube_sizes.entry(*cube).or_insert(*dims);
        }
    }
    for u in uses {
        let file_path = dir.join(&u.asset);
        let Some(result) = results.get(&(u.asset.clone(), kind_tag(&u.kind))) else { continue };
        match (result, &u.kind) {
            (Probe::Missing, _) => diags.push(
                Diagnostic::error(&u.file, u.pos, format!("{} `{}` not found", u.what, u.asset))
                    .hint(format!("looked for {}; asset paths are relative to the assets folder", file_path.display())),
            ),
            (Probe::Image(Err(e)), _) | (Probe::Audio(Err(e)), _) => diags.push(
                Diagnostic::error(&u.file, u.pos, format!("{} `{}` is unreadable: {e}", u.what, u.asset))
                    .hint("re-export the file; panoramas and images are JPEG or PNG, audio is Ogg Vorbis"),
            ),
            (Probe::Image(Ok((w, h))), AssetKind::Image { panorama: true, .. }) if *w != 2 * *h => diags.push(
                Diagnostic::error(&u.file, u.pos, format!("panorama `{}` is {w}x{h}, not 2:1", u.asset))
                    .hint("an equirectangular panorama covers 360° by 180°: its width must be twice its height"),
            ),
            (Probe::Image(Ok((w, h))), AssetKind::Image { panorama: true, preview: false })
                if *w < SHARP_PANORAMA_WIDTH =>
            {
                diags.push(
                    Diagnostic::warning(
                        &u.file,
                        u.pos,
                        format!("panorama `{}` is only {w}x{h}: it will look blurred", u.asset),
                    )
                    .hint(format!(
                        "a visitor's view of 75° shows a fifth of the width across a whole screen; export at least \
                     {SHARP_PANORAMA_WIDTH}x{} (8000x4000 or more looks sharp, and `cloudhall tiles` keeps it fast)",
                        SHARP_PANORAMA_WIDTH / 2
                    )),
                )
            }
            (Probe::Image(Ok((w, h))), AssetKind::Face { .. }) if w != h => diags.push(
                Diagnostic::error(&u.file, u.pos, format!("cube face `{}` is {w}x{h}, not square", u.asset))
                    .hint("each of the six faces covers 90° by 90°: its width must equal its height"),
            ),
            (Probe::Image(Ok(dims)), AssetKind::Face { cube })
                if cube_sizes.get(cube).is_some_and(|first| first != dims) =>
            {
                let first = cube_sizes[cube];
                diags.push(
                    Diagnostic::error(
                        &u.file,
                        u.pos,
                        format!(
                            "cube face `{}` is {}x{}, but the first face is {}x{}",
                            u.asset, dims.0, dims.1, first.0, first.1
                        ),
                    )
                    .hint("the six faces of a cube must have one size"),
                )
            }
            (Probe::Audio(Ok(actual)), AssetKind::Audio { declared, declared_pos })
                if (actual - declared).abs() > DURATION_TOLERANCE =>
            {
                diags.push(
                    Diagnostic::error(
                        &u.file,
                        *declared_pos,
                        format!(
                            "narration duration {declared} s disagrees with `{}`, which lasts {actual:.2} s",
                            u.asset
                        ),
                    )
                    .hint(format!("set `duration: {actual:.2}`")),
                )
            }
            _ => {}
        }
    }
}

/// Below this width a panorama is visibly soft on any screen; curators are told so.
const SHARP_PANORAMA_WIDTH: u32 = 2048;

fn kind_tag(kind: &AssetKind) -> u8 {
    match kind {
        AssetKind::Image { .. } | AssetKind::Face { .. } => 0,
        AssetKind::Audio { .. } => 1,
        AssetKind::Other => 2,
    }
}

fn probe(path: &Path, tag: u8, check: AssetCheck) -> Probe {
    if !path.is_file() {
        return Probe::Missing;
    }
    match tag {
        0 => Probe::Image(assets::probe_image(path, check)),
        1 => Probe::Audio(assets::probe_ogg(path, check)),
        _ => Probe::Present,
    }
}
