"""Training stage: `mathdistill train` (sft, neg, mix, nt, ul, dpo, kto, nat, nce, ranker).

Public API (light to import; torch/transformers load inside the calls):
  TrainConfig                  the resolved config (mathdistill.training.config)
  run_training(cfg) -> dict    train, resuming from the last complete checkpoint; returns the summary
  is_complete(output_dir)      True once a run finished and wrote its summary (the `run` job skips it)
  MANIFEST                     file name of the summary written into every trained model directory
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mathdistill.training.config import METHODS, TrainConfig

MANIFEST = "mathdistill_train.json"

__all__ = ["MANIFEST", "METHODS", "TrainConfig", "is_complete", "read_manifest", "run_training", "trained_prompt"]


def read_manifest(model_dir: str | Path) -> dict[str, Any] | None:
    p = Path(model_dir) / MANIFEST
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def is_complete(output_dir: str | Path) -> bool:
    m = read_manifest(output_dir)
    return bool(m and m.get("status") == "complete")


def trained_prompt(model: str) -> tuple[str | None, bool | None] | None:
    """(template, chat) a trained model directory was trained with, or None for other models.

    chat is False for plain-text training, None for chat (use the chat template as usual)."""
    from mathdistill.models.registry import resolve_model

    m = read_manifest(resolve_model(model, prepare=False))
    if not m or not isinstance(m.get("prompt"), dict):
        return None
    p = m["prompt"]
    return p.get("template"), (False if p.get("format") == "plain" else None)


def run_training(cfg: TrainConfig, progress: bool = True) -> dict[str, Any]:
    from mathdistill.training.api import run

    return run(cfg, progress=progress)
