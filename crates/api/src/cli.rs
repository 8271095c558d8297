//! The `demeu` command line: serve (the default), migrate, reconcile, staff add.

use std::io::BufRead;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use crate::auth::{self, NewStaffUser, Role};
use crate::settings::Settings;
use crate::startup::{prepare_database, Application};

/// Demeu: the backend of donation campaigns.
#[derive(Debug, Parser)]
#[command(name = "demeu", version, about)]
pub struct Cli {
    /// What to do; `serve` when absent.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Applies migrations, stores the configured campaigns and serves HTTP.
    Serve,
    /// Applies pending migrations and exits.
    Migrate,
    /// Recomputes every campaign's totals from the ledger; exits 1 on any difference.
    Reconcile,
    /// Staff accounts.
    Staff {
        /// What to do with them.
        #[command(subcommand)]
        command: StaffCommand,
    },
}

/// `demeu staff ...`
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Adds an account; the password is read from standard input.
    Add {
        /// Sign-in address.
        #[arg(long)]
        email: String,
        /// admin, editor or accountant.
        #[arg(long)]
        role: String,
    },
}

/// Runs the parsed command; the exit code is the caller's to set from the result.
pub async fn run(cli: Cli) -> anyhow::Result<bool> {
    let settings = Settings::load()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings)?;
            tracing::info!(port = app.port(), "serving");
            app.run_until_stopped().await?;
            Ok(true)
        }
        Command::Migrate => {
            prepare_database(&settings)?;
            println!("migrations applied, configuration's new campaigns imported");
            Ok(true)
        }
        Command::Reconcile => {
            let pool = prepare_database(&settings)?;
            let mut conn = pool.get()?;
            let mut clean = true;
            for spec in settings.campaign_specs()? {
                let report = donations::reconcile::reconcile(&mut conn, &spec.slug)?;
                if report.is_clean() {
                    println!(
                        "{}: clean (raised {}, {} pledges)",
                        report.campaign, report.totals_raised, report.totals_pledges
                    );
                } else {
                    clean = false;
                    println!(
                        "{}: DIFFERENT: totals raised {} vs ledger {}; totals pledges {} vs ledger {}",
                        report.campaign,
                        report.totals_raised,
                        report.ledger_raised,
                        report.totals_pledges,
                        report.ledger_pledges
                    );
                    for d in &report.pledge_differences {
                        println!(
                            "  pledge {}: amounts count {} but its ledger rows add up to {}",
                            d.pledge_id, d.counted, d.ledger
                        );
                    }
                }
            }
            Ok(clean)
        }
        Command::Staff { command: StaffCommand::Add { email, role } } => {
            let role: Role = role.parse().map_err(|e| anyhow::anyhow!("unknown role: {e}"))?;
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password).context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            if password.chars().count() < auth::MIN_PASSWORD_LEN {
                bail!("the password must be at least {} characters", auth::MIN_PASSWORD_LEN);
            }
            let pool = prepare_database(&settings)?;
            let mut conn = pool.get()?;
            let user = auth::create_user(&mut conn, None, &NewStaffUser { email, password, role })
                .map_err(|e| anyhow::anyhow!("{}", problem_line(&e.into())))?;
            println!("staff user {} ({}) created with id {}", user.email, user.role, user.id);
            Ok(true)
        }
    }
}

fn problem_line(e: &crate::problem::ApiError) -> String {
    match e {
        crate::problem::ApiError::Invalid(fields) => {
            fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}
