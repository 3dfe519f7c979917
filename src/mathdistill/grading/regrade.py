"""Regrade an existing sampling run (RUN_DIR/samples.jsonl) with the current grader, without resampling.

In place (default): the graded lines go to a temp file beside samples.jsonl, which replaces it with
one `os.replace` only if samples.jsonl did not change meanwhile (a sampler still appending makes the
regrade fail and leaves the run untouched); stats.jsonl gets the new correct counts and run.json the
new grader id plus a `regrades` entry. With `out=`, the regraded lines go to that file and the run is
not touched. Each line keeps every field it had; pred/correct/rule/error are replaced and
`meta.grader` records the grader id.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections import Counter
from pathlib import Path

from mathdistill.grading.apply import grade_items, row_item, write_grade
from mathdistill.grading.grader import DEFAULT_PERCENT, grader_id
from mathdistill.store.samples import SAMPLES, SamplesDir, count_verdicts, stats_row

_BATCH = 4096


def _stamp(p: Path) -> tuple[int, int]:
    st = p.stat()
    return st.st_size, st.st_mtime_ns


def _golds(run: SamplesDir) -> dict[str, str]:
    from mathdistill.io.jsonl import read_jsonl

    if not run.problems_file.exists():
        return {}
    return {str(r["id"]): str(r["answer"]) for _, r in read_jsonl(run.problems_file) if "id" in r and "answer" in r}


def regrade_run(run_dir: str | os.PathLike, *, percent: str = DEFAULT_PERCENT, workers: int = 2,
                timeout_s: float = 5.0, out: str | os.PathLike | None = None) -> dict:
    """Regrade RUN_DIR/samples.jsonl (or a samples file); return counts, flips included. In place,
    the run folder is locked (`io.lock`): a sampler still writing it makes the regrade refuse at once."""
    from contextlib import nullcontext

    from mathdistill.grading.pool import check_timeout
    from mathdistill.io.lock import output_lock

    check_timeout(timeout_s)
    src = Path(run_dir)
    folder = src if src.is_dir() else src.parent
    with output_lock(folder, "regrade") if out is None and folder.is_dir() else nullcontext():
        return _regrade_run(run_dir, percent=percent, workers=workers, timeout_s=timeout_s, out=out)


def _regrade_run(run_dir: str | os.PathLike, *, percent: str, workers: int, timeout_s: float,
                 out: str | os.PathLike | None) -> dict:
    from mathdistill.errors import DataError, MathdistillError
    from mathdistill.grading.pool import GradingPool
    from mathdistill.io.jsonl import dumps, read_jsonl, write_jsonl

    src = Path(run_dir)
    path = src / SAMPLES if src.is_dir() else src
    run = SamplesDir(path.parent)
    if not path.exists():
        raise MathdistillError(f"{path}: no samples.jsonl to regrade")
    gid = grader_id(percent)
    before = _stamp(path)
    rows = [row for _, row in read_jsonl(path, allow_torn_tail=True)]  # a torn tail is no sample yet
    golds = None
    items = []
    for i, row in enumerate(rows, 1):
        gold = row.get("answer")
        if gold is None:
            golds = _golds(run) if golds is None else golds
            gold = golds.get(str(row.get("problem_id")))
        if gold is None or not isinstance(row.get("response"), str):
            raise DataError(path, i, "answer" if gold is None else "response", "missing: cannot regrade")
        items.append(row_item(row, str(gold)))
    if workers > 1 and len(items) > 256:
        with GradingPool(workers, timeout_s, percent=percent) as pool:
            grades = [g for k in range(0, len(items), _BATCH)
                      for g in grade_items(items[k:k + _BATCH], pool=pool, chunksize=32)]
    else:
        grades = grade_items(items, timeout_s=timeout_s, percent=percent)
    flips: Counter = Counter()
    for row, g in zip(rows, grades, strict=True):
        old = row.get("correct")
        if old is not None and bool(old) != g.correct:
            flips["to_correct" if g.correct else "to_wrong"] += 1
        write_grade(row, g)
        row["meta"] = {**(row.get("meta") or {}), "grader": gid}
    summary = {"samples": len(rows), "correct": sum(g.correct for g in grades), "grader": gid, "percent": percent,
               "flipped_to_correct": flips["to_correct"], "flipped_to_wrong": flips["to_wrong"],
               "timeouts": sum(g.error == "timeout" for g in grades)}
    if out is not None:
        write_jsonl(out, rows)
        return {**summary, "out": str(out)}
    tmp = path.with_name(path.name + ".regrade.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(dumps(r) + "\n" for r in rows)
            f.flush()
            os.fsync(f.fileno())
        if _stamp(path) != before:
            raise MathdistillError(f"{path} changed while regrading (is a sampler still appending?); "
                                   "nothing was replaced, rerun when it has stopped")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _update_stats(run, rows)
    _update_run_json(run, summary)
    return {**summary, "out": str(path)}


def _update_stats(run: SamplesDir, rows: list[dict]) -> None:
    """New trials / correct / pass_rate per problem; targets and stop reasons are the sampler's."""
    from mathdistill.io.jsonl import read_jsonl

    if not run.stats_file.exists():
        return
    counts = count_verdicts((str(r.get("problem_id")), r["correct"]) for r in rows)
    new = []
    for _, st in read_jsonl(run.stats_file):
        pid = str(st.get("problem_id"))
        if pid in counts:
            rest = {k: v for k, v in st.items() if k not in ("problem_id", "trials", "correct", "pass_rate")}
            st = stats_row(st["problem_id"], counts[pid].trials, counts[pid].correct, **rest)
        new.append(st)
    run.write_stats(new)


def _update_run_json(run: SamplesDir, summary: dict) -> None:
    meta = run.read_run()
    if not meta:
        return  # none, or torn by a kill: the sampler rewrites it on its next start
    entry = {"at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), "from": meta.get("grader"), **summary}
    meta["grader"] = summary["grader"]
    meta["regrades"] = [*meta.get("regrades", []), entry]
    run.write_run(meta)
