"""Run one stage into its folder, and the completion marker that lets a rerun skip it.

The marker (`mathdistill_stage.json`) is written last and atomically (tmp + os.replace), so
a folder without one is unfinished whatever else it holds; rerunning resumes it because every
stage resumes on its own (sampling continues after the last sample on disk, training from
its last checkpoint, eval from its generations cache, curation and imports are redone or
resume). The marker stores a hash of the stage's resolved config: a finished folder made
with other settings is refused rather than silently reused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from mathdistill.errors import ConfigError
from mathdistill.io.atomic import write_json_atomic
from mathdistill.pipeline.plan import Stage

MARKER = "mathdistill_stage.json"
_VOLATILE = ("progress", "grading_workers", "grade_workers", "workers", "logging_steps", "report_to",
             "dataloader_num_workers", "batch_requests", "resume_from_checkpoint")


def stage_key(stage: Stage) -> str:
    d = dataclasses.asdict(stage.config) if dataclasses.is_dataclass(stage.config) else {"config": stage.config}
    for k in _VOLATILE:
        d.pop(k, None)
    # Paths inside the run dir are keyed relative to it, so a run moved or named by another
    # relative path (--out ./runs/x vs runs/x) still recognises its finished stages.
    blob = json.dumps(d, sort_keys=True, default=str).replace(str(stage.path.parent), "RUN")
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def marker_path(stage: Stage) -> Path:
    return stage.path / MARKER


def status(stage: Stage) -> str:
    """done | pending | stale (finished with another config) | partial (started, unfinished)."""
    if stage.kind == "report":
        return "always"
    m = marker_path(stage)
    if m.exists():
        try:
            key = json.loads(m.read_text()).get("key")
        except (OSError, json.JSONDecodeError):
            key = None
        return "done" if key == stage_key(stage) else "stale"
    return "partial" if stage.path.exists() and any(stage.path.iterdir()) else "pending"


def mark_done(stage: Stage, seconds: float, result: dict[str, Any] | None = None) -> None:
    doc = {"status": "complete", "stage": stage.id, "kind": stage.kind, "key": stage_key(stage),
           "seconds": round(seconds, 2), "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
           "result": _brief(result or {})}
    stage.path.mkdir(parents=True, exist_ok=True)
    write_json_atomic(marker_path(stage), doc)


def _brief(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if isinstance(v, int | float | str | bool) or v is None}


def check_not_stale(stage: Stage) -> None:
    if status(stage) == "stale":
        raise ConfigError(f"{stage.path} was completed with other settings than this config's "
                          f"(see its {MARKER} and config.yaml); delete the folder to redo it, or use another --out")


def execute(stage: Stage, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) one stage; returns a small summary dict."""
    stage.path.mkdir(parents=True, exist_ok=True)
    fn = {"import": _import, "sample": _sample, "curate": _curate, "train": _train, "eval": _eval}[stage.kind]
    return fn(stage, progress)


def _import(stage: Stage, progress: bool) -> dict[str, Any]:
    from mathdistill.curation.importers import TDG_MAPPING, PoolMapping, import_pool

    a = stage.config
    mapping = TDG_MAPPING if a.kind == "tdg" else PoolMapping(**a.mapping)
    return import_pool(a.path, stage.path, mapping, workers=a.workers, limit=a.limit, timeout_s=a.timeout_s,
                       progress=progress)


def _sample(stage: Stage, progress: bool) -> dict[str, Any]:
    cfg = stage.config
    if stage.round > 1:
        # A trained student may be a PEFT adapter: merged once (cached) so vLLM/HF can load it.
        from mathdistill.eval.model_prep import prepare_model

        cfg = dataclasses.replace(cfg, model=prepare_model(cfg.model, cfg.backend))
    if cfg.ray:
        from mathdistill.sampling.ray_runner import run_ray

        return run_ray(cfg)
    from mathdistill.sampling.runner import run_sampling

    return run_sampling(cfg)


def _curate(stage: Stage, progress: bool) -> dict[str, Any]:
    from mathdistill.curation.pipeline import curate
    from mathdistill.pipeline.pool import union_samples

    src = stage.inputs[0] if len(stage.inputs) == 1 else union_samples(stage.inputs, stage.path / "input")
    stats = curate(src, stage.path, stage.config, progress=progress)
    return {k: v for k, v in (stats.get("files") or {}).items()}


def _train(stage: Stage, progress: bool) -> dict[str, Any]:
    # Looked up at call time so tests can monkeypatch mathdistill.training.run_training.
    from mathdistill import training

    return training.run_training(stage.config, progress=progress) or {}


def _eval(stage: Stage, progress: bool) -> dict[str, Any]:
    from mathdistill.eval.pipeline import run_eval

    doc = run_eval(stage.config, progress=progress)
    return {f"{ds}/{k}": v for ds, row in (doc.get("summary") or {}).items() for k, v in row.items()
            if k in ("greedy", "mean@n")}
