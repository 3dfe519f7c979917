"""Run one stage into its folder, and the completion marker that lets a rerun skip it.

The marker (`mathdistill_stage.json`) is written last and atomically (tmp + os.replace), so
a folder without one is unfinished whatever else it holds; rerunning resumes it because every
stage resumes on its own (sampling continues after the last sample on disk, training from
its last checkpoint, eval from its generations cache, curation and imports are redone or
resume). The marker stores a key of the stage's resolved config and of the keys of the stages
it reads (its `inputs` and every stage folder its config names): a finished folder made with
other settings, or from an upstream stage since redone with other settings, is refused rather
than silently reused (and a summary never credits an old model to new data).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathdistill.errors import ConfigError
from mathdistill.io.atomic import write_json_atomic
from mathdistill.io.settings import settings_key, settings_of
from mathdistill.pipeline.plan import Stage

if TYPE_CHECKING:
    from mathdistill.sampling.base import Backend, BackendSpec

logger = logging.getLogger(__name__)

MARKER = "mathdistill_stage.json"


def upstream(stage: Stage, plan: Sequence[Stage]) -> list[Stage]:
    """The stages of `plan` whose folders `stage` reads: its `inputs`, and every stage folder its
    config names (a model, a data file inside it, a placeholder resolved at plan time)."""
    blob = json.dumps(settings_of(stage.config), sort_keys=True, default=str)
    inputs = {str(p) for p in stage.inputs}
    out = []
    for s in plan:
        if s is stage or s.kind == "report":
            continue
        # As the JSON text spells the path, followed by a separator or the end of the string:
        # run/sample must not match run/sample_r2.
        spelled = re.escape(json.dumps(str(s.path))[1:-1])
        if str(s.path) in inputs or re.search(spelled + r'(?=["/]|\\)', blob):
            out.append(s)
    return out


def stage_key(stage: Stage, plan: Sequence[Stage] = (), _memo: dict[str, str] | None = None, *,
              legacy: bool = False) -> str:
    """The key of the stage's settings and of the keys of the stages it reads (recursively).
    `legacy`: keyed as markers written before unset fields left the key were (io.settings.settings_key)."""
    memo = {} if _memo is None else _memo
    if stage.id not in memo:
        memo[stage.id] = "cycle"  # a plan never has one; should it, the recursion still ends
        ups = {u.id: stage_key(u, plan, memo, legacy=legacy) for u in upstream(stage, plan)}
        # Paths inside the run dir are keyed relative to it, so a run moved or named by another
        # relative path (--out ./runs/x vs runs/x) still recognises its finished stages.
        memo[stage.id] = settings_key(settings_of(stage.config, upstream=ups), replace={str(stage.path.parent): "RUN"},
                                      legacy=legacy)
    return memo[stage.id]


def marker_path(stage: Stage) -> Path:
    return stage.path / MARKER


def status(stage: Stage, plan: Sequence[Stage] = ()) -> str:
    """done | pending | stale (finished with another config, or from inputs since redone with
    another) | partial (started, unfinished). `plan`: the whole plan, where the upstream stages are."""
    if stage.kind == "report":
        return "always"
    m = marker_path(stage)
    if m.exists():
        try:
            key = json.loads(m.read_text()).get("key")
        except (OSError, json.JSONDecodeError):
            key = None
        return "done" if key == stage_key(stage, plan) or key == stage_key(stage, plan, legacy=True) else "stale"
    return "partial" if stage.path.exists() and any(stage.path.iterdir()) else "pending"


def mark_done(stage: Stage, seconds: float, result: dict[str, Any] | None = None,
              plan: Sequence[Stage] = ()) -> None:
    doc = {"status": "complete", "stage": stage.id, "kind": stage.kind, "key": stage_key(stage, plan),
           "upstream": {u.id: stage_key(u, plan) for u in upstream(stage, plan)},
           "seconds": round(seconds, 2), "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
           "result": _brief(result or {})}
    stage.path.mkdir(parents=True, exist_ok=True)
    write_json_atomic(marker_path(stage), doc)


def _brief(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if isinstance(v, int | float | str | bool) or v is None}


def check_not_stale(stages: Sequence[Stage], plan: Sequence[Stage]) -> None:
    """Refuse, in one line naming them all, finished stages whose settings or inputs changed."""
    stale = [s for s in stages if status(s, plan) == "stale"]
    if not stale:
        return
    names = ", ".join(str(s.path) for s in stale)
    one = len(stale) == 1
    raise ConfigError(f"{names} {'was' if one else 'were'} completed with other settings than this config's, "
                      f"or from a stage it reads that has changed since (see {'its' if one else 'their'} {MARKER} "
                      f"and config.yaml); delete {'the folder' if one else 'those folders'} to redo "
                      f"{'it' if one else 'them'}, or use another --out")


class Engines:
    """The one backend a run keeps between its stages.

    Sample and eval stages get their backend through `factory`. When a stage asks for the engine
    already running (same backend, weights and engine arguments: teacher == student, sample then
    eval_base) it gets that one instead of starting another, which costs minutes for vLLM on CPU.
    When it asks for other weights of the same model with the same engine arguments (the trained
    student after training), the running engine loads them if it can (`Backend.load_weights`);
    anything else replaces it. Between those stages (curate, train) `idle` keeps it loaded if a
    later stage may use it and it waits cheaply (`Backend.park`: vLLM on CPU), else closes it (on
    a GPU, training needs its memory). `release` closes it, at the latest at the end of the run.
    Backends that load no weights are not kept: their stage makes and closes its own.
    """

    def __init__(self) -> None:
        self._spec: BackendSpec | None = None
        self._backend: Backend | None = None

    def factory(self, backend: str, spec: Callable[[], BackendSpec]) -> Callable[[], Backend] | None:
        """What a stage calls for its backend (`spec` is computed only then), or None: make your own."""
        from mathdistill.sampling.base import backend_class

        if not backend_class(backend).loads_local_weights:
            return None

        def get() -> Backend:
            want = spec()
            if self._backend is not None and self._spec is not None:
                have, new = self._spec.engine_args(), want.engine_args()
                if have == new:
                    logger.info("%s: reusing the engine already loaded for %s", want.name, want.model)
                    return self._backend
                if {**have, "model": None} == {**new, "model": None} and self._backend.load_weights(want.model):
                    logger.info("%s: the engine started for %s now serves %s (weights reloaded, no restart)",
                                want.name, self._spec.model, want.model)
                    self._spec = want
                    return self._backend
            self.release()
            self._backend, self._spec = want.create(), want
            return self._backend

        return get

    def idle(self, later: Sequence[Stage]) -> None:
        """Before a stage that runs no engine: keep the engine loaded when one of the `later` stages
        may take it (a sample or eval stage on the same backend, not on Ray) and it waits cheaply,
        else close it."""
        if self._backend is None or self._spec is None:
            return
        name = self._spec.name
        wanted = any(s.kind in ("sample", "eval") and getattr(s.config, "backend", None) == name
                     and not getattr(s.config, "ray", False) for s in later)
        if wanted and self._backend.park():
            logger.info("%s: keeping the engine loaded for a later stage", name)
            return
        self.release()

    def release(self) -> None:
        backend, self._backend, self._spec = self._backend, None, None
        if backend is not None:
            backend.close()


def execute(stage: Stage, progress: bool = True, engines: Engines | None = None) -> dict[str, Any]:
    """Run (or resume) one stage; returns a small summary dict. Sample and eval stages take their
    backend from `engines` when given (the caller releases it), else make and close their own."""
    stage.path.mkdir(parents=True, exist_ok=True)
    if stage.kind == "sample":
        return _sample(stage, progress, engines)
    if stage.kind == "eval":
        return _eval(stage, progress, engines)
    fn = {"import": _import, "curate": _curate, "train": _train}[stage.kind]
    return fn(stage, progress)


def _import(stage: Stage, progress: bool) -> dict[str, Any]:
    from mathdistill.curation.importers import TDG_MAPPING, PoolMapping, import_pool

    a = stage.config
    mapping = TDG_MAPPING if a.kind == "tdg" else PoolMapping(**a.mapping)
    return import_pool(a.path, stage.path, mapping, workers=a.workers, limit=a.limit, timeout_s=a.timeout_s,
                       progress=progress)


def _sample(stage: Stage, progress: bool, engines: Engines | None) -> dict[str, Any]:
    cfg = stage.config
    if stage.round > 1:
        # A trained student may be a PEFT adapter: merged once (cached) so vLLM/HF can load it.
        from mathdistill.models.prepare import prepare_model
        from mathdistill.sampling.base import backend_class

        b = backend_class(cfg.backend)
        cfg = dataclasses.replace(cfg, model=prepare_model(cfg.model, loads_local_weights=b.loads_local_weights,
                                                           runs_nat=b.runs_nat))
    if cfg.ray:
        from mathdistill.sampling.ray_runner import run_ray

        return run_ray(cfg)
    from mathdistill.sampling.runner import backend_spec, run_sampling

    factory = engines.factory(cfg.backend, lambda: backend_spec(cfg)) if engines is not None else None
    return run_sampling(cfg, backend_factory=factory)


def _curate(stage: Stage, progress: bool) -> dict[str, Any]:
    from mathdistill.curation.pipeline import curate
    from mathdistill.store.combine import union_samples

    src = stage.inputs[0] if len(stage.inputs) == 1 else union_samples(stage.inputs, stage.path / "input")
    stats = curate(src, stage.path, stage.config, progress=progress)
    return {k: v for k, v in (stats.get("files") or {}).items()}


def _train(stage: Stage, progress: bool) -> dict[str, Any]:
    # Looked up at call time so tests can monkeypatch mathdistill.training.run_training.
    from mathdistill import training

    return training.run_training(stage.config, progress=progress) or {}


def _eval(stage: Stage, progress: bool, engines: Engines | None) -> dict[str, Any]:
    from mathdistill.eval.pipeline import backend_spec, run_eval

    cfg = stage.config
    factory = engines.factory(cfg.backend, lambda: backend_spec(cfg)) if engines is not None else None
    doc = run_eval(cfg, backend_factory=factory, progress=progress)
    return {f"{ds}/{k}": v for ds, row in (doc.get("summary") or {}).items() for k, v in row.items()
            if k in ("greedy", "mean@n")}
