"""Grade a JSONL file line by line (streaming, atomic output) - the engine of `mathdistill grade`.

Every output line carries `grader` (the grader id, percent convention and answer mode included) so a
file mixed from several runs still says which grader judged each line; OUT.meta.json repeats it with the
settings.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from mathdistill.errors import DataError
from mathdistill.grading.apply import grade_items, row_item, write_grade
from mathdistill.grading.grader import DEFAULT_MODE, DEFAULT_PERCENT, grader_id
from mathdistill.grading.pool import GradingPool, check_timeout
from mathdistill.io.jsonl import read_jsonl

_BATCH = 2048


def _check_row(path: Path, lineno: int, row: dict, response_field: str, answer_field: str) -> None:
    for field in (response_field, answer_field):
        if field not in row:
            raise DataError(path, lineno, field, "missing")
        if not isinstance(row[field], str) and not (field == answer_field and isinstance(row[field], int | float)):
            raise DataError(path, lineno, field, f"expected a string, got {type(row[field]).__name__}")


def _check_lines(path: Path, response_field: str, answer_field: str) -> int:
    """Read the whole input once before grading starts, so a bad line is one error (naming file, line
    and field) before any progress bar or output, and an input with no lines is refused; the count."""
    n = 0
    for lineno, row in read_jsonl(path):
        _check_row(path, lineno, row, response_field, answer_field)
        n += 1
    if not n:
        raise DataError(path, None, None, "no lines to grade (an empty file?)")
    return n


def grade_file(in_path: str, out_path: str, *, response_field: str = "response", answer_field: str = "answer",
               finish_field: str = "finish_reason", workers: int = 2, timeout_s: float = 5.0,
               write_meta: bool = True, progress: bool = True, percent: str = DEFAULT_PERCENT,
               mode: str = DEFAULT_MODE) -> dict:
    """Write `out_path` = input lines + pred/correct/rule/error/grader; return summary counts. `mode`:
    "auto" | "response" | "answer" (the response field holds extracted answers), see `grade`."""
    from tqdm import tqdm

    from mathdistill.io.jsonl import dumps

    check_timeout(timeout_s)
    src = Path(in_path)
    total = _check_lines(src, response_field, answer_field)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    gid = grader_id(percent, mode)
    stats: Counter = Counter()
    # the pool picks its start method now, before tqdm's monitor thread exists (fork stays usable)
    pool = GradingPool(workers, timeout_s, percent=percent, mode=mode) if workers > 1 else None
    bar = tqdm(total=total, unit="item", desc="grading", disable=not progress, dynamic_ncols=True)
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            batch: list[dict] = []

            def flush() -> None:
                items = [row_item(r, str(r[answer_field]), response_field=response_field, finish_field=finish_field)
                         for r in batch]
                grades = grade_items(items, pool=pool, timeout_s=timeout_s, percent=percent, mode=mode, chunksize=32)
                for row, g in zip(batch, grades, strict=True):
                    write_grade(row, g)
                    row["grader"] = gid
                    f.write(dumps(row) + "\n")
                    stats["n"] += 1
                    stats["correct"] += g.correct
                    stats["extract_failed"] += g.pred is None
                    stats["truncated"] += g.error == "truncated"
                    stats["timeout"] += g.error == "timeout"
                bar.update(len(batch))
                batch.clear()

            for lineno, row in read_jsonl(src):
                _check_row(src, lineno, row, response_field, answer_field)  # the file may change between passes
                batch.append(row)
                if len(batch) >= _BATCH:
                    flush()
            if batch:
                flush()
        os.replace(tmp, out)
    finally:
        bar.close()
        if pool:
            pool.close()
        if tmp.exists():
            tmp.unlink()
    n = stats["n"]
    summary = {
        "n": n, "correct": stats["correct"], "accuracy": stats["correct"] / n if n else 0.0,
        "extract_failed": stats["extract_failed"], "extract_failed_rate": stats["extract_failed"] / n if n else 0.0,
        "truncated": stats["truncated"], "timeout": stats["timeout"], "grader_version": gid, "percent": percent,
        "mode": mode,
    }
    if write_meta:
        from mathdistill.runinfo import run_metadata

        meta = run_metadata(grader=gid, extra={"percent": percent, "mode": mode,
            "input": str(src), "fields": {"response": response_field, "answer": answer_field,
                                         "finish_reason": finish_field},
            "workers": workers, "timeout_s": timeout_s, "summary": summary})
        out.with_name(out.name + ".meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return summary
