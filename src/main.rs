//! The `feedlab` binary: parses the command line and hands over to the library.

use clap::Parser;
use feedlab::cli::{Cli, Command, GuiArgs};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Run(args)) => feedlab::cli::run(&args),
        Some(Command::Validate { files }) => feedlab::cli::validate(&files),
        Some(Command::Gui(args)) => gui(args),
        Some(Command::Compare(args)) => feedlab::compare::compare(&args),
        Some(Command::Sweep(args)) => feedlab::sweep::sweep(&args),
        Some(Command::Merge(args)) => feedlab::sweep::merge(&args),
        None => gui(GuiArgs::default()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "window")]
fn gui(args: GuiArgs) -> anyhow::Result<()> {
    let path = args
        .scenario
        .clone()
        .unwrap_or_else(|| feedlab::cli::DEFAULT_SCENARIO.into());
    let scenario = feedlab::cli::load_scenario(&path, &args.overrides)?;
    feedlab::gui::run(feedlab::gui::GuiOptions {
        path,
        scenario,
        screenshot: args.screenshot,
        after_ticks: args.after_ticks,
        frame_stats: args.frame_stats,
        sweep: args.sweep,
        sweep_metric: args.sweep_metric,
        compare: args.compare,
        fork_at_day: args.fork_at_day,
        stop_at: None,
    })
}

#[cfg(not(feature = "window"))]
fn gui(_args: GuiArgs) -> anyhow::Result<()> {
    anyhow::bail!(
        "this feedlab was built without the window (--no-default-features); use `feedlab run SCENARIO --out DIR`"
    )
}
