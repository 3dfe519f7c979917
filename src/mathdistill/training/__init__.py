"""Training stage: `mathdistill train` (sft, neg, mix, nt, ul, dpo, kto, nat, nce, ranker).

Public API (light to import; torch/transformers load inside the calls):
  TrainConfig                  the resolved config (mathdistill.training.config)
  METHODS                      the method names, from the methods table (mathdistill.training.methods)
  run_training(cfg) -> dict    train, resuming from the last complete checkpoint; returns the summary

What a finished folder says about itself (its manifest, whether it is complete, the prompt it
expects) is read with mathdistill.models.manifest.
"""

from __future__ import annotations

from typing import Any

from mathdistill.training.config import METHODS, TrainConfig

__all__ = ["METHODS", "TrainConfig", "run_training"]


def run_training(cfg: TrainConfig, progress: bool = True) -> dict[str, Any]:
    from mathdistill.training.api import run

    return run(cfg, progress=progress)
