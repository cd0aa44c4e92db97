//! Sites, drafts, publishing and versions: each handler parses, calls [`crate::studio`] on a
//! blocking thread (it reads and writes files), and answers.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Curator, blocking, now};
use crate::api::studio as api;
use crate::server::{ApiError, AppState, bad, body, check_write, internal};
use crate::studio::NotPublished;
use crate::studio::drafts::{Draft, Refusal};
use crate::studio::publish::Step;

/// The published sites and the drafts, for the page's list.
pub(super) async fn sites(c: Curator, State(s): State<Arc<AppState>>) -> Result<Json<api::Sites>, ApiError> {
    let studio = c.studio.studio.clone();
    let drafts = blocking(move || studio.drafts.all()).await?.map_err(internal)?;
    let published = s.tour();
    let info = |d: &Draft| api::DraftInfo { rev: d.rev, by: d.by.clone(), at: d.at };
    let mut sites: Vec<api::SiteEntry> = published
        .tour
        .sites
        .iter()
        .map(|site| api::SiteEntry {
            id: site.id.clone(),
            name: site.name.clone(),
            published: true,
            draft: drafts.iter().find(|d| d.site.id == site.id).map(info),
        })
        .collect();
    for d in drafts.iter().filter(|d| published.tour.site(&d.site.id).is_none()) {
        sites.push(api::SiteEntry {
            id: d.site.id.clone(),
            name: d.site.name.clone(),
            published: false,
            draft: Some(info(d)),
        });
    }
    Ok(Json(api::Sites { sites, categories: published.tour.categories.clone(), map: published.tour.map.clone() }))
}

/// A site to edit (its draft, else the published site), with what the check says of it.
pub(super) async fn site(c: Curator, UrlPath(id): UrlPath<String>) -> Result<Json<api::SiteAnswer>, ApiError> {
    let studio = c.studio.studio.clone();
    let found = blocking(move || -> Result<Option<api::SiteAnswer>, String> {
        let Some(editing) = studio.editing(&id)? else { return Ok(None) };
        let draft = Draft { site: editing.site.clone(), rev: editing.rev, base: None, by: String::new(), at: 0 };
        let checked = studio.check(&draft)?;
        Ok(Some(api::SiteAnswer { editing, check: checked }))
    })
    .await?
    .map_err(internal)?;
    match found {
        Some(v) => Ok(Json(v)),
        None => Err(ApiError(StatusCode::NOT_FOUND, "there is no such site, published or drafted".into())),
    }
}

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::Bad(reason) => bad(reason),
        Refusal::Conflict { .. } => ApiError(StatusCode::CONFLICT, "conflict".into()),
    }
}

/// A 409 that says who changed what.
fn conflict(reason: String, by: String, at: u64, changed: Vec<String>, rev: Option<u64>) -> Response {
    (StatusCode::CONFLICT, Json(api::Conflict { error: reason, by, at, changed, rev })).into_response()
}

pub(super) async fn create_site(
    c: Curator,
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    raw: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    check_write(&headers)?;
    let api::NewSite { site } = body(raw)?;
    if s.tour().tour.site(&site.id).is_some() {
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!("a site `{}` is already in the hall; choose another id", site.id),
        ));
    }
    let _w = c.studio.writing.lock().await;
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let id = site.id.clone();
    let saved = blocking(move || {
        if studio.drafts.get(&id).ok().flatten().is_some() {
            return Err(Refusal::Bad(format!("a draft of a site `{id}` exists already; open it from the list")));
        }
        studio.save(site, 0, &by, now())
    })
    .await?;
    match saved {
        Ok(d) => Ok((StatusCode::CREATED, Json(api::Created { rev: d.rev, site: d.site.id })).into_response()),
        Err(r) => Err(refusal(r)),
    }
}

pub(super) async fn save(
    c: Curator,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    raw: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    check_write(&headers)?;
    let api::SaveDraft { rev, site } = body(raw)?;
    if site.id != id {
        return Err(bad(format!("the body is site `{}`, the address names `{id}`", site.id)));
    }
    let _w = c.studio.writing.lock().await;
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let saved = blocking(move || {
        let d = studio.save(site, rev, &by, now())?;
        let checked = studio.check(&d).map_err(Refusal::Bad)?;
        Ok::<_, Refusal>((d, checked))
    })
    .await?;
    match saved {
        Ok((d, check)) => Ok(Json(api::Saved { rev: d.rev, by: d.by, at: d.at, check }).into_response()),
        Err(Refusal::Conflict { by, at, rev, changed }) => Ok(conflict(
            format!(
                "{by} saved this site while you were editing it; what differs from yours: {}. Reload to see their version, then make your change again",
                changed.join("; ")
            ),
            by,
            at,
            changed,
            Some(rev),
        )),
        Err(r) => Err(refusal(r)),
    }
}

#[derive(Deserialize)]
pub(super) struct RevQuery {
    rev: u64,
}

pub(super) async fn discard(
    c: Curator,
    UrlPath(id): UrlPath<String>,
    q: Result<Query<RevQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| bad(e.body_text()))?;
    let _w = c.studio.writing.lock().await;
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    blocking(move || -> Result<(), ApiError> {
        let _lock = studio.writer().map_err(internal)?;
        match studio.drafts.get(&id).map_err(internal)? {
            Some(d) if d.rev == q.rev => {
                studio.drafts.remove(&id).map_err(internal)?;
                studio.log.add(&by, now(), "discarded", &id, &format!("revision {}", d.rev));
                Ok(())
            }
            Some(d) => Err(ApiError(
                StatusCode::CONFLICT,
                format!("{} saved revision {} since; reload before discarding", d.by, d.rev),
            )),
            None => Err(ApiError(StatusCode::NOT_FOUND, format!("there is no draft of `{id}`"))),
        }
    })
    .await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A test's way to stop the server mid-publish (`CLOUDHALL_STUDIO_KILL_AT=staged|first-file`):
/// the process dies there as it would if killed.
fn kill_at(step: Step) {
    let wanted = std::env::var("CLOUDHALL_STUDIO_KILL_AT").unwrap_or_default();
    let here = match step {
        Step::Staged => "staged",
        Step::FirstFileReplaced => "first-file",
    };
    if wanted == here {
        eprintln!("studio: stopping at `{here}` as CLOUDHALL_STUDIO_KILL_AT asks");
        std::process::abort();
    }
}

fn not_published(e: NotPublished) -> Response {
    match e {
        NotPublished::Conflict { by, at, changed, reason } => conflict(reason, by, at, changed, None),
        NotPublished::Invalid(checked) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(api::Refused {
                error: format!(
                    "publishing is refused while the check finds {} error(s); they are listed beside their fields",
                    checked.errors
                ),
                check: checked,
            }),
        )
            .into_response(),
        NotPublished::Bad(reason) => bad(reason).into_response(),
    }
}

/// Load the tour the files now hold and serve it.
pub(super) async fn reload(s: &AppState, tour_dir: PathBuf) -> Result<(), ApiError> {
    let tour = blocking(move || crate::tour::load(&tour_dir).into_result()).await?.map_err(|d| {
        internal(format!(
            "the tour does not load after publishing: {}",
            d.first().map(|d| d.to_string()).unwrap_or_default()
        ))
    })?;
    s.replace_tour(tour);
    Ok(())
}

pub(super) async fn publish(
    c: Curator,
    State(s): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    raw: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    check_write(&headers)?;
    let api::Publish { rev } = body(raw)?;
    let _w = c.studio.writing.lock().await;
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let site = id.clone();
    let done = blocking(move || studio.publish(&site, rev, &by, now(), &kill_at)).await?;
    match done {
        Ok((version, checked)) => {
            reload(&s, c.studio.studio.hall.tour_dir.clone()).await?;
            tracing::info!("studio: {} published {id} as version {}", c.name, version.n);
            let warnings: Vec<_> =
                checked.items.into_iter().filter(|i| !matches!(i.severity, crate::tour::Severity::Error)).collect();
            Ok(Json(api::Published { version, warnings }).into_response())
        }
        Err(e) => Ok(not_published(e)),
    }
}

pub(super) async fn versions(c: Curator) -> Result<Json<api::Versions>, ApiError> {
    let studio = c.studio.studio.clone();
    let versions = blocking(move || studio.hall.versions()).await?.map_err(internal)?;
    Ok(Json(api::Versions { versions }))
}

pub(super) async fn restore(
    c: Curator,
    State(s): State<Arc<AppState>>,
    UrlPath(n): UrlPath<u64>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_write(&headers)?;
    let _w = c.studio.writing.lock().await;
    let studio = c.studio.studio.clone();
    let by = c.name.clone();
    let done = blocking(move || studio.restore(n, &by, now(), &kill_at)).await?;
    match done {
        Ok(version) => {
            reload(&s, c.studio.studio.hall.tour_dir.clone()).await?;
            tracing::info!("studio: {} restored version {n} as version {}", c.name, version.n);
            Ok(Json(api::Restored { version }).into_response())
        }
        Err(e) => Ok(not_published(e)),
    }
}

pub(super) async fn log(c: Curator) -> Result<Json<api::Log>, ApiError> {
    let studio = c.studio.studio.clone();
    let log = blocking(move || studio.log.recent(200)).await?;
    Ok(Json(api::Log { log }))
}

pub(super) async fn timing(
    _c: Curator,
    headers: HeaderMap,
    raw: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<api::Times>, ApiError> {
    check_write(&headers)?;
    let t: api::Timing = body(raw)?;
    if t.lines > 500 || !t.duration.is_finite() || t.duration < 0.0 {
        return Err(bad("give 0 to 500 lines and the audio's duration in seconds"));
    }
    Ok(Json(api::Times { times: crate::studio::audio::time_lines(t.lines, &t.speech, t.duration) }))
}
