"""`run(cfg)`: dispatch a TrainConfig to its method's recipe (training.methods) and keep the output
folder resumable.

Rerunning the same command after a kill resumes from the newest complete checkpoint; a finished
folder is returned as is. The folder is locked for the run (`io.lock.output_lock`): a second training
into it is refused, naming the first.
"""

from __future__ import annotations

import logging
import os
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from mathdistill.io.lock import output_lock
from mathdistill.models.manifest import is_complete, read_manifest
from mathdistill.training.methods import method_spec

log = logging.getLogger(__name__)


def run(cfg: Any, progress: bool = True) -> dict[str, Any]:
    method = method_spec(cfg.method)
    out = Path(cfg.output_dir)
    # Two trainings into one folder would resume from each other's checkpoints: the second is refused
    # at once. Only rank 0 locks: the other ranks of a DDP run write the same folder by design.
    lock = output_lock(out, "train") if int(os.environ.get("RANK", "0")) == 0 else nullcontext()
    with lock:
        # An unguarded method (the ranker) checks a finished folder's settings itself, in its recipe.
        if method.guarded and is_complete(out):
            from mathdistill.io.fingerprint import files_fingerprint
            from mathdistill.training.manifest import check_guard

            # A finished folder is only reused for the same config and data; otherwise a clear refusal.
            check_guard(cfg, files_fingerprint([str(p) for p in [*cfg.data, *cfg.negatives]]))
            log.info("train: %s is complete (delete it to retrain)", out)
            return read_manifest(out) or {}
        return method.train(cfg, progress)
