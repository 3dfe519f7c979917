"""`mathdistill sample`: teacher sampling with rejection sampling (RFT, DARS-Uniform, DARS-Prop2Diff)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mathdistill.cli.common import ConfigOpt, SetOpt, console
from mathdistill.cli.options import config_options
from mathdistill.sampling.config import SampleConfig

Opt = typer.Option


def register(app: typer.Typer) -> None:
    _register_merge(app)

    @app.command("sample")
    @config_options(SampleConfig)
    def sample(config: ConfigOpt = None, set_: SetOpt = None, *, flags: dict[str, Any]) -> None:
        """Sample teacher responses, grade every one, and keep them all (resumable with kill -9).

        Example: mathdistill sample --data gsm8k --split test --limit 6 --model smollm2 --backend hf
        --strategy vanilla --k 2 --max-new-tokens 64 --out runs/s1
        """
        from mathdistill.config import load_config

        cfg = load_config(SampleConfig, config, set_, flags)
        if cfg.ray:
            from mathdistill.sampling.ray_runner import run_ray

            summary = run_ray(cfg)
        else:
            from mathdistill.sampling.runner import run_sampling

            summary = run_sampling(cfg)
        console.print(
            f"[bold]{summary['problems']}[/bold] problems, {summary['samples']} samples, "
            f"{summary['correct']} correct (acceptance {summary['acceptance_rate']:.3f}), "
            f"{summary['problems_with_correct']} problems with a correct sample, "
            f"{summary.get('tokens_per_s', 0.0):.1f} tokens/s -> {summary['out']}", highlight=False)


def _register_merge(app: typer.Typer) -> None:
    @app.command("merge-samples")
    def merge_samples(
        shard_dirs: Annotated[list[str], typer.Argument(help="Output dirs of `sample --num-shards N --shard-index i`.")],
        out: Annotated[str, Opt("-o", "--out", help="Merged output dir.")],
    ) -> None:
        """Merge sharded sampling runs into one samples dir (refuses overlapping shards)."""
        from pathlib import Path

        from mathdistill.config import check_option
        from mathdistill.store.combine import merge_run_info, merge_shards

        check_option("--out", out, folder=True)
        dirs = [Path(d) for d in shard_dirs]
        n_samples, n_stats = merge_shards(Path(out), dirs)
        merge_run_info(Path(out), dirs)
        typer.echo(f"merged {len(dirs)} shards: {n_samples} samples, {n_stats} problems -> {out}")
