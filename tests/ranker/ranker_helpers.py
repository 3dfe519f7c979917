"""Helpers shared by the ranker tests (a unique module name: tests/ has several conftest.py)."""

from __future__ import annotations

import json
import random
from pathlib import Path


def toy_groups(n: int, seed: int = 0) -> list[dict]:
    """Positives say 'correct', negatives 'wrong': separable from the rationale alone."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rng.randint(1, 50), rng.randint(1, 50)
        rows.append({
            "problem_id": f"p{i}",
            "question": f"What is {a} plus {b}?",
            "positives": [f"Adding gives {a + b}. This is correct.", f"correct: {a} + {b} = {a + b}"],
            "negatives": [f"Adding gives {a + b + 1}. This is wrong.", f"wrong wrong: {a} + {b} = {a - b}"],
        })
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def ranker_cfg(encoder: str, data: str, out: Path, **kw):
    from mathdistill.training.config import RankerArgs, TrainConfig

    ranker = RankerArgs(**{"val_questions": 8, "max_length": 64, **kw.pop("ranker", {})})
    base = {"method": "ranker", "model": encoder, "data": [data], "output_dir": str(out), "learning_rate": 1e-3,
            "num_train_epochs": 3, "per_device_train_batch_size": 4, "seed": 0}
    base.update(kw)
    return TrainConfig(ranker=ranker, **base)
