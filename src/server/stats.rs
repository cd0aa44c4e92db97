//! The statistics for the hall's staff: `/stats.html` (server-rendered, no JavaScript: totals,
//! SVG bar charts drawn with plotters, and the numbers behind each chart), `/api/v1/stats.csv`,
//! and the visit counter visitors see.
//!
//! Nothing here scans the visits: the store keeps visits counted by day and site as they are
//! written ([`super::store::Store::stats`] reads those few thousand rows), and the finished page,
//! CSV and JSON are kept for [`FRESH`] so a burst of readers costs one query.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plotters::prelude::*;

use super::store::Stats;
use crate::api::thousands;
use crate::tour::Tour;

/// How long a computed set of statistics is served before it is read again.
pub const FRESH: Duration = Duration::from_secs(2);

/// The colour of the bars (the hall's red): tests find the bars by it.
pub const BAR: RGBColor = RGBColor(160, 30, 30);

/// Statistics with their page and CSV, as served.
pub struct Rendered {
    pub at: Instant,
    pub stats: Stats,
    pub json: bytes::Bytes,
    pub page: bytes::Bytes,
    pub csv: bytes::Bytes,
}

impl Rendered {
    pub fn new(stats: Stats, tour: &Tour, zone: &str) -> Arc<Rendered> {
        Arc::new(Rendered {
            at: Instant::now(),
            json: serde_json::to_vec(&stats).unwrap_or_default().into(),
            page: page(&stats, tour, zone).into(),
            csv: csv(&stats, tour).into(),
            stats,
        })
    }
}

/// One chart: its id (for the page and the CSV), its title, and its data (the full label for
/// the table and the CSV, and a short one for the chart's axis).
struct Chart<'a> {
    id: &'static str,
    title: &'static str,
    data: Vec<(String, i64)>,
    short: Vec<String>,
    /// Bars laid along the y axis (long names); else along x (days).
    horizontal: bool,
    /// Label every n-th bar (days).
    every: usize,
    _tour: std::marker::PhantomData<&'a ()>,
}

/// A site's names: both languages, and the Chinese alone for a chart's axis.
fn site_name(tour: &Tour, id: &str) -> (String, String) {
    tour.site(id).map_or_else(
        || (id.to_string(), id.to_string()),
        |s| (format!("{} {}", s.name.zh, s.name.en), s.name.zh.clone()),
    )
}

fn person_name(tour: &Tour, id: &str) -> (String, String) {
    tour.sites.iter().find_map(|s| s.person(id)).map_or_else(
        || (id.to_string(), id.to_string()),
        |p| (format!("{} {}", p.name.zh, p.name.en), p.name.zh.clone()),
    )
}

fn charts<'a>(stats: &Stats, tour: &'a Tour) -> Vec<Chart<'a>> {
    let named = |rows: &[(String, i64)], name: &dyn Fn(&str) -> (String, String)| {
        rows.iter()
            .map(|(id, n)| (name(id), *n))
            .map(|((long, short), n)| ((long, n), short))
            .unzip::<_, _, Vec<_>, Vec<_>>()
    };
    let days = |rows: &[(String, i64)]| {
        (rows.to_vec(), rows.iter().map(|(d, _)| d.get(5..).unwrap_or(d).to_string()).collect())
    };
    let chart = |id, title, (data, short): (Vec<(String, i64)>, Vec<String>), horizontal, every| Chart {
        id,
        title,
        data,
        short,
        horizontal,
        every,
        _tour: Default::default(),
    };
    vec![
        chart(
            "visits-30-days",
            "每日访问量（30天） Visits per day, last 30 days",
            days(&stats.visits_per_day),
            false,
            5,
        ),
        chart(
            "visits-year",
            "每日访问量（一年） Visits per day, last 365 days",
            days(&stats.visits_per_day_year),
            false,
            61,
        ),
        chart(
            "visits-per-site",
            "各展馆访问量 Visits per site",
            named(&stats.visits_per_site, &|id| site_name(tour, id)),
            true,
            1,
        ),
        chart(
            "offerings-per-site",
            "各展馆献祭 Offerings per site",
            named(&stats.offerings_per_site, &|id| site_name(tour, id)),
            true,
            1,
        ),
        chart(
            "offerings-per-person",
            "各烈士献祭 Offerings per person",
            named(&stats.offerings_per_person, &|id| person_name(tour, id)),
            true,
            1,
        ),
    ]
}

/// A bar chart as an SVG document (plotters' SVG backend: text stays text, sized by the page).
fn svg(chart: &Chart) -> String {
    let n = chart.data.len().max(1);
    let max = chart.data.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let top = max + max / 10 + 1;
    let (w, h) = if chart.horizontal { (760, 40 + 26 * n as u32) } else { (760, 260) };
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let label = |i: usize| chart.short.get(i).cloned().unwrap_or_default();
            if chart.horizontal {
                let mut c = ChartBuilder::on(&root)
                    .margin(8)
                    .x_label_area_size(24)
                    .y_label_area_size(170)
                    .build_cartesian_2d(0..top, (0..n as i32).into_segmented())?;
                c.configure_mesh()
                    .disable_y_mesh()
                    .light_line_style(TRANSPARENT)
                    .y_labels(n)
                    .y_label_formatter(&|v| match v {
                        SegmentValue::CenterOf(i) => label(*i as usize),
                        _ => String::new(),
                    })
                    .draw()?;
                c.draw_series(chart.data.iter().enumerate().map(|(i, (_, v))| {
                    let mut bar = Rectangle::new(
                        [(0, SegmentValue::Exact(i as i32)), (*v, SegmentValue::Exact(i as i32 + 1))],
                        BAR.filled(),
                    );
                    bar.set_margin(3, 3, 0, 0);
                    bar
                }))?;
            } else {
                let mut c = ChartBuilder::on(&root)
                    .margin(8)
                    .x_label_area_size(28)
                    .y_label_area_size(56)
                    .build_cartesian_2d((0..n as i32).into_segmented(), 0..top)?;
                // Ticks at the labelled days only (a year's 365 ticks would be a solid bar).
                c.configure_mesh()
                    .disable_x_mesh()
                    .light_line_style(TRANSPARENT)
                    .x_labels(n.div_ceil(chart.every).max(1))
                    .x_label_formatter(&|v| match v {
                        SegmentValue::CenterOf(i) => label(*i as usize),
                        _ => String::new(),
                    })
                    .draw()?;
                c.draw_series(chart.data.iter().enumerate().map(|(i, (_, v))| {
                    let mut bar = Rectangle::new(
                        [(SegmentValue::Exact(i as i32), 0), (SegmentValue::Exact(i as i32 + 1), *v)],
                        BAR.filled(),
                    );
                    bar.set_margin(0, 0, if n > 100 { 0 } else { 1 }, if n > 100 { 0 } else { 1 });
                    bar
                }))?;
            }
            root.present()?;
            Ok(())
        })();
        if let Err(e) = drawn {
            tracing::error!("a statistics chart could not be drawn: {e}");
        }
    }
    out
}

/// Text for HTML: every visitor-supplied or tour text goes through this.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The statistics page.
pub fn page(stats: &Stats, tour: &Tour, zone: &str) -> String {
    let offerings: i64 = stats.offerings_per_site.iter().chain(&stats.offerings_per_person).map(|(_, n)| n).sum();
    let mut html = format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>统计 Statistics — {title}</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; margin: 0 auto; max-width: 800px; padding: 16px; color: #222; }}
h1 {{ font-size: 1.4em; }} h2 {{ font-size: 1.1em; margin-top: 2em; }}
.totals {{ display: flex; flex-wrap: wrap; gap: 12px; }}
.totals div {{ background: #f6f1ec; border-radius: 8px; padding: 10px 14px; }}
.totals b {{ display: block; font-size: 1.6em; color: #a01e1e; }}
figure {{ margin: 0; }} svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; font-size: 0.9em; }} td, th {{ padding: 2px 10px; border-bottom: 1px solid #eee; text-align: left; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
</style>
</head>
<body>
<h1>{title} · 统计 Statistics</h1>
<p>截至 As of {today} ({zone}) · <a href="/api/v1/stats.csv">CSV</a> · <a href="/api/v1/stats">JSON</a></p>
<div class="totals">
<div><b id="total-visits">{visits}</b>总访问量 Visits</div>
<div><b>{offerings}</b>献祭 Offerings</div>
<div><b>{sessions}</b>直播导览 Live classes</div>
<div><b>{students}</b>参与学生 Students reached</div>
</div>
"#,
        title = escape(&format!("{} {}", tour.title.zh, tour.title.en)),
        today = escape(&stats.today),
        zone = escape(zone),
        visits = thousands(stats.total_visits),
        offerings = thousands(offerings),
        sessions = thousands(stats.live_sessions),
        students = thousands(stats.live_students),
    );
    for chart in charts(stats, tour) {
        html.push_str(&format!(
            "<h2>{}</h2>\n<figure data-chart=\"{}\">\n{}\n<details><summary>数字 Numbers</summary>\n<table><tr><th></th><th>{}</th></tr>\n",
            escape(chart.title),
            chart.id,
            svg(&chart),
            "数量 Count"
        ));
        for (label, n) in &chart.data {
            html.push_str(&format!("<tr><td>{}</td><td class=\"n\">{n}</td></tr>\n", escape(label)));
        }
        html.push_str("</table></details></figure>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}

/// Every chart's numbers: `chart,label,value`, one row per bar, plus the totals.
pub fn csv(stats: &Stats, tour: &Tour) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    };
    let mut out = String::from("chart,label,value\n");
    for (label, n) in [
        ("total-visits", stats.total_visits),
        ("live-sessions", stats.live_sessions),
        ("live-students", stats.live_students),
    ] {
        out.push_str(&format!("totals,{label},{n}\n"));
    }
    for chart in charts(stats, tour) {
        for (label, n) in &chart.data {
            out.push_str(&format!("{},{},{n}\n", chart.id, field(label)));
        }
    }
    out
}

/// The visitors' counter: the database's totals (so every instance of a scaled-out hall shows
/// the same number), read at most once per [`VisitCounter::FRESH`] however many visitors ask,
/// and read again at once after a visit stored here (a visitor sees their own visit counted).
#[derive(Default)]
pub struct VisitCounter {
    cached: tokio::sync::Mutex<Option<(std::time::Instant, u64, serde_json::Value)>>,
    /// Visits stored here: a cached answer from before the newest is stale.
    stored: std::sync::atomic::AtomicU64,
}

impl VisitCounter {
    /// How long an answer read from the database is given out again.
    pub const FRESH: std::time::Duration = std::time::Duration::from_secs(1);

    pub fn new() -> VisitCounter {
        VisitCounter::default()
    }

    /// A visit was stored by this instance.
    pub fn add(&self) {
        self.stored.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// `{"total": n, "sites": {"id": n, ...}}`, as the database has it. Those who ask while it is
    /// read wait for that one answer instead of asking the database again; if the database
    /// cannot answer, the last answer is given.
    pub async fn json(&self, store: &super::store::Store) -> serde_json::Value {
        let mut cached = self.cached.lock().await;
        let stored = self.stored.load(std::sync::atomic::Ordering::Relaxed);
        if let Some((at, seen, v)) = cached.as_ref()
            && at.elapsed() < Self::FRESH
            && *seen == stored
        {
            return v.clone();
        }
        match store.visit_totals().await {
            Ok(totals) => {
                let total: i64 = totals.iter().map(|(_, n)| n).sum();
                let sites: HashMap<String, i64> = totals.into_iter().collect();
                let v = serde_json::json!({ "total": total, "sites": sites });
                *cached = Some((std::time::Instant::now(), stored, v.clone()));
                v
            }
            Err(e) => {
                tracing::warn!("the visit counter: {e}");
                cached.as_ref().map_or_else(|| serde_json::json!({ "total": 0, "sites": {} }), |c| c.2.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(svg: &str) -> Vec<(f64, f64)> {
        let fill = format!("fill=\"#{:02X}{:02X}{:02X}\"", BAR.0, BAR.1, BAR.2);
        svg.split("<rect")
            .skip(1)
            .filter(|r| r.contains(&fill))
            .map(|r| {
                let attr = |k: &str| {
                    let at = r.find(&format!(" {k}=\"")).expect(k) + k.len() + 3;
                    r[at..].split('"').next().unwrap().parse::<f64>().unwrap()
                };
                (attr("width"), attr("height"))
            })
            .collect()
    }

    #[test]
    fn bars_are_as_long_as_their_numbers() {
        let chart = |horizontal| Chart {
            id: "t",
            title: "t",
            data: vec![("a".into(), 10), ("b".into(), 20), ("c".into(), 40), ("d".into(), 0)],
            short: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            horizontal,
            every: 1,
            _tour: Default::default(),
        };
        let v = bars(&svg(&chart(false)));
        assert_eq!(v.len(), 4, "one bar per value");
        assert!((v[1].1 / v[0].1 - 2.0).abs() < 0.1 && (v[2].1 / v[0].1 - 4.0).abs() < 0.2, "{v:?}");
        assert_eq!(v[3].1, 0.0);
        let h = bars(&svg(&chart(true)));
        assert!((h[2].0 / h[0].0 - 4.0).abs() < 0.2, "{h:?}");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
    }
}
