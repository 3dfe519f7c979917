"""`mathdistill train`: SFT/RFT (full or LoRA), LoRA-neg, MIX, NT, UL, DPO, KTO, NAT, NCE, ranker."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mathdistill.cli.common import ConfigOpt, SetOpt, console, no_folder_if_refused
from mathdistill.cli.options import config_options
from mathdistill.training.config import TrainConfig


def register(app: typer.Typer) -> None:
    @app.command("train")
    @config_options(TrainConfig)
    def train(
        config: ConfigOpt = None,
        set_: SetOpt = None,
        *,
        flags: dict[str, Any],
        progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bar.")] = True,
    ) -> None:
        """Train a student on curated data; rerun the same command to resume after a crash."""
        from mathdistill.config import load_config, save_resolved
        from mathdistill.models.registry import resolve_model
        from mathdistill.training import run_training

        cfg = load_config(TrainConfig, config, set_, flags)
        resolve_model(cfg.model, prepare=False)  # a local path that is not there: refused before torch loads
        with no_folder_if_refused(cfg.output_dir):
            save_resolved(cfg, cfg.output_dir)
            doc = run_training(cfg, progress=progress)
        m = doc.get("metrics") or {}
        bits = [f"{k}={m[k]:.4g}" if isinstance(m[k], float) else f"{k}={m[k]}"
                for k in ("global_step", "first_loss", "last_loss", "train_loss", "wall_s") if m.get(k) is not None]
        console.print(f"train {cfg.method}: {cfg.output_dir}  " + "  ".join(bits), highlight=False)
