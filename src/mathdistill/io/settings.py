"""The one answer to "was this output made with the same settings?".

Every resumable or skippable output (a sampling run, a training folder, a `run` stage, an eval
generation cache, the ranker) stores the settings it was made with and compares them on a rerun.
Settings are a config's fields minus `VOLATILE`, the fields that never change a result (how
fast, how loud, where logs go), optionally narrowed to the fields that define the output.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

# Fields that change speed, verbosity or bookkeeping, never a number in a result. `merge` only adds
# a merged copy of the same weights, `overwrite` only says what to do with an earlier folder.
VOLATILE = frozenset({
    "progress", "grading_workers", "grade_workers", "workers", "batch_requests", "logging_steps",
    "report_to", "run_name", "dataloader_num_workers", "resume_from_checkpoint", "merge", "overwrite",
    # recomputes the same activations: memory and speed only (and its default is decided once the data is read)
    "gradient_checkpointing",
})


def settings_of(cfg: Any, *, only: Iterable[str] | None = None, ignore: Iterable[str] = VOLATILE,
                **extra: Any) -> dict[str, Any]:
    """The settings that define an output: `cfg`'s fields (a dataclass or a mapping), restricted to
    `only` when given, without `ignore`, plus `extra` keys (data fingerprints, upstream keys)."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        d = dataclasses.asdict(cfg)
    elif isinstance(cfg, Mapping):
        d = dict(cfg)
    else:
        d = {"config": cfg}
    if only is not None:
        d = {k: d.get(k) for k in only}
    skip = set(ignore)
    d = {k: v for k, v in d.items() if k not in skip}
    d.update(extra)
    return d


def _set_only(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _set_only(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_set_only(v) for v in value]
    return value


def settings_key(settings: Mapping[str, Any], *, replace: Mapping[str, str] | None = None,
                 legacy: bool = False) -> str:
    """A 16-hex key of the settings. `replace` rewrites substrings first (e.g. a run folder's own
    path, so a moved run still recognises its outputs).

    Fields set to None (left unset) are keyed as if absent, at any depth: a release that adds an
    optional field keeps the outputs of older releases valid. `legacy=True` keys None too, as keys
    were made before this rule, so outputs made then are still recognised."""
    blob = json.dumps(settings if legacy else _set_only(settings), sort_keys=True, default=str)
    for old, new in (replace or {}).items():
        blob = blob.replace(old, new)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def settings_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """`field: old -> new` for each field present in both whose value differs (for one-line errors)."""
    return [f"{k}: {old[k]!r} -> {v!r}" for k, v in new.items() if k in old and old[k] != v]
