//! Benchmark of live guided sessions (`tools/bench-live.sh` runs it on a release build):
//! one teacher and N students on loopback, the teacher's view sent at 10 Hz for S seconds.
//! Reports the delivery latency of views (send by the teacher to receipt by each student: p50,
//! p90, p99, max), how many deliveries arrived, and the server process's CPU time.
//!
//! `bench-live SERVER_BIN TOUR_DIR [--students N] [--seconds S] [--hz H]`

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

struct Args {
    server: String,
    tour: String,
    students: usize,
    seconds: u64,
    hz: u32,
}

fn args() -> Args {
    let mut a = std::env::args().skip(1);
    let server = a.next().expect("usage: bench-live SERVER_BIN TOUR_DIR [--students N] [--seconds S] [--hz H]");
    let tour = a.next().unwrap_or_else(|| "scenes".into());
    let mut out = Args { server, tour, students: 200, seconds: 60, hz: 10 };
    while let Some(flag) = a.next() {
        let v = a.next().expect("a value after the flag");
        match flag.as_str() {
            "--students" => out.students = v.parse().expect("a number"),
            "--seconds" => out.seconds = v.parse().expect("a number"),
            "--hz" => out.hz = v.parse().expect("a number"),
            other => panic!("unknown flag {other}"),
        }
    }
    out
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the server's /proc stat");
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').expect("stat") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().expect("utime") + f[12].parse::<f64>().expect("stime");
    ticks / 100.0 // USER_HZ is 100 on Linux
}

fn max_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn http(addr: &str, method: &str, path: &str) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap_or("")).expect("json body")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let a = args();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let addr = format!("127.0.0.1:{port}");
    let data = std::env::temp_dir().join(format!("cloudhall-bench-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut server = std::process::Command::new(&a.server)
        .args(["serve", "--addr", &addr, "--tour", &a.tour, "--data"])
        .arg(&data)
        .args(["--max-students", &a.students.max(1).to_string()])
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start the server");
    let started = Instant::now();
    while tokio::net::TcpStream::connect(&addr).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tour = http(&addr, "GET", "/api/v1/tour").await;
    let site = tour["sites"][0]["id"].as_str().expect("a site").to_string();
    let scene = tour["sites"][0]["scenes"][0]["id"].as_str().expect("a scene").to_string();
    let created = http(&addr, "POST", "/api/v1/sessions").await;
    let code = created["code"].as_str().expect("code").to_string();
    let token = created["teacher_token"].as_str().expect("token").to_string();
    let url = format!("ws://{addr}/api/v1/sessions/{code}/ws");

    let (mut teacher, _) = tokio_tungstenite::connect_async_with_config(&url, None, true).await.expect("teacher");
    teacher.send(Message::text(json!({"v":1,"type":"claim","token":token}).to_string())).await.expect("claim");
    teacher.next().await.expect("welcome").expect("welcome");
    teacher.send(Message::text(json!({"v":1,"type":"go","site":site,"scene":scene}).to_string())).await.expect("go");

    let total = (a.seconds * u64::from(a.hz)) as usize;
    let sent: Arc<Vec<Mutex<Option<Instant>>>> = Arc::new((0..total).map(|_| Mutex::new(None)).collect());
    let mut students = Vec::new();
    for i in 0..a.students {
        let (mut ws, _) = tokio_tungstenite::connect_async_with_config(&url, None, true).await.expect("student");
        ws.send(Message::text(json!({"v":1,"type":"join","name":format!("student {i}")}).to_string()))
            .await
            .expect("join");
        let sent = sent.clone();
        students.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(total);
            let mut welcomed = false;
            while let Some(Ok(m)) = ws.next().await {
                let Message::Text(t) = m else { continue };
                let now = Instant::now();
                let v: Value = serde_json::from_str(t.as_str()).expect("json");
                match v["type"].as_str() {
                    Some("welcome") => welcomed = true,
                    Some("view") => {
                        // The view's hfov carries the sequence number: 30 + n / 1000.
                        let n = ((v["hfov"].as_f64().unwrap_or(0.0) - 30.0) * 1000.0).round() as usize;
                        if let Some(at) = sent.get(n).and_then(|s| *s.lock().expect("sent")) {
                            latencies.push(now.duration_since(at).as_secs_f64() * 1000.0);
                        }
                    }
                    Some("ended") => break,
                    _ => {}
                }
            }
            (welcomed, latencies)
        }));
    }
    // Everyone is in before the clock starts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = server.id();
    let cpu0 = cpu_seconds(pid);
    let t0 = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(a.hz)));
    for n in 0..total {
        tick.tick().await;
        // Views must differ to be relayed; the hfov encodes which one this is (up to 60 000).
        let hfov = 30.0 + n as f64 / 1000.0;
        let yaw = (n % 360) as f64 - 180.0;
        *sent[n].lock().expect("sent") = Some(Instant::now());
        teacher
            .send(Message::text(json!({"v":1,"type":"view","yaw":yaw,"pitch":0.0,"hfov":hfov}).to_string()))
            .await
            .expect("view");
    }
    // Let the last views arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid) - cpu0;
    let rss = max_rss_mib(pid);
    teacher.send(Message::text(json!({"v":1,"type":"end"}).to_string())).await.expect("end");
    let mut all = Vec::new();
    let mut welcomed = 0;
    for s in students {
        let (w, l) = s.await.expect("student task");
        welcomed += usize::from(w);
        all.extend(l);
    }
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&data);
    all.sort_by(f64::total_cmp);
    let expected = total * a.students;
    println!(
        "live sessions: 1 teacher, {} students ({} welcomed), views at {} Hz for {} s",
        a.students, welcomed, a.hz, a.seconds
    );
    println!("deliveries: {} of {} ({:.2} %)", all.len(), expected, 100.0 * all.len() as f64 / expected.max(1) as f64);
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&all, 0.5),
        percentile(&all, 0.9),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "server CPU: {:.2} s in {:.1} s = {:.1} % of one core; peak RSS {:.1} MiB",
        cpu,
        wall,
        100.0 * cpu / wall,
        rss
    );
}
