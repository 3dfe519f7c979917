"""`run(cfg)`: dispatch a TrainConfig to its method's recipe (training.methods) and keep the output
folder resumable.

Rerunning the same command after a kill resumes from the newest complete checkpoint; a finished
folder is returned as is.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mathdistill.models.manifest import is_complete, read_manifest
from mathdistill.training.methods import method_spec

log = logging.getLogger(__name__)


def run(cfg: Any, progress: bool = True) -> dict[str, Any]:
    method = method_spec(cfg.method)
    out = Path(cfg.output_dir)
    if is_complete(out):
        if method.guarded:
            from mathdistill.io.fingerprint import files_fingerprint
            from mathdistill.training.manifest import check_guard

            # A finished folder is only reused for the same config and data; otherwise a clear refusal.
            check_guard(cfg, files_fingerprint([str(p) for p in [*cfg.data, *cfg.negatives]]))
        log.info("train: %s is complete (delete it to retrain)", out)
        return read_manifest(out) or {}
    return method.train(cfg, progress)
