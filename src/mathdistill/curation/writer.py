"""Write the samples-dir side files of an import: stats.jsonl, run.json, and the resume guard."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathdistill.curation.reader import is_no_answer
from mathdistill.errors import MathdistillError
from mathdistill.io.atomic import write_json_atomic
from mathdistill.io.jsonl import write_jsonl
from mathdistill.records import Sample

if TYPE_CHECKING:
    from mathdistill.curation.importers import PoolMapping


def run_meta(
    path: str | Path, mapping: PoolMapping, workers: int, limit: int | None, timeout_s: float
) -> dict:
    from mathdistill.grading import GRADER_VERSION
    from mathdistill.runinfo import run_metadata

    return run_metadata(
        config={
            "input": str(path),
            "mapping": asdict(mapping),
            "workers": workers,
            "limit": limit,
            "timeout_s": timeout_s,
        },
        prompt={
            "template": None,
            "note": "imported pool: the teacher prompt is not known; Sample.prompt holds "
            "the source question field",
        },
        sampling=None,
        seeds=None,
        grader=GRADER_VERSION,
        extra={"stage": "import", "source": str(path)},
    )


def check_resume(out: Path, path: str | Path, mapping: PoolMapping) -> None:
    """Refuse to resume into a dir that holds an import of another file or field mapping, or
    one graded by another grader version (its verdicts would be mixed with ours)."""
    from mathdistill.grading import GRADER_VERSION

    run, sp = out / "run.json", out / "samples.jsonl"
    if not run.exists() or not sp.exists() or sp.stat().st_size == 0:
        return
    try:
        meta = json.loads(run.read_text())
    except json.JSONDecodeError:
        return  # torn by a kill: nothing to compare against
    cfg = meta.get("config") or {}
    if cfg.get("input") != str(path) or cfg.get("mapping") != asdict(mapping):
        raise MathdistillError(
            f"{out} already holds an import of {cfg.get('input')} (or another field mapping); "
            "use a new output dir"
        )
    if meta.get("grader") != GRADER_VERSION:
        raise MathdistillError(
            f"{out} was graded by {meta.get('grader')}, the current grader is {GRADER_VERSION}; "
            "use a new output dir (or delete its samples.jsonl to regrade)"
        )


def write_stats(out: Path, samples: list[Sample], problem_ids: list[str]) -> dict[str, Any]:
    """stats.jsonl per problem (sampler format) and the totals."""
    per: dict[str, dict[str, int]] = {pid: {"trials": 0, "correct": 0, "no_answer": 0} for pid in problem_ids}
    for s in samples:
        c = per[s.problem_id]
        c["trials"] += 1
        c["correct"] += bool(s.correct)
        c["no_answer"] += is_no_answer(s)
    rows = [
        {
            "problem_id": pid,
            "trials": c["trials"],
            "correct": c["correct"],
            "pass_rate": c["correct"] / c["trials"] if c["trials"] else 0.0,
            "stop_reason": "imported",
            "no_answer": c["no_answer"],
        }
        for pid, c in per.items()
    ]
    write_jsonl(out / "stats.jsonl", rows)
    n_max = max((c["trials"] for c in per.values()), default=0)
    return {
        "problems": len(per),
        "samples": len(samples),
        "positives": sum(c["correct"] for c in per.values()),
        "negatives": sum(c["trials"] - c["correct"] for c in per.values()),
        "no_answer": sum(c["no_answer"] for c in per.values()),
        "problems_0_correct": sum(c["correct"] == 0 for c in per.values()),
        "problems_all_correct": sum(c["correct"] == c["trials"] > 0 for c in per.values()),
        "samples_per_problem_max": n_max,
    }


def write_json(path: Path, obj: Any) -> None:
    write_json_atomic(path, obj, indent=2)
