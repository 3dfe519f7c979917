"""Hand-made graded samples for the curation tests."""

from __future__ import annotations

import json
from pathlib import Path

from mathdistill.records import Problem, Sample


def mk(
    pid: str,
    idx: int,
    response: str,
    correct: bool,
    *,
    pred: str | None = "1",
    finish: str | None = "stop",
    error: str | None = None,
    rule: str = "boxed",
) -> Sample:
    if pred is None:
        rule, error = "none", error or "extract_failed"
    return Sample(
        problem_id=pid,
        sample_idx=idx,
        prompt=f"Problem:\nQ {pid}\n\nSolution:\n",
        response=response,
        finish_reason=finish,
        teacher="t",
        answer="1",
        pred=pred,
        correct=correct,
        rule=rule,
        error=error,
        meta={"subject": "Algebra", "level": 2},
    )


def write_dir(d: Path, samples: list[Sample], problems: list[Problem] | None = None) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "samples.jsonl", "w") as f:
        f.writelines(json.dumps(s.to_dict()) + "\n" for s in samples)
    if problems is not None:
        with open(d / "problems.jsonl", "w") as f:
            f.writelines(json.dumps(p.to_dict()) + "\n" for p in problems)
    (d / "run.json").write_text(json.dumps({"grader": "test-grader/0"}))
    return d


def problem(pid: str, question: str | None = None, solution: str | None = None) -> Problem:
    return Problem(
        id=pid,
        question=question or f"Q {pid}",
        answer="1",
        solution=solution,
        source="test",
        meta={"subject": "Algebra", "level": 2},
    )
