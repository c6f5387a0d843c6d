//! The window (placeholder until the GUI lands).

use crate::cli::GuiArgs;

pub fn run(_args: GuiArgs) -> anyhow::Result<()> {
    anyhow::bail!("the window is not built yet; use `feedlab run SCENARIO --out DIR`")
}
