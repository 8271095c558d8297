use clap::Parser;

use demeu_api::cli::{run, Cli};

// actix's runtime, as `#[actix_web::main]` would start it (without the macro crate and a second
// major version of syn in the build).
fn main() -> std::process::ExitCode {
    demeu_api::telemetry::init();
    let cli = Cli::parse();
    match actix_web::rt::System::new().block_on(run(cli)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            // One line, naming the key or the step that failed.
            eprintln!("demeu: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
