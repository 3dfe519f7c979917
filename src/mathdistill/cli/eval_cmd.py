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
    t.add_row("samples per problem", *[str(m.get("n", "-")) for m in metrics.values()])
    for k in names:
        cells = []
        for m in metrics.values():
            v = m.get(k)
            cells.append("-" if not v or v.get("value") is None else
                         f"{100 * v['value']:.1f} [{100 * v['ci'][0]:.1f}, {100 * v['ci'][1]:.1f}]")
        t.add_row(k, *cells)
        if k == "mean@n":  # avg@n: the spread of the n runs it averages
            t.add_row("  sd over the n runs", *["-" if not m.get("runs") else f"{100 * m['runs']['std']:.1f}"
                                                for m in metrics.values()])
    for k in ("extraction_failure_rate", "truncation_rate"):
        t.add_row(k.replace("_", " "), *["-" if m.get(k) is None else f"{100 * m[k]:.1f}%" for m in metrics.values()])
    console.print(t)
    for ds, m in metrics.items():
        a = m.get("verifier_agreement")
        if a and a.get("n"):
            console.print(f"{ds}: our grader agrees with reasoning-gym's scorer on {a['agree']}/{a['n']} samples "
                          f"({100 * a['rate']:.1f}%; only ours correct {a['ours_only']}, only theirs "
                          f"{a['theirs_only']})", highlight=False, markup=False)
    timing = doc.get("timing", {})
    if timing:
        console.print("timing (s): " + ", ".join(f"{k}={v}" for k, v in timing.items()), highlight=False)


def print_plan(p: dict[str, Any]) -> None:
    """`eval --dry-run`: the datasets (a suite expanded) with n and origin, then the sampling settings."""
    from rich.markup import escape
    from rich.table import Table

    title = f"eval plan: {p['model']}" + (f"  (suite {p['suite']})" if p.get("suite") else "") + f" -> {p['out']}"
    t = Table(title=title, show_edge=False)
    for col in ("dataset", "n", "limit", "answer", "usual max_new_tokens", "problems from"):
        t.add_column(col, overflow="fold")
    for r in p["datasets"]:
        t.add_row(r["dataset"], str(r["n"]), str(r["limit"] or "all"), str(r["answer_type"] or "-"),
                  str(r["usual_max_new_tokens"] or "-"), escape(r["from"]))
    console.print(t)
    sp = p["sampling"]
    console.print("sampling: " + ", ".join(f"{k}={sp[k]}" for k in ("temperature", "top_p", "max_tokens",
                                                                    "greedy_pass", "backend", "batch_size")),
                  highlight=False)


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
        dry_run: Annotated[bool, Opt("--dry-run", help="Print the datasets (a suite expanded), n and sampling "
                                                       "settings; run nothing.")] = False,
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
            if dry_run:
                from mathdistill.eval.pipeline import plan

                print_plan(plan(cfg))
                return
            from mathdistill.eval.pipeline import run_eval

            doc = run_eval(cfg, progress=progress)
        print_summary(doc)
        console.print(f"wrote {Path(cfg.out) / 'results.json'}", highlight=False)
