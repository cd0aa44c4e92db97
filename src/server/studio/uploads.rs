//! Uploads: a panorama (checked at once, tiled in the background), narration (converted to Ogg
//! Vorbis and analysed), a floor plan. Each is stored whole in `DATA/studio/uploads/` first, and
//! refused there when it passes the server's limit; only finished results go into the assets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as SyncMutex};

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use super::{Curator, StudioState, blocking, now};
use crate::api::studio as api;
use crate::server::{ApiError, AppState, bad, internal};

/// A tiling job, as its thread updates it.
pub(super) struct JobCell {
    done: AtomicU64,
    total: u64,
    outcome: SyncMutex<Option<Result<crate::tour::Panorama, String>>>,
}

/// The panorama jobs of this server, by id.
pub(super) type Jobs = SyncMutex<HashMap<String, Arc<JobCell>>>;

#[derive(Deserialize)]
struct UploadQuery {
    site: String,
    #[serde(default)]
    scene: Option<String>,
    /// The file's own name, for messages.
    #[serde(default)]
    name: Option<String>,
}

/// An upload from a curator: who sent it, `?site=&scene=&name=`, and the body, stored whole.
/// The query is checked before a byte is stored.
pub(super) struct Upload {
    c: Curator,
    q: UploadQuery,
    stored: PathBuf,
}

impl Upload {
    /// The scene it is for, which panoramas and narration need.
    fn scene(&self) -> Result<String, ApiError> {
        let scene = self.q.scene.clone().unwrap_or_default();
        if scene.is_empty() {
            let _ = std::fs::remove_file(&self.stored);
            return Err(bad("give ?scene=ID: the scene this file is for"));
        }
        Ok(scene)
    }
}

impl FromRequest<Arc<AppState>> for Upload {
    type Rejection = ApiError;
    async fn from_request(req: Request, s: &Arc<AppState>) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let c = Curator::from_request_parts(&mut parts, s).await?;
        let Query(q) = Query::<UploadQuery>::try_from_uri(&parts.uri).map_err(|e| bad(e.body_text()))?;
        let ok = |id: &str| crate::tour::validate::is_kebab(id);
        if !ok(&q.site) || q.scene.as_deref().is_some_and(|id| !ok(id)) {
            return Err(bad("give ?site=ID (and ?scene=ID) as lowercase letters, digits and dashes"));
        }
        let stored = receive(&c.studio, &parts.headers, body).await?;
        Ok(Upload { c, q, stored })
    }
}

/// A random hex id for an upload.
fn upload_id() -> String {
    crate::server::live::random_hex(6)
}

/// Store a request's body in `DATA/studio/uploads/`, refusing it (and keeping nothing) when it
/// is over the limit: at once when its length says so, else as soon as it passes it.
async fn receive(st: &StudioState, headers: &HeaderMap, body: Body) -> Result<PathBuf, ApiError> {
    let limit = st.upload_limit;
    let too_big = || {
        ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the file is over this server's upload limit of {} MB; make it smaller first", megabytes(limit)),
        )
    };
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n > limit) {
        return Err(too_big());
    }
    let dir = st.studio.hall.studio_dir.join("uploads");
    tokio::fs::create_dir_all(&dir).await.map_err(|e| internal(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(format!("{}.upload", upload_id()));
    let mut file =
        tokio::fs::File::create(&path).await.map_err(|e| internal(format!("cannot store the upload: {e}")))?;
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    let outcome: Result<(), ApiError> = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| bad(format!("the upload was cut off: {e}")))?;
            total += chunk.len() as u64;
            if total > limit {
                return Err(too_big());
            }
            file.write_all(&chunk).await.map_err(|e| internal(format!("cannot store the upload: {e}")))?;
        }
        file.flush().await.map_err(|e| internal(format!("cannot store the upload: {e}")))?;
        if total == 0 {
            return Err(bad("the upload is empty"));
        }
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        drop(file);
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    Ok(path)
}

/// A size in MB as people read it: `256`, `0.1`.
fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb >= 10.0 { format!("{mb:.0}") } else { format!("{mb:.1}") }
}

/// A tiler's message about the stored upload, naming the curator's file instead.
fn as_theirs(message: &str, stored: &Path, name: Option<&str>) -> String {
    message.replace(&stored.display().to_string(), name.unwrap_or("the image"))
}

/// `POST /api/v1/studio/panorama?site=&scene=&name=`: the image is checked at once (the same
/// refusals as `cloudhall tiles`), then tiled in the background into a new folder of the assets;
/// the answer is the job to follow.
pub(super) async fn upload_panorama(State(s): State<Arc<AppState>>, u: Upload) -> Result<Response, ApiError> {
    let scene = u.scene()?;
    let Upload { c, q, stored } = u;
    let name = q.name.clone();
    let check_path = stored.clone();
    let checked = blocking(move || crate::tiles::check_input(&check_path)).await?;
    let (w, _) = match checked {
        Ok(size) => size,
        Err(e) => {
            let _ = tokio::fs::remove_file(&stored).await;
            return Err(ApiError(StatusCode::UNPROCESSABLE_ENTITY, as_theirs(&e, &stored, name.as_deref())));
        }
    };
    let opts = crate::tiles::Options::default();
    let (face, levels) = crate::tiles::plan(w, opts.tile);
    let id = upload_id();
    let prefix = format!("pano/studio/{}/{scene}-{id}", q.site);
    let out = s.assets_dir.join(&prefix);
    let cell = Arc::new(JobCell {
        done: AtomicU64::new(0),
        total: crate::tiles::tile_count(face, levels, opts.tile),
        outcome: SyncMutex::new(None),
    });
    c.studio.jobs.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), cell.clone());
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let site = q.site.clone();
    tokio::task::spawn_blocking(move || {
        let progress = |n: u64| cell.done.store(n, Ordering::Relaxed);
        let made = crate::tiles::make(&stored, &out, opts, &progress)
            .map(|sum| {
                crate::tour::Panorama::from(crate::tiles::multires(&prefix, sum.face_size, sum.levels, sum.tile_size))
            })
            .map_err(|e| as_theirs(&e, &stored, name.as_deref()));
        let _ = std::fs::remove_file(&stored);
        match &made {
            Ok(_) => studio.log.add(&by, now(), "uploaded", &site, &format!("panorama for {scene}: {prefix}")),
            Err(e) => tracing::warn!("studio: tiling for {site}/{scene} failed: {e}"),
        }
        *cell.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(made);
    });
    Ok((StatusCode::ACCEPTED, Json(api::JobStarted { job: id })).into_response())
}

pub(super) async fn job(c: Curator, UrlPath(id): UrlPath<String>) -> Result<Json<api::Job>, ApiError> {
    let cell = c.studio.jobs.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned();
    let cell = cell.ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("there is no job `{id}` on this server")))?;
    let outcome = cell.outcome.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let (state, error, panorama) = match outcome {
        None => (api::JobState::Running, None, None),
        Some(Ok(p)) => (api::JobState::Done, None, Some(p)),
        Some(Err(e)) => (api::JobState::Failed, Some(e), None),
    };
    Ok(Json(api::Job { id, state, done: cell.done.load(Ordering::Relaxed), total: cell.total, error, panorama }))
}

/// `POST /api/v1/studio/audio?site=&scene=`: any common audio format (or the page's recording),
/// converted to the Ogg Vorbis the hall plays, with its pauses and waveform.
pub(super) async fn upload_audio(State(s): State<Arc<AppState>>, u: Upload) -> Result<Json<api::Audio>, ApiError> {
    let scene = u.scene()?;
    let Upload { c, q, stored } = u;
    let rel = format!("audio/studio/{}/{scene}-{}.ogg", q.site, upload_id());
    let out = s.assets_dir.join(&rel);
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let site = q.site.clone();
    let rel2 = rel.clone();
    let made = blocking(move || -> Result<crate::studio::audio::Analysis, String> {
        let dir = out.parent().ok_or("no folder")?;
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        // Converted beside its place, then moved in whole.
        let tmp = dir.join(format!(
            ".{}.partial",
            out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        ));
        let result = crate::studio::audio::convert(&stored, &tmp).and_then(|_| crate::studio::audio::analyse(&tmp));
        let _ = std::fs::remove_file(&stored);
        match result {
            Ok(a) => {
                std::fs::rename(&tmp, &out).map_err(|e| format!("cannot store the audio: {e}"))?;
                studio.log.add(&by, now(), "uploaded", &site, &format!("narration {rel2}"));
                Ok(a)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    })
    .await?
    .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    Ok(Json(api::Audio { audio: rel, duration: made.duration, speech: made.speech, peaks: made.peaks }))
}

/// `POST /api/v1/studio/plan?site=`: a floor plan image (JPEG or PNG), decoded to be sure.
pub(super) async fn upload_plan(State(s): State<Arc<AppState>>, u: Upload) -> Result<Json<api::Plan>, ApiError> {
    let Upload { c, q, stored } = u;
    let assets = s.assets_dir.clone();
    let site = q.site.clone();
    let name = q.name.clone();
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let made = blocking(move || -> Result<api::Plan, String> {
        let result = (|| {
            let reader = image::ImageReader::open(&stored)
                .and_then(|r| r.with_guessed_format())
                .map_err(|e| format!("cannot read the plan: {e}"))?;
            let ext = match reader.format() {
                Some(image::ImageFormat::Jpeg) => "jpg",
                Some(image::ImageFormat::Png) => "png",
                _ => return Err("the plan is not a JPEG or PNG image".to_string()),
            };
            let img = reader.decode().map_err(|e| format!("the plan is corrupt: {}", e.to_string().trim()))?;
            let rel = format!("plans/studio/{site}-{}.{ext}", upload_id());
            let out = assets.join(&rel);
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            crate::studio::drafts::write_atomic(&out, &std::fs::read(&stored).map_err(|e| e.to_string())?)?;
            studio.log.add(&by, now(), "uploaded", &site, &format!("floor plan {rel}"));
            Ok(api::Plan { image: rel, width: img.width(), height: img.height() })
        })();
        let _ = std::fs::remove_file(&stored);
        result.map_err(|e| as_theirs(&e, &stored, name.as_deref()))
    })
    .await?
    .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    Ok(Json(made))
}
