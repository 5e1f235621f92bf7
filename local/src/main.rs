//! `ivs-local`, the command line: run the local IVS, or call a running one.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ivs_local::{client, serve};

#[derive(Parser)]
#[command(
    name = "ivs-local",
    version,
    about = "The local IVS: Amazon IVS on one machine (live HLS with timed metadata, the IVS and IVS Chat APIs, chat, events)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the local stack.
    Serve(Box<serve::ServeArgs>),
    /// Take the stream offline or bring it back.
    Stream {
        #[arg(value_enum)]
        state: client::StreamState,
        /// The AWS-compatible API.
        #[arg(long, default_value = "http://127.0.0.1:4566")]
        api: String,
    },
    /// Send timed metadata into the live stream (as IVS PutMetadata).
    PutMetadata {
        /// The payload, at most 1 KB of UTF-8 (a JSON overlay for the viewer).
        metadata: String,
        #[arg(long, default_value = "http://127.0.0.1:4566")]
        api: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=warn".into()))
        .with_target(false)
        .init();
    let result = match Cli::parse().command {
        Command::Serve(args) => serve::run(*args).await,
        Command::Stream { state, api } => client::set_stream(&api, state).await,
        Command::PutMetadata { metadata, api } => client::put_metadata(&api, &metadata).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ivs-local: {e:#}");
            ExitCode::FAILURE
        }
    }
}
