"""The whole job in one config: `mathdistill run CONFIG.yaml` (and `mathdistill demo`).

  RunConfig / load_run_config   the config (mathdistill.pipeline.config)
  build_plan(cfg, run_dir)      the ordered stages with resolved sub-configs and folders
  run_pipeline(cfg, ...)        run / resume them, then summary.json and report.html
Stages talk through files only; each writes its own folder under the run directory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mathdistill.pipeline.config import RunConfig, load_run_config
    from mathdistill.pipeline.plan import Stage, build_plan
    from mathdistill.pipeline.runner import run_pipeline

__all__ = ["RunConfig", "Stage", "build_plan", "load_run_config", "run_pipeline"]


def __getattr__(name: str) -> Any:
    # Resolved on first use: `run --help` needs RunConfig, not the planner and every stage under it.
    if name in ("RunConfig", "load_run_config"):
        from mathdistill.pipeline import config as module
    elif name in ("Stage", "build_plan"):
        from mathdistill.pipeline import plan as module
    elif name == "run_pipeline":
        from mathdistill.pipeline import runner as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value
