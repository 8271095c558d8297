//! A throwaway PostgreSQL cluster for this test process: initdb into a temporary directory,
//! started on a free port, stopped when the process exits. A database per test.
//!
//! There is no skip: if PostgreSQL cannot be started, every PostgreSQL test fails with the reason.
//! `DEMEU_TEST_POSTGRES_URL` (a server URL whose user may create databases) replaces the
//! throwaway cluster when set.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use diesel::{Connection, PgConnection, RunQueryDsl};

struct Cluster {
    /// `postgres://user@host:port` without a database.
    base_url: String,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static DATA_DIR: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();

/// A URL to a new, empty database.
pub fn fresh_database_url() -> String {
    let cluster = match CLUSTER.get_or_init(start) {
        Ok(c) => c,
        Err(e) => panic!("PostgreSQL could not be started for the tests: {e}"),
    };
    let name = format!("demeu_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::establish(&format!("{}/postgres", cluster.base_url))
        .unwrap_or_else(|e| panic!("connecting to the test cluster: {e}"));
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .unwrap_or_else(|e| panic!("creating database {name}: {e}"));
    format!("{}/{name}", cluster.base_url)
}

fn start() -> Result<Cluster, String> {
    if let Ok(url) = std::env::var("DEMEU_TEST_POSTGRES_URL") {
        return Ok(Cluster { base_url: url.trim_end_matches('/').to_string() });
    }
    let bin = bin_dir()?;
    let root = std::env::temp_dir().join(format!("demeu-pg-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()));
    let data = root.join("data");
    std::fs::create_dir_all(&root).map_err(|e| format!("creating {}: {e}", root.display()))?;
    let as_root = is_root();
    if as_root {
        // initdb refuses to run as root: the cluster belongs to the `postgres` user.
        run(Command::new("chown").args(["postgres:postgres"]).arg(&root), "chown")?;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))?;
    let initdb = bin.join("initdb");
    let mut cmd = postgres_user_command(as_root, &initdb);
    cmd.arg("-D").arg(&data).args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"]);
    run(&mut cmd, "initdb")?;
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB",
        root.display()
    );
    let mut cmd = postgres_user_command(as_root, &bin.join("pg_ctl"));
    cmd.arg("-D").arg(&data).arg("-l").arg(root.join("log")).args(["-o", &options, "-w", "-t", "60", "start"]);
    run(&mut cmd, "pg_ctl start").map_err(|e| {
        let log = std::fs::read_to_string(root.join("log")).unwrap_or_default();
        format!("{e}\n{log}")
    })?;
    let _ = DATA_DIR.set((root, bin));
    // Stop the cluster when the test process exits: statics are never dropped.
    stop_at_exit();
    Ok(Cluster { base_url: format!("postgres://postgres@127.0.0.1:{port}") })
}

fn bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).filter(|p| p.join("initdb").exists()).collect())
        .unwrap_or_default();
    versions.sort();
    if let Some(newest) = versions.pop() {
        return Ok(newest);
    }
    let found = Command::new("sh").args(["-c", "command -v initdb"]).output().map_err(|e| e.to_string())?;
    let path = String::from_utf8_lossy(&found.stdout).trim().to_string();
    Path::new(&path)
        .parent()
        .filter(|_| !path.is_empty())
        .map(Path::to_path_buf)
        .ok_or_else(|| "no initdb found: install PostgreSQL (Debian: postgresql) or set PG_BIN".to_string())
}

fn postgres_user_command(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

extern "C" fn stop_cluster() {
    if let Some((root, bin)) = DATA_DIR.get() {
        let mut cmd = postgres_user_command(is_root(), &bin.join("pg_ctl"));
        cmd.arg("-D").arg(root.join("data")).args(["-m", "immediate", "-w", "stop"]);
        let _ = cmd.output();
        let _ = std::fs::remove_dir_all(root);
    }
}

fn stop_at_exit() {
    // SAFETY: atexit only stores the pointer to a function that takes and returns nothing.
    #[allow(unsafe_code)]
    unsafe {
        libc::atexit(stop_cluster);
    }
}
