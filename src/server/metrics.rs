//! `/metrics` for Prometheus, from the `metrics` facade and its Prometheus exporter: request
//! latency histograms per route and method, answers by status class, and the offerings' group
//! commit batch sizes, beside the server's own counters.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Request latency buckets, seconds: from a cached answer to a slow database.
const LATENCY: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];
/// Offerings committed together.
const BATCH: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// The process's recorder (one for every server in the process, as the facade has one).
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full("cloudhall_http_request_duration_seconds".into()), LATENCY)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full("cloudhall_offering_batch_size".into()), BATCH))
                .map_err(|e| e.to_string())
                .and_then(|b| b.install_recorder().map_err(|e| e.to_string()));
            built.map_err(|e| tracing::warn!("no Prometheus histograms: {e}")).ok()
        })
        .as_ref()
}

/// Time every routed request, by the route's pattern (not the path: no unbounded labels).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "other".to_string(), |p| p.as_str().to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = format!("{}xx", res.status().as_u16() / 100);
    metrics::histogram!("cloudhall_http_request_duration_seconds", "route" => route.clone(), "method" => method.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("cloudhall_http_responses_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    res
}

/// A group commit of `n` offerings.
pub fn batch(n: usize) {
    metrics::histogram!("cloudhall_offering_batch_size").record(n as f64);
}

/// What the exporter has, in Prometheus' text format.
pub fn render() -> String {
    handle().map(PrometheusHandle::render).unwrap_or_default()
}
