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
import json
import os
from collections import Counter, defaultdict
from pathlib import Path

from mathdistill.grading.grader import DEFAULT_PERCENT, grader_id
from mathdistill.io.atomic import write_json_atomic

_BATCH = 4096


def _stamp(p: Path) -> tuple[int, int]:
    st = p.stat()
    return st.st_size, st.st_mtime_ns


def _golds(run: Path) -> dict[str, str]:
    from mathdistill.io.jsonl import read_jsonl

    probs = run / "problems.jsonl"
    if not probs.exists():
        return {}
    return {str(r["id"]): str(r["answer"]) for _, r in read_jsonl(probs) if "id" in r and "answer" in r}


def regrade_run(run_dir: str | os.PathLike, *, percent: str = DEFAULT_PERCENT, workers: int = 2,
                timeout_s: float = 5.0, out: str | os.PathLike | None = None) -> dict:
    """Regrade RUN_DIR/samples.jsonl (or a samples file); return counts, flips included."""
    from mathdistill.errors import DataError, MathdistillError
    from mathdistill.grading.pool import GradingPool, grade_many
    from mathdistill.io.jsonl import dumps, read_jsonl, write_jsonl

    src = Path(run_dir)
    path = src / "samples.jsonl" if src.is_dir() else src
    run = path.parent
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
        items.append((row["response"], str(gold), row.get("finish_reason")))
    if workers > 1 and len(items) > 256:
        with GradingPool(workers, timeout_s, percent=percent) as pool:
            grades = [g for k in range(0, len(items), _BATCH) for g in pool.map(items[k:k + _BATCH], 32)]
    else:
        grades = grade_many(items, workers=1, timeout_s=timeout_s, percent=percent)
    flips: Counter = Counter()
    for row, g in zip(rows, grades, strict=True):
        old = row.get("correct")
        if old is not None and bool(old) != g.correct:
            flips["to_correct" if g.correct else "to_wrong"] += 1
        row.update(pred=g.pred, correct=g.correct, rule=g.rule, error=g.error)
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
    _update_stats(run / "stats.jsonl", rows, write_jsonl, read_jsonl)
    _update_run_json(run / "run.json", summary)
    return {**summary, "out": str(path)}


def _update_stats(stats: Path, rows: list[dict], write_jsonl, read_jsonl) -> None:
    """New trials / correct / pass_rate per problem; targets and stop reasons are the sampler's."""
    if not stats.exists():
        return
    trials, correct = Counter(), defaultdict(int)
    for r in rows:
        pid = str(r.get("problem_id"))
        trials[pid] += 1
        correct[pid] += bool(r["correct"])
    new = []
    for _, st in read_jsonl(stats):
        pid = str(st.get("problem_id"))
        if pid in trials:
            st.update(trials=trials[pid], correct=correct[pid], pass_rate=correct[pid] / trials[pid])
        new.append(st)
    write_jsonl(stats, new)


def _update_run_json(run_json: Path, summary: dict) -> None:
    if not run_json.exists():
        return
    try:
        meta = json.loads(run_json.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return  # torn by a kill: the sampler rewrites it on its next start
    entry = {"at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), "from": meta.get("grader"), **summary}
    meta["grader"] = summary["grader"]
    meta["regrades"] = [*meta.get("regrades", []), entry]
    write_json_atomic(run_json, meta, indent=2)
