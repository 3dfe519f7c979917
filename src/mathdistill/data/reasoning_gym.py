"""`rg:<task>`: procedural tasks from the `reasoning-gym` package, with its own verifier.

A source name is `rg:<task>[:option=value...]`: the options are the task's config fields (its
difficulty knobs, e.g. `rg:chain_sum:min_terms=2:max_terms=3`) plus `seed` (default 0), `size`
(test problems, default 100) and `train` (train problems, default 200). Nothing is downloaded:
reasoning-gym makes item i of a (task, config, seed) the same everywhere. The test split is items
0..size-1 of `seed`; the train split (few-shot exemplars) comes from another seed, minus any
question the test split has, so the splits never share a question.

`score(source, problem_id, answer)` asks reasoning-gym's own scorer about an extracted answer, so
our grader can be checked against it (`agreement`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mathdistill.errors import MathdistillError
from mathdistill.records import Problem

PREFIX = "rg"
TRAIN_SEED_OFFSET = 1_000_003  # train items come from another seed than test items
_OWN = ("seed", "size", "train")


@dataclass(frozen=True)
class RgSpec:
    task: str
    config: tuple[tuple[str, Any], ...] = ()
    seed: int = 0
    size: int = 100
    train: int = 200

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.config)


def _rg() -> Any:
    from mathdistill._optional import require

    return require("reasoning_gym", "rg")


def is_rg(source: str) -> bool:
    return source.startswith(PREFIX + ":")


def _value(text: str) -> Any:
    """`3` -> 3, `0.5` -> 0.5, `true` -> True, anything else stays text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse(source: str) -> RgSpec:
    """`rg:<task>[:key=value]...` -> RgSpec; unknown tasks and options name the known ones."""
    if not is_rg(source):
        raise MathdistillError(f"'{source}' is not a reasoning-gym source name (rg:<task>)")
    task, *opts = source.split(":")[1:]
    tasks = _rg().factory.DATASETS
    if task not in tasks:
        import difflib

        close = difflib.get_close_matches(task, list(tasks), n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise MathdistillError(f"data source '{source}': unknown reasoning-gym task '{task}' ({hint}"
                               f"{len(tasks)} tasks: `python -c 'import reasoning_gym; "
                               "print(sorted(reasoning_gym.factory.DATASETS))'`)")
    config_cls = tasks[task][1]
    known = [f.name for f in dataclasses.fields(config_cls) if f.name not in ("seed", "size")]
    own: dict[str, int] = {}
    config: dict[str, Any] = {}
    for part in opts:
        key, eq, val = part.partition("=")
        if not eq or not key:
            raise MathdistillError(f"data source '{source}': '{part}' must look like option=value")
        if key in _OWN:
            try:
                own[key] = int(val)
            except ValueError:
                raise MathdistillError(f"data source '{source}': {key} must be a whole number, got '{val}'") from None
        elif key in known:
            config[key] = _value(val)
        else:
            raise MathdistillError(f"data source '{source}': unknown option '{key}' for task '{task}' "
                                   f"(known: {', '.join([*known, *_OWN])})")
    spec = RgSpec(task, tuple(sorted(config.items())), **own)
    if spec.size < 0 or spec.train < 0:
        raise MathdistillError(f"data source '{source}': size and train must be >= 0")
    _dataset(spec, spec.seed, 1)  # a bad difficulty setting fails here, as one line
    return spec


def _dataset(spec: RgSpec, seed: int, size: int) -> Any:
    try:
        return _make(spec.task, spec.config, seed, max(1, size))
    except (AssertionError, ValueError, TypeError) as e:
        opts = ", ".join(f"{k}={v}" for k, v in spec.config) or "defaults"
        raise MathdistillError(f"reasoning-gym task '{spec.task}' ({opts}): {e or type(e).__name__}") from None


@lru_cache(maxsize=32)
def _make(task: str, config: tuple, seed: int, size: int) -> Any:
    return _rg().create_dataset(task, seed=seed, size=size, **dict(config))


def _json_safe(v: Any) -> Any:
    return json.loads(json.dumps(v, default=str))


def _items(spec: RgSpec, split: str, limit: int | None) -> Iterable[tuple[int, dict]]:
    if split == "test":
        want = spec.size if limit is None else min(spec.size, max(0, limit))
        ds = _dataset(spec, spec.seed, spec.size)
        return ((i, ds[i]) for i in range(want))
    test = _dataset(spec, spec.seed, spec.size)
    seen = {test[i]["question"] for i in range(spec.size)}
    want = spec.train if limit is None else min(spec.train, max(0, limit))
    ds = _dataset(spec, spec.seed + TRAIN_SEED_OFFSET, max(spec.train * 2, 1))
    out: list[tuple[int, dict]] = []
    i = 0
    while len(out) < want and i < len(ds):
        item = ds[i]
        if item["question"] not in seen:
            seen.add(item["question"])
            out.append((i, item))
        i += 1
    return out


def load(source: str, split: str, limit: int | None = None) -> list[Problem]:
    """The problems of `rg:<task>...` for `split` ("train" or "test"), the first `limit` when given."""
    if split not in ("train", "test"):
        raise MathdistillError(f"source '{source}' has no split '{split}' (splits: train, test)")
    spec = parse(source)
    out = []
    for i, item in _items(spec, split, limit):
        meta = item.get("metadata") or {}
        out.append(Problem(id=f"rg/{spec.task}/{split}/{i}", question=str(item["question"]),
                           answer=str(item["answer"]), source=source,
                           meta={"subject": spec.task, "rg_index": i, "rg_split": split,
                                 "rg_metadata": _json_safe(meta)}))
    return out


def score(source: str, problem_id: str, answer: str | None) -> float:
    """reasoning-gym's own score (0..1) of `answer` for the problem `problem_id` of `source`."""
    spec = parse(source)
    *_, split, idx = problem_id.split("/")
    seed = spec.seed if split == "test" else spec.seed + TRAIN_SEED_OFFSET
    size = spec.size if split == "test" else max(spec.train * 2, 1)
    ds = _dataset(spec, seed, size)
    return float(ds.score_answer(answer, ds[int(idx)]))


def agreement(rows: Iterable[tuple[str, str, str | None, bool]]) -> dict[str, Any]:
    """How often our grader agrees with reasoning-gym's scorer: rows of (source, problem_id, our extracted
    answer, our verdict). Theirs counts as correct at score 1.0 (reasoning-gym gives partial credit)."""
    n = agree = ours_only = theirs_only = 0
    for source, pid, pred, ours in rows:
        theirs = score(source, pid, pred) >= 1.0 if pred is not None else False
        n += 1
        agree += theirs == bool(ours)
        ours_only += bool(ours) and not theirs
        theirs_only += theirs and not bool(ours)
    return {"n": n, "agree": agree, "rate": agree / n if n else None, "ours_only": ours_only,
            "theirs_only": theirs_only}
