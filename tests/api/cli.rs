//! The `demeu` binary: its subcommands and its start-up checks.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::helpers::{fresh_database, Backend};

fn demeu(database_url: &str, args: &[&str], stdin: &str) -> Output {
    demeu_with(database_url, args, stdin, &[])
}

fn demeu_with(database_url: &str, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_demeu"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DEMEU_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"))
        .env("DEMEU__DATABASE__URL", database_url)
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("demeu starts");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("demeu ends")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn staff_add_reads_the_password_from_stdin_and_refuses_short_ones() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let url = fresh_database(backend);
        let short = demeu(&url, &["staff", "add", "--email", "a@dara.kz", "--role", "admin"], "short\n");
        assert!(!short.status.success(), "{}", text(&short));
        assert!(text(&short).contains("at least 12"), "{}", text(&short));
        let ok = demeu(&url, &["staff", "add", "--email", "a@dara.kz", "--role", "admin"], "a long enough one\n");
        assert!(ok.status.success(), "{}", text(&ok));
        assert!(text(&ok).contains("a@dara.kz (admin)"));
        let twice = demeu(&url, &["staff", "add", "--email", "a@dara.kz", "--role", "admin"], "a long enough one\n");
        assert!(!twice.status.success());
        let bad_role = demeu(&url, &["staff", "add", "--email", "b@dara.kz", "--role", "owner"], "a long enough one\n");
        assert!(text(&bad_role).contains("unknown role"), "{}", text(&bad_role));
    }
}

#[test]
fn migrate_and_reconcile_run_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let url = fresh_database(backend);
        let out = demeu(&url, &["migrate"], "");
        assert!(out.status.success(), "{}", text(&out));
        let out = demeu(&url, &["reconcile"], "");
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("mentors: clean"), "{}", text(&out));
    }
}

#[test]
fn reconcile_reports_a_difference_and_exits_non_zero() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let url = fresh_database(backend);
        assert!(demeu(&url, &["migrate"], "").status.success());
        // Someone changed the running totals by hand: the ledger says otherwise.
        let mut conn = demeu_db::DbConn::open(&url).expect("open");
        {
            use demeu_db::schema::campaign_totals;
            use diesel::prelude::*;
            diesel::update(campaign_totals::table.filter(campaign_totals::shard.eq(3)))
                .set(campaign_totals::net_raised.eq(12_345i64))
                .execute(&mut conn)
                .expect("tampered");
        }
        let out = demeu(&url, &["reconcile"], "");
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains("mentors: DIFFERENT: totals raised 12345 vs ledger 0"), "{}", text(&out));
    }
}

#[test]
fn a_plan_that_does_not_add_up_stops_start_up_naming_the_lines() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("demeu-config-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/default.toml"))
        .expect("default.toml");
    std::fs::write(dir.join("default.toml"), shipped.replace("target = 30000000", "target = 29000000")).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_demeu"))
        .arg("migrate")
        .env("DEMEU_CONFIG_DIR", &dir)
        .env("DEMEU__DATABASE__URL", fresh_database(Backend::Sqlite))
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("summer-school + psychologists add up to 51500000 but the goal is 52500000"), "{stderr}");

    let out = Command::new(env!("CARGO_BIN_EXE_demeu"))
        .arg("migrate")
        .env("DEMEU_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"))
        .env("DEMEU__SERVER__PORT", "not-a-port")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("server.port"), "{}", String::from_utf8_lossy(&out.stderr));

    std::fs::write(dir.join("default.toml"), "[server\nport = 1").expect("write");
    let out =
        Command::new(env!("CARGO_BIN_EXE_demeu")).arg("migrate").env("DEMEU_CONFIG_DIR", &dir).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(stderr.trim().lines().count(), 1, "a broken file is one line too: {stderr}");
}

#[test]
fn production_never_runs_the_sandbox() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let url = fresh_database(backend);
        // production.toml names TipTop Pay: without its keys the server does not start.
        let out = demeu_with(&url, &["migrate"], "", &[("DEMEU_ENV", "production")]);
        assert!(!out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("payments.tiptoppay.public_id"), "{}", text(&out));
        let tiptoppay = [
            ("DEMEU_ENV", "production"),
            ("DEMEU__PAYMENTS__TIPTOPPAY__PUBLIC_ID", "pk_live_x"),
            ("DEMEU__PAYMENTS__TIPTOPPAY__API_SECRET", "secret_x"),
        ];
        let out = demeu_with(&url, &["migrate"], "", &tiptoppay);
        assert!(out.status.success(), "{}", text(&out));
        // Stripe beside it, while its pledges finish: only with all its keys.
        let half = [tiptoppay.as_slice(), &[("DEMEU__PAYMENTS__STRIPE__SECRET_KEY", "sk_live_x")]].concat();
        let out = demeu_with(&url, &["migrate"], "", &half);
        assert!(!out.status.success() && text(&out).contains("payments.stripe.webhook_secret"), "{}", text(&out));
        let both = [half.as_slice(), &[("DEMEU__PAYMENTS__STRIPE__WEBHOOK_SECRET", "whsec_x")]].concat();
        let out = demeu_with(&url, &["migrate"], "", &both);
        assert!(out.status.success(), "{}", text(&out));
        // Asking for the sandbox in production: one line naming the key.
        let out = demeu_with(
            &url,
            &["migrate"],
            "",
            &[("DEMEU_ENV", "production"), ("DEMEU__PAYMENTS__PROVIDER", "sandbox")],
        );
        assert!(!out.status.success());
        let said = text(&out);
        assert!(said.contains("payments.provider") && said.trim().lines().count() == 1, "{said}");
        // A public address with the sandbox: only as an explicit demo.
        let public = [("DEMEU__SERVER__PUBLIC_URL", "https://give.dara.kz")];
        let out = demeu_with(&url, &["migrate"], "", &public);
        assert!(!out.status.success() && text(&out).contains("payments.provider"), "{}", text(&out));
        let demo =
            [("DEMEU__SERVER__PUBLIC_URL", "https://demo.dara.kz"), ("DEMEU__PAYMENTS__SANDBOX__PUBLIC_DEMO", "true")];
        let out = demeu_with(&url, &["migrate"], "", &demo);
        assert!(out.status.success(), "{}", text(&out));
    }
}
