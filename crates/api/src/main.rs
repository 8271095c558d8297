use clap::Parser;

use demeu_api::cli::{run, Cli};

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    demeu_api::telemetry::init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            // One line, naming the key or the step that failed.
            eprintln!("demeu: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
