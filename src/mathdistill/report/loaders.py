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

from mathdistill.errors import DataError, MathdistillError
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


def _read_object(path: Path, what: str, **shape: type) -> dict[str, Any]:
    """The JSON object in `path`, its fields in `shape` of the given types; else one DataError naming the
    file (and the field): a report input is often a file copied by hand, torn or from elsewhere."""
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise DataError(path, None, None, f"not UTF-8 text (byte {e.object[e.start]:#04x})") from None
    except json.JSONDecodeError as e:
        raise DataError(path, None, None, f"invalid JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(d, dict):
        raise DataError(path, None, None, f"expected a JSON object, got {type(d).__name__} (not {what}?)")
    for key, tp in shape.items():
        if key in d and not isinstance(d[key], tp):
            raise DataError(path, None, key, f"expected {'a mapping' if tp is dict else 'a list'}, got "
                                             f"{type(d[key]).__name__} (not {what}?)")
    return d


_TRAINER_STATE = "written by a training run"


def _trainer_state(d: Path) -> Path | None:
    cands = [d / "trainer_state.json"] + sorted(d.glob("checkpoint-*/trainer_state.json"))
    cands = [c for c in cands if c.exists()]
    if not cands:
        return None

    def size(p: Path) -> int:
        try:
            return len(_read_object(p, _TRAINER_STATE, log_history=list).get("log_history", []))
        except (DataError, OSError):
            return -1  # the unreadable one is chosen only when none is readable, and then refused

    return max(cands, key=size)


def load_run(path: str | Path, taken: set[str] | None = None, max_samples: int | None = None) -> Run:
    d = Path(path)
    taken = taken if taken is not None else set()
    if not d.is_dir():
        raise MathdistillError(f"{d}: not a folder (give eval, training or curation output folders)")
    if (d / "results.json").exists():
        what = "written by `mathdistill eval`"
        res = _read_object(d / "results.json", what, metrics=dict)
        if "metrics" not in res:
            raise MathdistillError(f"{d / 'results.json'}: no 'metrics' (not written by `mathdistill eval`?)")
        for ds, m in res["metrics"].items():
            if not isinstance(m, dict):
                raise DataError(d / "results.json", None, f"metrics.{ds}", f"expected a mapping, got "
                                                                          f"{type(m).__name__} (not {what}?)")
        return EvalRun(d, _label(d, taken), res, _jsonl(d / "per_problem.jsonl"),
                       _jsonl(d / SAMPLES, max_samples))
    state = _trainer_state(d)
    if state is not None:
        hist = _read_object(state, _TRAINER_STATE, log_history=list).get("log_history", [])
        if not all(isinstance(h, dict) for h in hist):
            raise DataError(state, None, "log_history", f"expected a list of mappings (not {_TRAINER_STATE}?)")
        return TrainRun(d, _label(d, taken), hist, state)
    if (d / "stats.json").exists():
        stats = _read_object(d / "stats.json", "written by `mathdistill curate`")
        return CurationRun(d, _label(d, taken), stats, sorted(d.glob("*.png")))
    raise MathdistillError(f"{d}: no results.json, trainer_state.json or stats.json: not an eval, training or "
                           "curation output folder")
