"""Per-problem stats (derived from samples.jsonl) and reading fail rates from a stats file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mathdistill.errors import DataError
from mathdistill.io.jsonl import read_jsonl, write_jsonl
from mathdistill.sampling.strategies import ProblemState


def stats_row(s: ProblemState) -> dict[str, Any]:
    return {
        "problem_id": s.problem_id,
        "trials": s.trials,
        "correct": s.correct,
        "pass_rate": (s.correct / s.trials) if s.trials else None,
        "target": s.target,
        "fail_rate": s.fail_rate,
        "num_tokens": s.num_tokens,
        "stop_reason": s.stop_reason,
    }


def write_stats(path: str | os.PathLike, states: list[ProblemState]) -> int:
    """Rewrite the stats file atomically (it is derived; samples.jsonl is the truth)."""
    return write_jsonl(path, (stats_row(s) for s in states))


def read_fail_rates(path: str | os.PathLike) -> dict[str, float]:
    """problem_id -> 1 - pass_rate from a previous run's stats.jsonl."""
    p = Path(path)
    out: dict[str, float] = {}
    for lineno, row in read_jsonl(p):
        if "problem_id" not in row:
            raise DataError(p, lineno, "problem_id", "missing required field")
        pr = row.get("pass_rate")
        if pr is None:  # a problem never sampled carries no difficulty estimate
            continue
        if isinstance(pr, bool) or not isinstance(pr, int | float) or not 0.0 <= pr <= 1.0:
            raise DataError(p, lineno, "pass_rate", f"expected a number in [0, 1], got {pr!r}")
        out[str(row["problem_id"])] = 1.0 - float(pr)
    return out


def summarize(states: list[ProblemState]) -> dict[str, Any]:
    trials = sum(s.trials for s in states)
    correct = sum(s.correct for s in states)
    reasons: dict[str, int] = {}
    for s in states:
        reasons[str(s.stop_reason)] = reasons.get(str(s.stop_reason), 0) + 1
    return {
        "problems": len(states),
        "samples": trials,
        "correct": correct,
        "acceptance_rate": correct / trials if trials else 0.0,
        "problems_with_correct": sum(1 for s in states if s.correct > 0),
        "num_tokens": sum(s.num_tokens for s in states),
        "stop_reasons": reasons,
    }
