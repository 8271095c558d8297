//! docs/architecture.md is the map a newcomer reads first: every file it names must exist, so
//! that a move or a rename cannot leave it pointing at nothing.

use std::path::{Path, PathBuf};

/// The workspace's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file below `dir` (skipping build output), for names the map gives without their folders.
fn files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("target") && !path.ends_with("node_modules") && !path.ends_with(".git") {
                files(&path, found);
            }
        } else {
            found.push(path);
        }
    }
}

#[test]
fn every_file_the_architecture_map_names_exists() {
    let root = root();
    let map = std::fs::read_to_string(root.join("docs/architecture.md")).expect("docs/architecture.md");
    let mut all = Vec::new();
    files(&root.join("crates"), &mut all);
    files(&root.join("tests"), &mut all);
    files(&root.join("scripts"), &mut all);
    let mut missing = Vec::new();
    let mut named = 0;
    // Names in backquotes that look like files: a folder path, or a bare `name.rs`.
    for quoted in map.split('`').skip(1).step_by(2) {
        let name = quoted.split_whitespace().next().unwrap_or_default().trim_end_matches([',', ')']);
        let is_file =
            [".rs", ".sh", ".md", ".toml", ".sql", ".py", ".ftl", ".js", ".css"].iter().any(|e| name.ends_with(e));
        if !is_file {
            continue;
        }
        named += 1;
        // From the root (`crates/api/src/cors.rs`), or the end of a path (`auth/mod.rs`, `ledger.rs`).
        let exists = root.join(name).exists() || all.iter().any(|path| path.ends_with(name));
        if !exists {
            missing.push(name.to_string());
        }
    }
    assert!(named > 30, "the map names files: {named}");
    assert!(missing.is_empty(), "docs/architecture.md names files that do not exist: {missing:?}");
}

/// The layers of crates/api: settings and plumbing ← payments, mail, auth, services ← routes,
/// pages, console (the only code that makes an HTTP answer) ← startup. A file of the middle layer
/// that names a module of the layer above it fails here: the way up is not taken. Nor does it
/// speak HTTP: no actix, no `ApiError` (each has its own error type, said by `problem.rs`).
#[test]
fn no_import_runs_up_a_layer() {
    let src = root().join("crates/api/src");
    let mut offending = Vec::new();
    for folder in ["services", "payments", "mail", "auth", "settings"] {
        let mut all = Vec::new();
        files(&src.join(folder), &mut all);
        assert!(!all.is_empty(), "crates/api/src/{folder} has files");
        for path in all.iter().filter(|p| p.extension().is_some_and(|e| e == "rs")) {
            let text = std::fs::read_to_string(path).expect("a source file");
            for (number, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                let up = [
                    "crate::routes",
                    "crate::pages",
                    "crate::console",
                    "crate::startup",
                    "crate::problem",
                    "ApiError",
                    "actix_web",
                ];
                if up.iter().any(|module| code.contains(module)) {
                    offending.push(format!("{}:{}: {}", path.display(), number + 1, line.trim()));
                }
            }
        }
    }
    assert!(offending.is_empty(), "imports that run up a layer:\n{}", offending.join("\n"));
}

/// A console handler states who may run it by the extractor it takes (`Console<R>` for a page,
/// `ConsoleForm<R, F>` for a form, whose CSRF check is inside): one that takes neither could
/// forget the session, the role or the token. Only the sign-in form itself is open.
#[test]
fn every_console_handler_takes_its_access_as_an_extractor() {
    let mut all = Vec::new();
    files(&root().join("crates/api/src/console"), &mut all);
    let mut open = Vec::new();
    for path in all.iter().filter(|p| p.extension().is_some_and(|e| e == "rs")) {
        let text = std::fs::read_to_string(path).expect("a source file");
        for start in text.match_indices("pub async fn ").map(|(i, _)| i) {
            let signature = &text[start..start + text[start..].find('{').unwrap_or(0)];
            let name = signature["pub async fn ".len()..].split(['(', '<']).next().unwrap_or_default();
            let guarded = signature.contains("Console<") || signature.contains("ConsoleForm<");
            if !guarded && !["sign_in_page", "sign_in"].contains(&name) {
                open.push(format!("{}: {name}", path.display()));
            }
        }
    }
    assert!(open.is_empty(), "console handlers without Console<R> or ConsoleForm<R, F>:\n{}", open.join("\n"));
}

/// A payment provider is one module: how its notifications are verified and read is behind the
/// provider trait (`PaymentProvider::receive`), so the webhook routes name no provider's module.
#[test]
fn the_webhook_routes_name_no_providers_module() {
    let text = std::fs::read_to_string(root().join("crates/api/src/routes/webhooks.rs")).expect("the routes");
    let named: Vec<&str> = ["payments::tiptoppay", "payments::stripe", "payments::sandbox", "stripe_events"]
        .into_iter()
        .filter(|module| text.lines().any(|l| !l.trim_start().starts_with("//") && l.contains(module)))
        .collect();
    assert!(named.is_empty(), "routes/webhooks.rs names provider modules: {named:?}");
}

/// The console's handlers take their access, load what the page needs and answer; what a page
/// looks like is a view beside them (a function that returns markup), so that a page can be
/// read apart from the loading, and changed without touching it.
#[test]
fn console_handlers_leave_markup_to_views() {
    let mut all = Vec::new();
    files(&root().join("crates/api/src/console"), &mut all);
    let mut inline = Vec::new();
    for path in all.iter().filter(|p| p.extension().is_some_and(|e| e == "rs")) {
        let text = std::fs::read_to_string(path).expect("a source file");
        for (start, _) in text.match_indices("pub async fn ") {
            let rest = &text[start..];
            let body = &rest[..rest.find("\n}\n").unwrap_or(rest.len())];
            if body.contains("html!") {
                let name = rest["pub async fn ".len()..].split('(').next().unwrap_or_default();
                inline.push(format!("{}: {name}", path.display()));
            }
        }
    }
    assert!(inline.is_empty(), "console handlers that build markup themselves:\n{}", inline.join("\n"));
}
