"""The sampler's per-problem stats rows (the store's one schema) and its run summary."""

from __future__ import annotations

from typing import Any

from mathdistill.sampling.strategies import ProblemState
from mathdistill.store.samples import SamplesDir, stats_row


def state_row(s: ProblemState) -> dict[str, Any]:
    return stats_row(s.problem_id, s.trials, s.correct, target=s.target, fail_rate=s.fail_rate,
                     num_tokens=s.num_tokens, stop_reason=s.stop_reason, truncated=s.truncated)


def write_stats(sd: SamplesDir, states: list[ProblemState]) -> int:
    return sd.write_stats(state_row(s) for s in states)


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
        "truncated": sum(s.truncated for s in states),
        "stop_reasons": reasons,
    }
