"""`mathdistill eval`: greedy, mean@n, pass@k, maj@k and ASC@k on one or more benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from mathdistill.cli.common import ConfigOpt, SetOpt, console
from mathdistill.cli.options import config_options
from mathdistill.eval.config import EvalConfig

Opt = typer.Option


def print_summary(doc: dict[str, Any]) -> None:
    """Metrics (rows) x datasets (columns): value with its 95% CI, then failure rates and timing."""
    from rich.table import Table

    from mathdistill.eval.aggregate import metric_order

    metrics = doc["metrics"]
    names: list[str] = []
    for m in metrics.values():
        for k, v in m.items():
            if isinstance(v, dict) and "value" in v and k not in names:
                names.append(k)
    names.sort(key=lambda k: (-1, 0, 0) if k == "greedy" else metric_order(k))
    t = Table(title=f"eval: {doc.get('model')}  (%, 95% CI)", show_edge=False)
    t.add_column("metric")
    for ds in metrics:
        t.add_column(ds, justify="right")
    t.add_row("problems", *[str(m.get("n_problems")) for m in metrics.values()])
    for k in names:
        cells = []
        for m in metrics.values():
            v = m.get(k)
            cells.append("-" if not v or v.get("value") is None else
                         f"{100 * v['value']:.1f} [{100 * v['ci'][0]:.1f}, {100 * v['ci'][1]:.1f}]")
        t.add_row(k, *cells)
    for k in ("extraction_failure_rate", "truncation_rate"):
        t.add_row(k.replace("_", " "), *["-" if m.get(k) is None else f"{100 * m[k]:.1f}%" for m in metrics.values()])
    console.print(t)
    timing = doc.get("timing", {})
    if timing:
        console.print("timing (s): " + ", ".join(f"{k}={v}" for k, v in timing.items()), highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("eval")
    @config_options(EvalConfig)
    def eval_(
        config: ConfigOpt = None,
        set_: SetOpt = None,
        *,
        flags: dict[str, Any],
        from_samples: Annotated[Optional[str], Opt(  # noqa: UP045
            help="Recompute metrics from DIR/samples.jsonl (no model).")] = None,
        regrade: Annotated[Optional[bool], Opt(  # noqa: UP045
            "--regrade/--no-regrade", help="With --from-samples: regrade (default: only if the grader changed).")]
        = None,
        progress: Annotated[bool, Opt("--progress/--no-progress", help="Show progress bars.")] = True,
    ) -> None:
        """Evaluate a model: generate once, then greedy, mean@n, pass@k, maj@k (and ASC@k) with 95% CIs."""
        from mathdistill.config import load_config
        from mathdistill.errors import MathdistillError

        if from_samples:
            src = Path(from_samples)
            if not (src / "samples.jsonl").exists() and not src.is_file():
                raise MathdistillError(f"--from-samples {src}: no samples.jsonl there")
            if not flags.get("out"):
                raise MathdistillError("--from-samples needs --out DIR2 (the source run is left untouched)")
            base = config or (str(src / "config.yaml") if (src / "config.yaml").exists() else None)
            cfg = load_config(EvalConfig, base, set_, flags)
            from mathdistill.eval.pipeline import run_from_samples

            doc = run_from_samples(src, cfg, regrade=regrade)
        else:
            cfg = load_config(EvalConfig, config, set_, flags)
            from mathdistill.eval.pipeline import run_eval

            doc = run_eval(cfg, progress=progress)
        print_summary(doc)
        console.print(f"wrote {Path(cfg.out) / 'results.json'}", highlight=False)
