"""The whole job in one config: `mathdistill run CONFIG.yaml` (and `mathdistill demo`).

  RunConfig / load_run_config   the config (mathdistill.pipeline.config)
  build_plan(cfg, run_dir)      the ordered stages with resolved sub-configs and folders
  run_pipeline(cfg, ...)        run / resume them, then summary.json and report.html
Stages talk through files only; each writes its own folder under the run directory.
"""

from mathdistill.pipeline.config import RunConfig, load_run_config
from mathdistill.pipeline.plan import Stage, build_plan
from mathdistill.pipeline.runner import run_pipeline

__all__ = ["RunConfig", "Stage", "build_plan", "load_run_config", "run_pipeline"]
