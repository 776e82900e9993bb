//! The push benchmark's own programs (bench/push/run.sh):
//!
//! - `peer`: the providers as the servers under test see them, on this machine: APNs (HTTP/2 over
//!   TLS, `/3/device/<token>`, an ES256 provider token), FCM (the OAuth2 token endpoint and
//!   `messages:send`, a bearer it issued), and a push hook receiver (HTTP, `Hearth-Signature`
//!   checked). Each delivery is checked for what matters to a provider, answered as the provider
//!   answers, and recorded with its receipt time; a plain HTTP control port resets and reports.
//! - `calibrate`: a trivial HTTP/2 client that drives the APNs or FCM peer alone, to show that the
//!   peers are not what limits the servers' figures.
//! - `drive`: sends one push (`POST /parse/push`, master key), times it to `running` with `count`
//!   set, waits for the deliveries, samples the server's memory, and writes the figures.
mod calibrate;
mod drive;
mod peer;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Peers and driver for bench/push/run.sh")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Peer(peer::Args),
    Calibrate(calibrate::Args),
    Drive(drive::Args),
}

fn main() {
    let cli = Cli::parse();
    let threads = std::env::var("BENCH_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build().expect("tokio runtime");
    let result = rt.block_on(async move {
        match cli.command {
            Command::Peer(a) => peer::run(a).await,
            Command::Calibrate(a) => calibrate::run(a).await,
            Command::Drive(a) => drive::run(a).await,
        }
    });
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Microseconds since the Unix epoch (the clock every process on this machine shares).
pub fn now_us() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

pub type Error = Box<dyn std::error::Error + Send + Sync>;
