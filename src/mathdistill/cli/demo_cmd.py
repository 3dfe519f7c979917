"""`mathdistill demo --out DIR`: the whole job on the embedded model, on CPU, in minutes.

It is `mathdistill run configs/demo.yaml --out DIR`: SmolLM2-135M samples itself on 1-step
arithmetic word problems (vLLM if importable, else HF), RFT = SFT on its own correct answers,
then the same greedy eval before and after with 95% CIs, and an HTML report. It ends with a
plain statement of whether the student improved and whether that is significant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mathdistill.cli.common import SetOpt, console

OStr = Optional[str]  # noqa: UP045


def demo_config_path() -> Path:
    # Shipped inside the package (configs/demo.yaml in a clone links here), so a wheel install finds it too.
    from importlib.resources import files

    return Path(str(files("mathdistill.pipeline") / "demo.yaml"))


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        out: Annotated[str, typer.Option("--out", help="Run directory (rerun the same command to resume).")]
        = "runs/demo",
        set_: SetOpt = None,
        config: Annotated[OStr, typer.Option("--config", help="Another demo config (default: the shipped configs/demo.yaml).")]
        = None,
        stages: Annotated[OStr, typer.Option("--stages", help="Run only these stages (see `mathdistill run`).")]
        = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan only.")] = False,
    ) -> None:
        """RFT demo: SmolLM2 learns from its own correct answers to arithmetic word problems; before vs after."""
        from mathdistill.cli.run_cmd import run_and_show
        from mathdistill.errors import ConfigError
        from mathdistill.pipeline import load_run_config
        from mathdistill.pipeline.plan import resolve_backend

        path = Path(config) if config else demo_config_path()
        if not path.exists():
            raise ConfigError(f"demo config not found: {path} (pass --config FILE.yaml)")
        cfg = load_run_config(path, set_, {"out": out})
        console.print(f"demo: {path.name}, teacher/student {cfg.teacher}/{cfg.student}, data {cfg.data.train} "
                      f"({cfg.data.train_limit} train / {cfg.data.test_limit} test problems), backend "
                      f"{resolve_backend(cfg.backend)}, -> {out}", highlight=False)
        res = run_and_show(cfg, stages, dry_run)
        if res["summary"] is not None:
            console.print(conclusion(res["summary"]), highlight=False)


def conclusion(summary: dict) -> str:
    """One honest sentence about the headline comparison (the first trained model, first dataset)."""
    comps = [c for c in summary.get("comparisons", []) if c.get("diff") is not None]
    if not comps:
        return "[yellow]No before/after comparison yet (run all stages).[/yellow]"
    c = comps[0]
    pts = f"{100 * c['diff']:+.1f} points, 95% CI [{100 * c['ci'][0]:+.1f}, {100 * c['ci'][1]:+.1f}]"
    if c["significant"] and c["diff"] > 0:
        return f"[bold green]The student improved significantly ({pts}; paired bootstrap).[/bold green]"
    if c["significant"]:
        return f"[bold red]The student got significantly worse ({pts}; paired bootstrap).[/bold red]"
    if c["diff"] > 0:
        return (f"[yellow]The student improved, but not significantly ({pts}): the difference could be chance "
                "at this test size; try more test problems or more training data.[/yellow]")
    return f"[yellow]The student did not improve ({pts}).[/yellow]"
