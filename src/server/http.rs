//! The listening loop, with the limits a server on the public internet needs: hyper's HTTP/1.1
//! with its headers capped (431 past the cap), a deadline for them (a client that trickles its
//! headers is cut off), a cap on open connections (past it, a new one is closed at once), and
//! each request's handling bounded in time (408). A request whose headers never end (the
//! deadline passes, or the client stops sending) is answered 400 with the reason, rather than
//! left without a word. WebSocket upgrades (live classes) pass through. SIGINT or SIGTERM stop
//! accepting and let the requests in flight finish.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// A connection that notes whether a request has begun and not yet been answered: bytes came
/// in since the last bytes went out. When hyper gives up on a request's headers, this says
/// whether there was a request at all (an idle keep-alive connection timing out is no error).
struct Watched {
    tcp: TcpStream,
    unanswered: Arc<AtomicBool>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.tcp).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.unanswered.store(true, Ordering::Relaxed);
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.tcp).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.unanswered.store(false, Ordering::Relaxed);
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// The answer to a request whose headers did not end: hyper closes such a connection without
/// one, and the client would not know why.
async fn unfinished_headers(spare: std::net::TcpStream, why: &str) {
    let Ok(mut tcp) = TcpStream::from_std(spare) else { return };
    let body = format!("the request's headers did not end ({why}); send them whole, ending with an empty line\n");
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = tcp.write_all(answer.as_bytes()).await;
        let _ = tcp.shutdown().await;
    })
    .await;
}

/// What one client may take of the server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most bytes of a request's line and headers (hyper's read buffer; at least 8 KiB).
    pub max_header_bytes: usize,
    /// How long a client has to send its headers, from the first byte.
    pub header_timeout: Duration,
    /// The most connections open at once.
    pub max_connections: usize,
    /// How long the finished requests may wait for the ones in flight at shutdown.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_header_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            drain: Duration::from_secs(10),
        }
    }
}

/// Serve `app` on `listener` until `shutdown` resolves; each request carries its client's
/// address (`ConnectInfo<SocketAddr>`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    // Told to every connection at shutdown: finish the request in flight, then close.
    let (stopping, stop) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (tcp, addr) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, most often: wait rather than spin.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!("{} connections open: closing a new one from {addr}", limits.max_connections);
            drop(tcp);
            continue;
        };
        // Live sessions send many small messages: no waiting to fill packets (Nagle).
        let _ = tcp.set_nodelay(true);
        // A second handle on the socket, to answer a request hyper gave up on (it keeps the
        // socket open until the task ends, then closes with it).
        let (tcp, spare) = match tcp.into_std().and_then(|s| {
            let spare = s.try_clone()?;
            Ok((TcpStream::from_std(s)?, spare))
        }) {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!("connection from {addr}: {e}");
                continue;
            }
        };
        let unanswered = Arc::new(AtomicBool::new(false));
        let io = Watched { tcp, unanswered: unanswered.clone() };
        let service = app.clone().map_request(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(addr));
            req
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_header_size(limits.max_header_bytes)
            .max_buf_size(limits.max_header_bytes.max(8192))
            .serve_connection(TokioIo::new(io), TowerToHyperService::new(service))
            .with_upgrades();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _slot = slot;
            tokio::pin!(conn);
            let done = tokio::select! {
                done = conn.as_mut() => done,
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            match done {
                Err(e) if (e.is_timeout() || e.is_incomplete_message()) && unanswered.load(Ordering::Relaxed) => {
                    let why = if e.is_timeout() { "they took too long" } else { "the connection closed first" };
                    unfinished_headers(spare, why).await;
                }
                Err(e) => tracing::debug!("connection from {addr}: {e}"),
                Ok(()) => {}
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every slot back: every connection closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    tokio::select! {
        _ = slots.acquire_many(all) => {}
        _ = tokio::time::sleep(limits.drain) => tracing::warn!("stopping with requests still in flight"),
    }
    Ok(())
}
