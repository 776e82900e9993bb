//! The `hearth` binary: parses the command line, sets up logging, runs the command.

use clap::Parser;
use hearth::cli::{Cli, Command};
use hearth::config::Config;

// mimalloc serves the many small, short-lived allocations of request handling with less
// contention and fragmentation than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[hearth::http::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let explicit_log = cli.settings.log.is_some();
    let config = match Config::resolve(cli.settings) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    // Commands other than `serve` print their own results; their logs stay quiet unless asked.
    let filter = if matches!(cli.command, Command::Serve) || explicit_log { config.log.as_str() } else { "warn" };
    hearth::telemetry::init_logs(config.log_format, filter);
    match hearth::cli::run(cli.command, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // With its causes: a database error's own text is only "db error".
            eprintln!("error: {}", hearth::telemetry::error_chain(err.as_ref()));
            std::process::ExitCode::FAILURE
        }
    }
}
