//! Body wrappers that stream frame by frame (never buffering a whole body):
//! an idle timeout, a marker that notes when the client's request body
//! failed (so the backend is not blamed), and an observer that reports how
//! a response ended.
//!
//! Knows nothing about backends or routing; the observer calls back into a
//! closure-like `Finish` the forwarder supplies.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

/// Boxed error carried by bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body type the proxy sends and receives.
pub type ProxyBody = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

/// A body went silent for longer than the idle timeout.
#[derive(Debug, thiserror::Error)]
#[error("body idle for more than {0:?}")]
pub struct IdleTimeout(pub Duration);

pin_project! {
    /// Fails a body that yields no frame for `idle`. The timer is only armed
    /// once the body first has to wait, so bodies that are ready at once
    /// (most small responses) cost no timer at all.
    pub struct IdleTimeoutBody<B> {
        #[pin]
        inner: B,
        sleep: Option<Pin<Box<Sleep>>>,
        idle: Duration,
    }
}

impl<B> IdleTimeoutBody<B> {
    /// Wraps `inner`.
    pub fn new(inner: B, idle: Duration) -> Self {
        Self { inner, sleep: None, idle }
    }
}

impl<B> Body for IdleTimeoutBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        match this.inner.poll_frame(cx) {
            Poll::Ready(r) => {
                if let Some(sleep) = this.sleep.as_mut() {
                    sleep.as_mut().reset(Instant::now() + *this.idle);
                }
                Poll::Ready(r.map(|r| r.map_err(Into::into)))
            }
            Poll::Pending => {
                let idle = *this.idle;
                let sleep = this.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(IdleTimeout(idle))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// How a response body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// All frames delivered.
    Complete,
    /// The body went idle too long.
    IdleTimeout,
    /// The backend broke the body.
    Error,
    /// The client went away before the end.
    Dropped,
}

/// Called exactly once when an observed body ends.
pub trait Finish: Send + 'static {
    /// The body ended this way.
    fn finish(self, ending: Ending);
}

pin_project! {
    /// Reports the end of a body exactly once (complete, error or drop).
    pub struct ObservedBody<B, F>
    where
        F: Finish,
    {
        #[pin]
        inner: B,
        finish: Option<F>,
    }

    impl<B, F> PinnedDrop for ObservedBody<B, F>
    where
        F: Finish,
    {
        fn drop(this: Pin<&mut Self>) {
            if let Some(f) = this.project().finish.take() {
                f.finish(Ending::Dropped);
            }
        }
    }
}

impl<B, F: Finish> ObservedBody<B, F> {
    /// Wraps `inner`; `finish` runs when it ends.
    pub fn new(inner: B, finish: F) -> Self {
        Self { inner, finish: Some(finish) }
    }
}

impl<B, F> Body for ObservedBody<B, F>
where
    B: Body<Data = Bytes, Error = BoxError>,
    F: Finish,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let mut this = self.project();
        let r = this.inner.as_mut().poll_frame(cx);
        let ending = match &r {
            Poll::Ready(None) => Some(Ending::Complete),
            // Servers stop polling once the size hint is met, so the end is
            // noticed here rather than by waiting for a final `None`.
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => Some(Ending::Complete),
            Poll::Ready(Some(Err(e))) if e.is::<IdleTimeout>() => Some(Ending::IdleTimeout),
            Poll::Ready(Some(Err(_))) => Some(Ending::Error),
            _ => None,
        };
        if let Some(ending) = ending {
            if let Some(f) = this.finish.take() {
                f.finish(ending);
            }
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

pin_project! {
    /// A client's request body on its way to a backend: when it fails
    /// (truncated, bad chunking, gone idle), `faulted` is set, so that the
    /// failed exchange is counted as the client's, not the backend's.
    /// `waiting` is set while the last poll found no data from the client
    /// yet, so a backend waiting for the rest of a stalled body is not
    /// blamed for not answering.
    pub struct ClientBody<B> {
        #[pin]
        inner: B,
        faulted: std::sync::Arc<std::sync::atomic::AtomicBool>,
        waiting: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }
}

impl<B> ClientBody<B> {
    /// Wraps `inner`; `faulted` is set when it yields an error, `waiting`
    /// while it waits for the client.
    pub fn new(
        inner: B,
        faulted: std::sync::Arc<std::sync::atomic::AtomicBool>,
        waiting: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Self {
        Self { inner, faulted, waiting }
    }
}

impl<B> Body for ClientBody<B>
where
    B: Body<Data = Bytes, Error = BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        let r = this.inner.poll_frame(cx);
        if let Poll::Ready(Some(Err(_))) = &r {
            this.faulted.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        this.waiting.store(r.is_pending(), std::sync::atomic::Ordering::SeqCst);
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
