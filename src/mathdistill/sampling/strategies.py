"""Rejection-sampling schedules (pure logic): how many samples each problem gets next round.

- `Vanilla(k)`: RFT / VRT, exactly k samples per problem.
- `Uniform(k_correct, max_trials)`: DARS-Uniform, sample until k_correct correct or max_trials.
- `Prop2Diff(k_max, max_trials, first_pass_k, fail_rates)`: DARS-Prop2Diff, target
  t_i = max(1, ceil(k_max * f_i / max_j f_j)) correct samples (`store.difficulty.prop2diff_target`)
  with f_i the fail rate, taken from a prior stats file or from a first pass of `first_pass_k`
  samples, and the maximum over this run's problems, so its hardest problem gets k_max. Targets
  are set once every problem has its estimate; stats.jsonl records f_i and t_i, and curation reads
  that same f_i. A shard (`--num-shards`) normalises over its own problems; give `--fail-rates`
  for targets that do not depend on the sharding.

Unlike DART-Math's batch scheduler (which overshoots, see methods.md 1.2), a round asks each
unfinished problem for exactly the samples it still lacks, so a problem never gets more
than one round's worth beyond its target. State is rebuilt from samples.jsonl on resume,
so every decision here must be a function of the samples on disk.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from mathdistill.store.difficulty import max_fail_rate, prop2diff_target


@dataclass
class ProblemState:
    problem_id: str
    trials: int = 0
    correct: int = 0
    first_pass_correct: int = 0  # correct among sample_idx < first-pass size (Prop2Diff)
    next_idx: int = 0
    num_tokens: int = 0
    target: int | None = None
    fail_rate: float | None = None
    stop_reason: str | None = None
    truncated: int = 0  # samples cut by the token budget or whose reasoning never closed

    def add(self, sample_idx: int, correct: bool, num_tokens: int | None, first_pass_n: int = 0,
            truncated: bool = False) -> None:
        self.trials += 1
        self.correct += int(bool(correct))
        self.truncated += int(truncated)
        if sample_idx < first_pass_n:
            self.first_pass_correct += int(bool(correct))
        self.next_idx = max(self.next_idx, sample_idx + 1)
        self.num_tokens += num_tokens or 0


class Strategy(abc.ABC):
    name = "base"
    first_pass_n = 0

    @abc.abstractmethod
    def update(self, s: ProblemState) -> None:
        """Refresh `s.target`, `s.fail_rate` and `s.stop_reason` from its counts."""

    @abc.abstractmethod
    def next_round(self, s: ProblemState) -> int:
        """How many samples this problem gets in the next round (> 0 while unfinished)."""

    def plan(self, states: list[ProblemState]) -> list[tuple[str, int]]:
        """(problem_id, n) for every unfinished problem; empty when all are done."""
        out = []
        for s in states:
            self.update(s)
            if s.stop_reason is None:
                n = self.next_round(s)
                if n > 0:
                    out.append((s.problem_id, n))
        return out

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}


class Vanilla(Strategy):
    name = "vanilla"

    def __init__(self, k: int):
        self.k = k

    def update(self, s: ProblemState) -> None:
        s.target = None
        s.stop_reason = "done" if s.trials >= self.k else None

    def next_round(self, s: ProblemState) -> int:
        return self.k - s.trials

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "k": self.k}


class Uniform(Strategy):
    name = "uniform"

    def __init__(self, k_correct: int, max_trials: int):
        self.k_correct, self.max_trials = k_correct, max_trials

    def update(self, s: ProblemState) -> None:
        s.target = self.k_correct
        s.stop_reason = ("k_reached" if s.correct >= self.k_correct
                         else "max_trials" if s.trials >= self.max_trials else None)

    def next_round(self, s: ProblemState) -> int:
        return min(self.k_correct - s.correct, self.max_trials - s.trials)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "k_correct": self.k_correct, "max_trials": self.max_trials}


def _reported(f: Fraction | float) -> float:
    # stats.jsonl shows a counted fail rate as it always has: 1.0 - pass rate, in floats.
    return f if isinstance(f, float) else 1.0 - float(1 - f)


class Prop2Diff(Strategy):
    name = "prop2diff"

    def __init__(self, k_max: int, max_trials: int, first_pass_k: int = 8,
                 fail_rates: dict[str, Fraction | float] | None = None):
        self.k_max, self.max_trials = k_max, max_trials
        self.first_pass_n = min(first_pass_k, max_trials)
        self.fail_rates = fail_rates or {}
        self.max_fail: Fraction | None = None  # the targets' normaliser, once every problem has an estimate

    def estimate(self, s: ProblemState) -> Fraction | float | None:
        """The problem's fail rate: given, or from its first pass once that is complete."""
        if s.problem_id in self.fail_rates:
            return self.fail_rates[s.problem_id]
        if s.trials >= self.first_pass_n:
            return Fraction(self.first_pass_n - s.first_pass_correct, self.first_pass_n)
        return None

    def plan(self, states: list[ProblemState]) -> list[tuple[str, int]]:
        estimates = [self.estimate(s) for s in states]
        known = max_fail_rate(e for e in estimates if e is not None)
        # A fail rate of 1 is the largest there can be: the problems still in their first pass
        # cannot change the normaliser then.
        self.max_fail = known if None not in estimates or known == 1 else None
        return super().plan(states)

    def update(self, s: ProblemState) -> None:
        f = self.estimate(s)
        s.fail_rate = None if f is None else _reported(f)
        s.target = None if f is None or self.max_fail is None else prop2diff_target(f, self.k_max, self.max_fail)
        if s.target is not None and s.correct >= s.target:
            s.stop_reason = "target_reached"
        elif s.trials >= self.max_trials:
            s.stop_reason = "max_trials"
        else:
            s.stop_reason = None

    def next_round(self, s: ProblemState) -> int:
        if s.fail_rate is None:  # first pass to estimate the fail rate
            return self.first_pass_n - s.trials
        if s.target is None:  # estimated; waits for the other problems' estimates (the normaliser)
            return 0
        return min(s.target - s.correct, self.max_trials - s.trials)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "k_max": self.k_max, "max_trials": self.max_trials,
                "first_pass_k": self.first_pass_n, "fail_rates_given": len(self.fail_rates),
                "max_fail_rate": None if self.max_fail is None else float(self.max_fail)}


def make_strategy(cfg: Any, fail_rates: dict[str, Fraction] | None = None) -> Strategy:
    """Build the strategy named by `cfg.strategy` (a SampleConfig)."""
    if cfg.strategy == "vanilla":
        return Vanilla(cfg.k)
    if cfg.strategy == "uniform":
        return Uniform(cfg.k_correct, cfg.max_trials)
    if cfg.strategy == "prop2diff":
        return Prop2Diff(cfg.k_max, cfg.max_trials, cfg.first_pass_k, fail_rates)
    raise ValueError(f"unknown strategy {cfg.strategy!r}")
