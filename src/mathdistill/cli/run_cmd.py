"""`mathdistill run CONFIG.yaml`: sample -> curate -> train -> eval -> report, resumable.

The pipeline logs one line per stage; this module shows its plan before and its summary after.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from mathdistill.cli.common import SetOpt, console
from mathdistill.cli.options import config_options
from mathdistill.pipeline.config import RunConfig

OStr = Optional[str]  # noqa: UP045


def register(app: typer.Typer) -> None:
    @app.command("run")
    @config_options(RunConfig, only=("out", "progress"))
    def run(
        config: Annotated[str, typer.Argument(help="Run config YAML (see configs/run_*.yaml).")],
        set_: SetOpt = None,
        stages: Annotated[OStr, typer.Option(
            "--stages", help="Comma-separated subset: kinds (sample,curate,train,eval,report) or folders "
                             "(train_sft, eval_base, sample_r2).")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and resolved configs only.")] = False,
        *,
        flags: dict[str, Any],
    ) -> None:
        """Run the whole job from one config; rerun the same command to resume after a kill.

        Example: mathdistill run configs/run_rft_gsm8k.yaml --out runs/rft --set sample.k=4 --dry-run
        """
        from mathdistill.pipeline import load_run_config

        run_and_show(load_run_config(config, set_, flags), stages, dry_run)


def run_and_show(cfg: RunConfig, stages: str | None, dry_run: bool) -> dict[str, Any]:
    """run_pipeline with its plan shown first and its before/after summary last."""
    from mathdistill.pipeline import run_pipeline

    res = run_pipeline(cfg, stages=parse_stages(stages), dry_run=dry_run,
                       on_plan=lambda plan: print_plan(plan, show_configs=dry_run))
    summary = res["summary"]
    if summary is not None:
        if summary["models"]:
            print_summary(summary)
        for line in summary["verdict"]:
            console.print(line, highlight=False)
    if res["report"]:
        console.print(f"report: {res['report']}", highlight=False)
    return res


def parse_stages(stages: str | None) -> list[str] | None:
    """`--stages a,b` as a list, blanks kept: `pipeline.runner.select` refuses one naming nothing."""
    return None if stages is None else stages.split(",")


def print_plan(plan: list[dict[str, Any]], show_configs: bool = True) -> None:
    import yaml
    from rich.table import Table

    t = Table(title="plan", show_edge=False)
    for c in ("#", "stage", "folder", "status", "run now"):
        t.add_column(c)
    for i, p in enumerate(plan, 1):
        t.add_row(str(i), p["stage"], p["folder"], p["status"], "yes" if p["selected"] and p["status"] != "done"
                  else "skip (done)" if p["status"] == "done" else "no")
    console.print(t)
    if show_configs:
        for p in plan:
            if p["config"] is not None:
                console.rule(f"{p['stage']} ({p['kind']})")
                console.print(yaml.safe_dump(p["config"], sort_keys=False), highlight=False, markup=False)


def _pct(v: dict | None) -> str:
    if not v or v.get("value") is None:
        return "-"
    ci = v.get("ci") or [None, None]
    return f"{100 * v['value']:.1f} [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci[0] is not None else \
        f"{100 * v['value']:.1f}"


def print_summary(doc: dict[str, Any]) -> None:
    """summary.json as a table: each model's accuracy per dataset, and its difference to the base student."""
    from rich.table import Table

    t = Table(title=f"{doc['metric']} accuracy (%, 95% CI); difference vs base: paired bootstrap", show_edge=False)
    for c in ("model", "dataset", "accuracy", "vs base (points)", "significant"):
        t.add_column(c, justify="left" if c in ("model", "dataset") else "right")
    comps = {(c["label"], c["dataset"]): c for c in doc["comparisons"]}
    for m in doc["models"]:
        for ds, v in m["datasets"].items():
            c = comps.get((m["label"], ds))
            diff = "-" if not c or c["diff"] is None else \
                f"{100 * c['diff']:+.1f} [{100 * c['ci'][0]:+.1f}, {100 * c['ci'][1]:+.1f}]"
            sig = "-" if not c or c["diff"] is None else ("yes" if c["significant"] else "no")
            t.add_row(m["label"], ds, _pct(v), diff, sig)
    console.print(t)
    if doc.get("versus"):
        v = Table(title=f"{doc['metric']}: difference vs the compare_to steps (points, paired bootstrap)",
                  show_edge=False)
        for c in ("model", "vs", "dataset", "difference", "p", "significant"):
            v.add_column(c, justify="left" if c in ("model", "vs", "dataset") else "right")
        for c in doc["versus"]:
            if c["diff"] is not None:
                v.add_row(c["label"], c["against"], c["dataset"],
                          f"{100 * c['diff']:+.1f} [{100 * c['ci'][0]:+.1f}, {100 * c['ci'][1]:+.1f}]",
                          f"{c['p_value']:.3f}", "yes" if c["significant"] else "no")
        console.print(v)
