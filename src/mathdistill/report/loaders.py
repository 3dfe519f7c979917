"""Find out what a folder is (eval run, training run, curated set) from its files, and load it.

- eval run:     results.json (+ per_problem.jsonl, samples.jsonl) written by `mathdistill eval`
- training run: trainer_state.json (top level or the latest checkpoint-*/) with `log_history`
- curated set:  stats.json written by `mathdistill curate` (+ its PNG plots)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathdistill.errors import MathdistillError
from mathdistill.io.jsonl import read_jsonl
from mathdistill.store.samples import SAMPLES


@dataclass
class EvalRun:
    path: Path
    label: str
    results: dict[str, Any]
    per_problem: list[dict[str, Any]] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TrainRun:
    path: Path
    label: str
    log_history: list[dict[str, Any]]
    state_file: Path


@dataclass
class CurationRun:
    path: Path
    label: str
    stats: dict[str, Any]
    pngs: list[Path]


Run = EvalRun | TrainRun | CurationRun


def _label(path: Path, taken: set[str]) -> str:
    parts = path.resolve().parts
    label = parts[-1]
    i = 2
    while label in taken and i <= len(parts):
        label = "/".join(parts[-i:])
        i += 1
    taken.add(label)
    return label


def _jsonl(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for _, d in read_jsonl(path, allow_torn_tail=True):
        out.append(d)
        if limit is not None and len(out) >= limit:
            break
    return out


def _trainer_state(d: Path) -> Path | None:
    cands = [d / "trainer_state.json"] + sorted(d.glob("checkpoint-*/trainer_state.json"))
    cands = [c for c in cands if c.exists()]
    if not cands:
        return None

    def size(p: Path) -> int:
        try:
            return len(json.loads(p.read_text()).get("log_history", []))
        except (json.JSONDecodeError, OSError):
            return -1

    return max(cands, key=size)


def load_run(path: str | Path, taken: set[str] | None = None, max_samples: int | None = None) -> Run:
    d = Path(path)
    taken = taken if taken is not None else set()
    if not d.is_dir():
        raise MathdistillError(f"{d}: not a folder (give eval, training or curation output folders)")
    if (d / "results.json").exists():
        try:
            res = json.loads((d / "results.json").read_text())
        except json.JSONDecodeError as e:
            raise MathdistillError(f"{d / 'results.json'}: invalid JSON ({e.msg} at line {e.lineno})") from None
        if "metrics" not in res:
            raise MathdistillError(f"{d / 'results.json'}: no 'metrics' (not written by `mathdistill eval`?)")
        return EvalRun(d, _label(d, taken), res, _jsonl(d / "per_problem.jsonl"),
                       _jsonl(d / SAMPLES, max_samples))
    state = _trainer_state(d)
    if state is not None:
        hist = json.loads(state.read_text()).get("log_history", [])
        return TrainRun(d, _label(d, taken), hist, state)
    if (d / "stats.json").exists():
        return CurationRun(d, _label(d, taken), json.loads((d / "stats.json").read_text()), sorted(d.glob("*.png")))
    raise MathdistillError(f"{d}: no results.json, trainer_state.json or stats.json: not an eval, training or "
                           "curation output folder")
