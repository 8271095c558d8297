use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
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

/// Whether the database is known to be down: set when a connection cannot be opened, cleared
/// when one can. While it is down, requests are answered 503 at once instead of each waiting the
/// pool's whole timeout for a connection that cannot come, and the first request after it is
/// back finds it at once instead of after r2d2's reconnect back-off (which doubles up to half
/// the timeout: about 2 s after a 3 s outage).
#[derive(Debug, Default)]
struct Gate {
    /// When a connection last failed to open, while none has opened since.
    down_since: Mutex<Option<Instant>>,
    /// A request is trying to open a connection while the database is known to be down.
    probing: AtomicBool,
}

/// How long a request waits for a pooled connection before it looks whether the database has
/// meanwhile been found down (then 503 at once) or waits on, up to the pool's timeout.
const WAIT_SLICE: Duration = Duration::from_millis(50);

impl Gate {
    fn is_down(&self) -> bool {
        lock(&self.down_since).is_some()
    }

    fn opened(&self, ok: bool) {
        let mut down = lock(&self.down_since);
        match (ok, *down) {
            (true, _) => *down = None,
            (false, None) => *down = Some(Instant::now()),
            (false, Some(_)) => {}
        }
    }

    /// Lets one request at a time try the database while it is known to be down (a flood of
    /// requests makes one connection attempt at a time, not one each); `None` while another
    /// is trying.
    fn probe(&self) -> Option<Probing<'_>> {
        self.probing.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).ok()?;
        Some(Probing(self))
    }
}

/// The one request trying the database: see [`Gate::probe`].
struct Probing<'a>(&'a Gate);

impl Drop for Probing<'_> {
    fn drop(&mut self) {
        self.0.probing.store(false, Ordering::Release);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The guarded values are plain data, whole after any panic.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Opens [`DbConn`]s for the pool, picking the backend from the URL.
pub struct Manager {
    url: String,
    alive_bypass: Duration,
    gate: Arc<Gate>,
}

impl ManageConnection for Manager {
    type Connection = Kept;
    type Error = DbError;

    fn connect(&self) -> Result<Kept, DbError> {
        let opened = DbConn::open(&self.url);
        self.gate.opened(opened.is_ok());
        Ok(Kept { conn: opened?, returned: None, succeeded: false })
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
    /// Replaced by a fresh pool when the database comes back after an outage (see [`Gate`]).
    pool: Arc<RwLock<Pool<Manager>>>,
    url: String,
    options: PoolOptions,
    gate: Arc<Gate>,
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
        let gate = Arc::new(Gate::default());
        let pool = Self::builder(options).build(Self::manager(url, options, &gate))?;
        Ok(DbPool { pool: Arc::new(RwLock::new(pool)), url: url.to_string(), options: options.clone(), gate })
    }

    fn builder(options: &PoolOptions) -> diesel::r2d2::Builder<Manager> {
        Pool::builder()
            .max_size(options.max_size)
            .min_idle(Some(options.min_idle.min(options.max_size)))
            .connection_timeout(options.timeout)
    }

    fn manager(url: &str, options: &PoolOptions, gate: &Arc<Gate>) -> Manager {
        Manager { url: url.to_string(), alive_bypass: options.alive_bypass, gate: gate.clone() }
    }

    fn current(&self) -> Pool<Manager> {
        self.pool.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// A connection for blocking code (start-up, commands, the blocking side of [`DbPool::run`]).
    ///
    /// While the database is known to be down, one request at a time tries to open a
    /// connection and the others are refused at once; the probe that succeeds replaces the
    /// pool (whose own reconnect may be waiting out its back-off) with a fresh one. Otherwise
    /// the pool is waited on in short slices, so that a wait that began just before the
    /// database was found down ends then rather than at the pool's timeout.
    pub fn get(&self) -> Result<PooledConn, DbError> {
        if self.gate.is_down() {
            return self.after_outage();
        }
        let started = Instant::now();
        loop {
            match self.current().get_timeout(WAIT_SLICE) {
                Ok(conn) => return Ok(conn),
                Err(e) if started.elapsed() >= self.options.timeout => return Err(e.into()),
                Err(_) if self.gate.is_down() => return self.after_outage(),
                Err(_) => {}
            }
        }
    }

    fn after_outage(&self) -> Result<PooledConn, DbError> {
        let Some(_probing) = self.gate.probe() else {
            return Err(DbError::Unavailable("the database is unreachable; retry shortly".into()));
        };
        // A connection opened here proves the database is back (and clears the gate); the fresh
        // pool then opens its own at once, without the old one's back-off.
        drop(Self::manager(&self.url, &self.options, &self.gate).connect()?);
        let fresh = Self::builder(&self.options).build_unchecked(Self::manager(&self.url, &self.options, &self.gate));
        *self.pool.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh.clone();
        Ok(fresh.get()?)
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
        let pool = self.clone();
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
