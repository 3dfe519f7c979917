"""`run_pipeline`: run the planned stages in order, skipping finished ones, then summarize.

The run folder records the resolved RunConfig (config.yaml), the plan and library versions
(run.json), the before/after summary (summary.json) and the HTML report (report.html).
Progress: one line per stage with elapsed time and an ETA for the rest of the run (from
`eta` seconds per stage kind, scaled by how fast this run's finished stages actually
went); each long stage shows its own progress bar.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from mathdistill.errors import ConfigError
from mathdistill.io.atomic import write_json_atomic
from mathdistill.pipeline.config import RunConfig
from mathdistill.pipeline.plan import KINDS, Stage, build_plan
from mathdistill.pipeline.stages import check_not_stale, execute, mark_done, status


def run_dir_of(cfg: RunConfig) -> Path:
    if not cfg.out:
        raise ConfigError("the run needs an output folder: `out:` in the config or --out DIR")
    return Path(cfg.out)


def select(stages: list[Stage], names: list[str] | None) -> list[Stage]:
    if not names:
        return stages
    want = {n.strip() for n in names if n.strip()}
    known = set(KINDS) | {s.id for s in stages} | {s.id.rsplit("_r", 1)[0] for s in stages}
    bad = sorted(want - known)
    if bad:
        raise ConfigError(f"--stages: unknown stage(s) {', '.join(bad)} (known: {', '.join(sorted(known))})")
    return [s for s in stages if s.matches(want)]


def describe_plan(stages: list[Stage], chosen: list[Stage]) -> list[dict[str, Any]]:
    ids = {s.id for s in chosen}
    return [{"stage": s.id, "kind": s.kind, "round": s.round, "folder": str(s.path), "status": status(s),
             "selected": s.id in ids,
             "config": dataclasses.asdict(s.config) if dataclasses.is_dataclass(s.config) else s.config}
            for s in stages]


def print_plan(plan: list[dict[str, Any]], console: Any, show_configs: bool = True) -> None:
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


def _write_run_info(run: Path, cfg: RunConfig, plan: list[dict[str, Any]]) -> None:
    from mathdistill.config import save_resolved
    from mathdistill.runinfo import run_metadata

    run.mkdir(parents=True, exist_ok=True)
    save_resolved(cfg, run)
    meta = run_metadata(config=cfg, extra={"stage": "run", "plan": [{k: v for k, v in p.items() if k != "config"}
                                                                    for p in plan]})
    write_json_atomic(run / "run.json", meta)


class Eta:
    """Remaining-time estimate: configured seconds per stage kind, scaled by observed speed."""

    def __init__(self, estimates: dict[str, float]):
        self.est, self.spent_est, self.spent_real = estimates, 0.0, 0.0

    def done(self, kind: str, seconds: float) -> None:
        if kind in self.est:
            self.spent_est += self.est[kind]
            self.spent_real += seconds

    def remaining(self, kinds: list[str]) -> float | None:
        if not self.est:
            return None
        scale = self.spent_real / self.spent_est if self.spent_est > 0 else 1.0
        return scale * sum(self.est.get(k, 0.0) for k in kinds)


def _fmt(s: float) -> str:
    s = round(s)
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def run_pipeline(cfg: RunConfig, *, stages: list[str] | None = None, dry_run: bool = False,
                 console: Any = None) -> dict[str, Any]:
    """Run (or resume) the job; returns {"plan": ..., "summary": ... or None}."""
    from rich.console import Console

    console = console or Console()
    run = run_dir_of(cfg)
    plan_stages = build_plan(cfg, run)
    chosen = select(plan_stages, stages)
    plan = describe_plan(plan_stages, chosen)
    if dry_run:
        print_plan(plan, console)
        return {"plan": plan, "summary": None}
    for s in chosen:
        check_not_stale(s)
    _write_run_info(run, cfg, plan)
    print_plan(plan, console, show_configs=False)
    todo = [s for s in chosen if status(s) != "done"]
    eta, t_run = Eta(cfg.eta), time.perf_counter()
    _engines(True)
    try:
        summary = _run_stages(cfg, todo, plan_stages, run, eta, t_run, console)
    finally:
        _engines(False)
    console.print(f"run finished in {_fmt(time.perf_counter() - t_run)} -> {run}", highlight=False)
    return {"plan": plan, "summary": summary}


def _engines(keep: bool) -> None:
    """Park a vLLM engine between stages that use the same model (sample -> eval_base): a CPU
    engine start costs about a minute and a half. Training stages release it first."""
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        return
    from mathdistill.sampling.backends.vllm_backend import keep_engines

    keep_engines(keep)


def _run_stages(cfg: RunConfig, todo: list[Stage], plan_stages: list[Stage], run: Path, eta: Eta, t_run: float,
                console: Any) -> dict[str, Any] | None:
    summary = None
    for i, s in enumerate(todo):
        if s.kind not in ("sample", "eval"):
            _engines(False)
            _engines(True)
        rest = eta.remaining([x.kind for x in todo[i:]])
        console.print(f"[bold]>>> [{i + 1}/{len(todo)}] {s.id}[/bold]  elapsed {_fmt(time.perf_counter() - t_run)}"
                      + (f", ETA {_fmt(rest)} for the rest (rough)" if rest is not None else ""), highlight=False)
        t0 = time.perf_counter()
        if s.kind == "report":
            summary = finish(cfg, plan_stages, run, console)
        else:
            result = execute(s, cfg.progress)
            mark_done(s, time.perf_counter() - t0, result)
        eta.done(s.kind, time.perf_counter() - t0)
        console.print(f"<<< {s.id} done in {_fmt(time.perf_counter() - t0)}", highlight=False)
    return summary


def finish(cfg: RunConfig, stages: list[Stage], run: Path, console: Any) -> dict[str, Any]:
    """summary.json + the printed table + report.html, from whatever evals are complete."""
    from mathdistill.pipeline.report import write_report
    from mathdistill.pipeline.summary import build_summary, print_summary, verdict, write_summary

    evals = [s for s in stages if s.kind == "eval" and status(s) == "done"]
    doc = build_summary(evals, cfg.summary_metric, cfg.n_boot, cfg.eval.seed)
    doc["verdict"] = verdict(doc)
    write_summary(doc, run / "summary.json")
    if doc["models"]:
        print_summary(doc, console)
    for line in doc["verdict"]:
        console.print(line, highlight=False)
    done = [s for s in stages if s.kind in ("curate", "train", "eval") and status(s) == "done"]
    write_report(run / "report.html", done, doc, title=f"mathdistill run: {run.name}")
    console.print(f"report: {run / 'report.html'}", highlight=False)
    return doc
