use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};

use crate::connection::redact;
use crate::{Backend, DbConn, DbError};

/// A connection borrowed from the pool; derefs to [`Kept`], which derefs to [`DbConn`].
pub type PooledConn = PooledConnection<Manager>;

/// A pooled [`DbConn`] with the time it last went back to the pool unbroken after a use that
/// succeeded.
pub struct Kept {
    conn: DbConn,
    returned: Option<Instant>,
    /// Set by [`DbPool::run`] when its closure returned `Ok`. diesel's `is_broken` reads the
    /// connection's transaction state, not its socket: so after any failure, or a use outside
    /// `run`, the connection is tested at its next check-out rather than trusted.
    succeeded: bool,
}

impl Deref for Kept {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl DerefMut for Kept {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

/// A closure given a connection, boxed by [`DbPool::run`]; true when its result was `Ok`.
type Job = Box<dyn FnOnce(&mut DbConn) -> bool + Send>;

/// How the pool is sized.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Connections kept at most.
    pub max_size: u32,
    /// Connections opened at start and kept idle; the rest open on demand.
    pub min_idle: u32,
    /// How long a request waits for a connection before the database counts as unavailable.
    pub timeout: Duration,
    /// A connection that went back to the pool less than this long ago, after a use that
    /// succeeded, is handed out without a `SELECT 1` first (HikariCP's `aliveBypassWindowMs`,
    /// 500 ms). The test on check-out is a round trip on every use (one of nine of a webhook
    /// delivery); within the window, a database restarted meanwhile costs the one request that
    /// finds its connection gone (503, Retry-After), after which the connection is tested
    /// again and replaced.
    pub alive_bypass: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 8,
            min_idle: 1,
            timeout: Duration::from_secs(5),
            alive_bypass: Duration::from_millis(500),
        }
    }
}

/// Opens [`DbConn`]s for the pool, picking the backend from the URL.
pub struct Manager {
    url: String,
    alive_bypass: Duration,
}

impl ManageConnection for Manager {
    type Connection = Kept;
    type Error = DbError;

    fn connect(&self) -> Result<Kept, DbError> {
        Ok(Kept { conn: DbConn::open(&self.url)?, returned: None, succeeded: false })
    }

    fn is_valid(&self, kept: &mut Kept) -> Result<(), DbError> {
        if kept.returned.is_some_and(|at| at.elapsed() < self.alive_bypass) {
            return Ok(());
        }
        kept.conn.ping().map_err(DbError::Query)
    }

    fn has_broken(&self, kept: &mut Kept) -> bool {
        let broken = kept.conn.is_broken();
        kept.returned = (!broken && kept.succeeded).then(Instant::now);
        kept.succeeded = false;
        broken
    }
}

/// A pool of [`DbConn`]s whose blocking work runs off the async executor.
#[derive(Clone)]
pub struct DbPool {
    pool: Pool<Manager>,
    url: String,
}

impl std::fmt::Debug for DbPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbPool").field("url", &redact(&self.url)).finish()
    }
}

impl DbPool {
    /// Builds the pool; fails when the first connection cannot be made.
    pub fn connect(url: &str, options: &PoolOptions) -> Result<Self, DbError> {
        // The scheme is checked before any connection is tried, for a clearer error.
        Backend::from_url(url)?;
        let pool = Pool::builder()
            .max_size(options.max_size)
            .min_idle(Some(options.min_idle.min(options.max_size)))
            .connection_timeout(options.timeout)
            .build(Manager { url: url.to_string(), alive_bypass: options.alive_bypass })?;
        Ok(DbPool { pool, url: url.to_string() })
    }

    /// A connection for blocking code (start-up, commands, the blocking side of [`DbPool::run`]).
    pub fn get(&self) -> Result<PooledConn, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a connection on tokio's blocking threads.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        // The closure is boxed and its result sent back on a channel so that tokio's task
        // machinery is compiled once for all callers (`run_job`), not once per closure: with
        // about a hundred call sites it was a tenth of the API crate's LLVM IR (cargo
        // llvm-lines, release: 1.72 M lines before, 1.56 M after).
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let succeeded = result.is_ok();
            // The receiver is only gone when the caller was dropped; nobody waits for the result.
            let _ = sender.send(result);
            succeeded
        });
        self.run_job(job).await?;
        receiver
            .await
            .unwrap_or_else(|_| Err(DbError::Unavailable("a database job ended without its result".into()).into()))
    }

    async fn run_job(&self, job: Job) -> Result<(), DbError> {
        let pool = self.pool.clone();
        let task = tokio::task::spawn_blocking(move || -> Result<(), DbError> {
            let mut conn = pool.get()?;
            conn.succeeded = job(&mut conn);
            Ok(())
        });
        match task.await {
            Ok(result) => result,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Err(join) => Err(DbError::Unavailable(join.to_string())),
        }
    }
}
