"""`run_pipeline`: run the planned stages in order, skipping finished ones, then summarize.

The run folder records the resolved RunConfig (config.yaml), the plan and library versions
(run.json), the before/after summary (summary.json) and the HTML report (report.html).
Progress: one line per stage with elapsed time and an ETA for the rest of the run (from
`eta` seconds per stage kind, scaled by how fast this run's finished stages actually
went); each long stage shows its own progress bar.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mathdistill.errors import ConfigError
from mathdistill.io.atomic import write_json_atomic
from mathdistill.io.lock import output_lock
from mathdistill.io.redact import redact
from mathdistill.pipeline.config import RunConfig
from mathdistill.pipeline.plan import KINDS, Stage, build_plan
from mathdistill.pipeline.stages import Engines, check_not_stale, execute, mark_done, status

log = logging.getLogger(__name__)


def run_dir_of(cfg: RunConfig) -> Path:
    if not cfg.out:
        raise ConfigError("the run needs an output folder: `out:` in the config or --out DIR")
    return Path(cfg.out)


def select(stages: list[Stage], names: list[str] | None) -> list[Stage]:
    """The stages `names` picks (None: all). A selection naming nothing (`[]`, `[""]`) is refused:
    taken as "all" or as "none" it would silently run something else than asked."""
    if names is None:
        return stages
    want = {n.strip() for n in names if n.strip()}
    if not want:
        raise ConfigError(f"--stages {','.join(names)!r} names no stage (e.g. --stages sample,curate or "
                          "--stages train_sft)")
    known = set(KINDS) | {s.id for s in stages} | {s.id.rsplit("_r", 1)[0] for s in stages}
    bad = sorted(want - known)
    if bad:
        raise ConfigError(f"--stages: unknown stage(s) {', '.join(bad)} (known: {', '.join(sorted(known))})")
    return [s for s in stages if s.matches(want)]


def describe_plan(stages: list[Stage], chosen: list[Stage]) -> list[dict[str, Any]]:
    ids = {s.id for s in chosen}
    return [{"stage": s.id, "kind": s.kind, "round": s.round, "folder": str(s.path), "status": status(s, stages),
             "selected": s.id in ids,
             "config": redact(dataclasses.asdict(s.config) if dataclasses.is_dataclass(s.config) else s.config)}
            for s in stages]


def check_options(stages: list[Stage]) -> None:
    """What the sample and eval stages would refuse at their start (backend options, a dataset given
    twice), refused before anything is written or loaded."""
    from mathdistill.eval.pipeline import check_before_work
    from mathdistill.sampling.base import check_backend_options

    for s in stages:
        if s.kind == "sample":
            check_backend_options(s.config.backend, s.config.backend_kwargs())
        elif s.kind == "eval":
            check_before_work(s.config)


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
                 on_plan: Callable[[list[dict[str, Any]]], None] | None = None) -> dict[str, Any]:
    """Run (or resume) the job; returns {"plan": ..., "summary": ... or None, "report": path or None}.

    `on_plan` sees the plan (describe_plan's rows) before any stage runs, e.g. to show it.
    """
    run = run_dir_of(cfg)
    plan_stages = build_plan(cfg, run)
    chosen = select(plan_stages, stages)
    check_options(plan_stages)
    if dry_run:
        plan = describe_plan(plan_stages, chosen)
        if on_plan is not None:
            on_plan(plan)
        return {"plan": plan, "summary": None, "report": None}
    # One writer per run folder; the stages lock their own folders below it.
    with output_lock(run, "run"):
        return _run_locked(cfg, run, plan_stages, chosen, on_plan)


def _run_locked(cfg: RunConfig, run: Path, plan_stages: list[Stage], chosen: list[Stage],
                on_plan: Callable[[list[dict[str, Any]]], None] | None) -> dict[str, Any]:
    plan = describe_plan(plan_stages, chosen)
    check_not_stale(chosen, plan_stages)
    _write_run_info(run, cfg, plan)
    if on_plan is not None:
        on_plan(plan)
    todo = [s for s in chosen if status(s, plan_stages) != "done"]
    eta, t_run = Eta(cfg.eta), time.perf_counter()
    engines = Engines()
    try:
        summary = _run_stages(cfg, todo, plan_stages, run, eta, t_run, engines)
    finally:
        engines.release()
    log.info("run finished in %s -> %s", _fmt(time.perf_counter() - t_run), run)
    return {"plan": plan, "summary": summary, "report": str(run / "report.html") if summary is not None else None}


def _run_stages(cfg: RunConfig, todo: list[Stage], plan_stages: list[Stage], run: Path, eta: Eta, t_run: float,
                engines: Engines) -> dict[str, Any] | None:
    summary = None
    for i, s in enumerate(todo):
        if s.kind not in ("sample", "eval"):
            engines.idle(todo[i + 1:])  # closed, unless a later stage takes it and it waits cheaply
        rest = eta.remaining([x.kind for x in todo[i:]])
        log.info(">>> [%d/%d] %s  elapsed %s%s", i + 1, len(todo), s.id, _fmt(time.perf_counter() - t_run),
                 f", ETA {_fmt(rest)} for the rest (rough)" if rest is not None else "")
        t0 = time.perf_counter()
        if s.kind == "report":
            summary = finish(cfg, plan_stages, run)
        else:
            result = execute(s, cfg.progress, engines)
            mark_done(s, time.perf_counter() - t0, result, plan_stages)
        eta.done(s.kind, time.perf_counter() - t0)
        log.info("<<< %s done in %s", s.id, _fmt(time.perf_counter() - t0))
    return summary


def finish(cfg: RunConfig, stages: list[Stage], run: Path) -> dict[str, Any]:
    """summary.json (returned, with its verdict lines) + report.html, from whatever evals are complete."""
    from mathdistill.pipeline.report import write_report
    from mathdistill.pipeline.summary import build_summary, verdict, write_summary

    evals = [s for s in stages if s.kind == "eval" and status(s, stages) == "done"]
    doc = build_summary(evals, cfg.summary_metric, cfg.n_boot, cfg.eval.seed, cfg.compare_to)
    doc["verdict"] = verdict(doc)
    write_summary(doc, run / "summary.json")
    done = [s for s in stages if s.kind in ("curate", "train", "eval") and status(s, stages) == "done"]
    write_report(run / "report.html", done, doc, title=f"mathdistill run: {run.name}")
    return doc
