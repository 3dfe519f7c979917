"""Merge the output dirs of sharded sampling runs (`--num-shards N --shard-index i` or `--ray`).

Shards cover disjoint problems, so a (problem_id, sample_idx) key seen in two shards means
the same shard was run twice into different dirs or shards overlapped: that is an error,
never a silent duplicate. The merged files are written atomically, in shard order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from mathdistill.errors import DataError, MathdistillError
from mathdistill.io.atomic import write_json_atomic
from mathdistill.io.jsonl import read_jsonl, write_jsonl
from mathdistill.sampling.runner import PROBLEMS, RUN, SAMPLES, STATS


def merge_shards(out: Path, shard_dirs: list[Path]) -> tuple[int, int]:
    """Concatenate the shards' samples and stats into `out`; return (samples, stats) row counts."""
    missing = [str(d) for d in shard_dirs if not (d / SAMPLES).exists()]
    if missing:
        raise MathdistillError(f"no {SAMPLES} in shard dir(s): {', '.join(missing)}")

    def rows(name: str, key_fields: tuple[str, ...]) -> Iterator[dict]:
        seen: dict[tuple, str] = {}
        for d in shard_dirs:
            if not (d / name).exists():
                continue
            for lineno, row in read_jsonl(d / name, allow_torn_tail=True):
                key = tuple(row.get(k) for k in key_fields)
                if key in seen:
                    raise DataError(d / name, lineno, key_fields[0],
                                    f"key {key} also appears in {seen[key]}: shards overlap")
                seen[key] = str(d / name)
                yield row

    out.mkdir(parents=True, exist_ok=True)
    n_samples = write_jsonl(out / SAMPLES, rows(SAMPLES, ("problem_id", "sample_idx")))
    n_stats = write_jsonl(out / STATS, rows(STATS, ("problem_id",)))
    if all((d / PROBLEMS).exists() for d in shard_dirs):
        write_jsonl(out / PROBLEMS, rows(PROBLEMS, ("id",)))
    return n_samples, n_stats


def merge_run_info(out: Path, shard_dirs: list[Path]) -> None:
    """run.json of the merge: the shards' own run.json files, kept whole for reproducibility."""
    runs = {}
    for d in shard_dirs:
        if (d / RUN).exists():
            runs[str(d)] = json.loads((d / RUN).read_text())
    write_json_atomic(out / RUN, {"merged_from": [str(d) for d in shard_dirs], "shards": runs}, indent=2)
