"""`mathdistill run CONFIG.yaml`: sample -> curate -> train -> eval -> report, resumable."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mathdistill.cli.common import SetOpt, console

OStr = Optional[str]  # noqa: UP045


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        config: Annotated[str, typer.Argument(help="Run config YAML (see configs/run_*.yaml).")],
        out: Annotated[OStr, typer.Option("--out", help="Run directory (default: `out:` of the config).")] = None,
        set_: SetOpt = None,
        stages: Annotated[OStr, typer.Option(
            "--stages", help="Comma-separated subset: kinds (sample,curate,train,eval,report) or folders "
                             "(train_sft, eval_base, sample_r2).")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and resolved configs only.")] = False,
        progress: Annotated[Optional[bool], typer.Option(  # noqa: UP045
            "--progress/--no-progress", help="Progress bars.")] = None,
    ) -> None:
        """Run the whole job from one config; rerun the same command to resume after a kill.

        Example: mathdistill run configs/run_rft_gsm8k.yaml --out runs/rft --set sample.k=4 --dry-run
        """
        from mathdistill.pipeline import load_run_config, run_pipeline

        cfg = load_run_config(config, set_, {"out": out, "progress": progress})
        run_pipeline(cfg, stages=stages.split(",") if stages else None, dry_run=dry_run, console=console)
