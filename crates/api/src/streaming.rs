//! A response body written while it is being made, for answers too long to build in memory
//! (the CSV export): the first chunk goes out at once, each later chunk is made only when the
//! one before has been taken, and nothing more is made once the client has gone.
//!
//! The chunks come through a channel of one from a task on the worker's runtime. When the client
//! goes away, actix-web drops the body and with it the channel's receiver: the task's next
//! `reserve` fails and it returns, so an abandoned answer holds no pooled connection (each chunk
//! takes one only while it is read, through `DbPool::run`) and keeps nothing running at shutdown.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use tokio::sync::mpsc;

use crate::problem::ApiError;

/// A body of chunks: see the module's documentation.
pub struct Chunks {
    first: Option<Bytes>,
    rest: mpsc::Receiver<Result<Bytes, ApiError>>,
}

impl Chunks {
    /// `first`, then the chunks `next` makes: `next(state)` gives a chunk and the state to go on
    /// from, `None` after the last. An error ends the body there: the answer's status has gone
    /// out already, so the connection is closed without the final chunk and the client sees a
    /// cut answer, never a short one that looks whole. Empty chunks are not sent (an empty chunk
    /// would end a chunked answer).
    pub fn unfold<S, F, Fut>(first: Bytes, start: Option<S>, mut next: F) -> Chunks
    where
        S: 'static,
        F: FnMut(S) -> Fut + 'static,
        Fut: Future<Output = Result<(Bytes, Option<S>), ApiError>> + 'static,
    {
        let (tx, rest) = mpsc::channel(1);
        actix_web::rt::spawn(async move {
            let mut state = start;
            while let Some(current) = state.take() {
                // Room for one more chunk, or the client has gone and the body with it.
                let Ok(permit) = tx.reserve().await else { return };
                match next(current).await {
                    Ok((chunk, then)) => {
                        if !chunk.is_empty() {
                            permit.send(Ok(chunk));
                        }
                        state = then;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "a streamed answer failed part way; the connection is cut");
                        permit.send(Err(e));
                    }
                }
            }
        });
        Chunks { first: (!first.is_empty()).then_some(first), rest }
    }
}

impl MessageBody for Chunks {
    type Error = ApiError;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, ApiError>>> {
        let this = self.get_mut();
        if let Some(first) = this.first.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        this.rest.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;

    use super::*;

    /// Runs `f` on actix's runtime (a local task set: the body's producer is `!Send`).
    fn on_actix<F: std::future::Future>(f: F) -> F::Output {
        actix_web::rt::System::new().block_on(f)
    }

    fn counted(calls: &Rc<Cell<u32>>, last: u32) -> Chunks {
        let calls = calls.clone();
        Chunks::unfold(Bytes::from_static(b"head\n"), Some(1u32), move |n| {
            calls.set(calls.get() + 1);
            async move { Ok((Bytes::from(format!("{n}\n")), (n < last).then_some(n + 1))) }
        })
    }

    #[test]
    fn every_chunk_comes_in_order_then_the_end() {
        on_actix(async {
            let calls = Rc::new(Cell::new(0));
            let body = actix_web::body::to_bytes(counted(&calls, 3)).await.ok();
            assert_eq!(body.as_deref(), Some(&b"head\n1\n2\n3\n"[..]));
            assert_eq!(calls.get(), 3);
        });
    }

    #[test]
    fn a_client_that_goes_away_stops_the_work() {
        on_actix(async {
            let calls = Rc::new(Cell::new(0));
            let mut body = Box::pin(counted(&calls, u32::MAX));
            for expected in ["head\n", "1\n", "2\n"] {
                let chunk = std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await;
                assert_eq!(chunk.and_then(Result::ok).as_deref(), Some(expected.as_bytes()));
            }
            drop(body);
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            // One chunk ahead at most was made; the task then ended and dropped what it held.
            assert!(calls.get() <= 3, "{} chunks made", calls.get());
            assert_eq!(Rc::strong_count(&calls), 1, "the producing task has ended");
        });
    }

    #[test]
    fn an_error_cuts_the_body() {
        on_actix(async {
            let body = Chunks::unfold(Bytes::from_static(b"head\n"), Some(()), |()| async {
                Err::<(Bytes, Option<()>), _>(ApiError::Unavailable("gone".into()))
            });
            assert!(actix_web::body::to_bytes(body).await.is_err());
        });
    }
}
