"""Per-problem accuracy estimators (pass@k, maj@k, ASC@k) and confidence intervals.

Choices made here (recorded in results.json under `metric_definitions`):

- pass@k is the unbiased estimator of Chen et al. (2021), 1 - C(n-c, k) / C(n, k), computed
  in the stable product form 1 - prod_{i=n-c+1}^{n} (1 - k / i): no huge binomials.
- maj@k (and weighted ASC@k) is the *expected* accuracy of voting over a uniformly random
  k-subset of the n samples of a problem. It is exact (every subset enumerated, vectorised
  with numpy) when C(n, k) <= `max_subsets`, and otherwise a Monte Carlo mean over
  `mc_samples` subsets drawn with a seed derived from (seed, problem id), so results are
  reproducible either way and the Monte Carlo errors of different problems are independent
  (one subset matrix shared by every problem would not average out over the dataset).
  maj@n is the single full vote. Samples without an answer do not vote; a subset in which
  nobody votes scores 0. A tie between answer classes scores 1/|tie set| when the correct
  class is among the tied ones (expected accuracy of a random tie-break, as in TDG's ASC).
- Confidence intervals (95%) are over problems: Wilson score intervals for 0/1 metrics
  (greedy), percentile bootstrap (`n_boot` resamples of problems, fixed seed) for metrics
  that are per-problem expectations (pass@k, maj@k, mean@n).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import combinations

import numpy as np

MAX_SUBSETS = 20_000
MC_SAMPLES = 2_000


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn without replacement from n is correct."""
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got c={c}, n={n}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    if n - c < k:
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def k_values(n: int) -> list[int]:
    """1, 2, 4, ... up to n, plus n itself when n is not a power of two."""
    ks, k = [], 1
    while k <= n:
        ks.append(k)
        k *= 2
    if ks[-1] != n:
        ks.append(n)
    return ks


def problem_seed(seed: int, problem_id: str) -> int:
    """The Monte Carlo seed of one problem: its own subsets, reproducible from (seed, problem id)."""
    h = hashlib.blake2b(f"{seed}:{problem_id}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "little")


@lru_cache(maxsize=64)
def _all_subsets(n: int, k: int) -> np.ndarray:
    return np.array(list(combinations(range(n), k)), dtype=np.int64).reshape(-1, k)


def _subsets(n: int, k: int, max_subsets: int, mc_samples: int, seed: int) -> tuple[np.ndarray, bool]:
    """Index matrix (num_subsets, k) of the subsets to average over, and whether it is exact."""
    if math.comb(n, k) <= max_subsets:
        return _all_subsets(n, k), True
    rng = np.random.default_rng(seed)
    # argsort of uniform noise gives a uniformly random permutation per row.
    return np.argsort(rng.random((mc_samples, n)), axis=1)[:, :k], False


def vote_at_k(labels: Sequence[int], correct_classes: int | Iterable[int] | None, k: int,
              weights: Sequence[float] | None = None, *, max_subsets: int = MAX_SUBSETS,
              mc_samples: int = MC_SAMPLES, seed: int = 0) -> float:
    """Expected accuracy of (weighted) voting over random k-subsets of one problem's samples.

    labels: answer-class id per sample (-1 = no answer, does not vote). correct_classes: the
    id(s) of classes equivalent to the gold answer (usually one; None or empty: none).
    weights: vote weight per sample (None: 1 each, plain majority). seed: the Monte Carlo seed,
    one per problem (problem_seed) so that problems do not share their subsets.
    """
    lab = np.asarray(labels, dtype=np.int64)
    n = len(lab)
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    if correct_classes is None:
        return 0.0
    good = [correct_classes] if isinstance(correct_classes, int | np.integer) else list(correct_classes)
    good = [c for c in good if 0 <= c and (lab == c).any()]
    if not good:
        return 0.0
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    m = int(lab.max()) + 1
    table = np.zeros((n, m))  # table[i, class_i] = weight_i; invalid samples contribute nothing
    valid = lab >= 0
    table[np.flatnonzero(valid), lab[valid]] = w[valid]
    subsets, _ = _subsets(n, k, max_subsets, mc_samples, seed)
    votes = table[subsets].sum(axis=1)  # (num_subsets, m)
    top = votes.max(axis=1, keepdims=True)
    # Relative tolerance so float sums of equal weights still tie.
    tied = (votes >= top - 1e-9 * np.maximum(1.0, np.abs(top))) & (top > 0)
    ntied = tied.sum(axis=1)
    score = np.where(ntied > 0, tied[:, good].sum(axis=1) / np.maximum(ntied, 1), 0.0)
    return float(score.mean())


def run_spread(correct: Sequence[Sequence[bool]]) -> dict | None:
    """The n samples of each problem read as n runs over the dataset (run j = every problem's sample j):
    each run's accuracy, their mean (= mean@n) and standard deviation (ddof=1). None unless every problem
    has the same n >= 2."""
    if not correct or len({len(c) for c in correct}) != 1 or len(correct[0]) < 2:
        return None
    acc = np.asarray(correct, dtype=np.float64).mean(axis=0)
    return {"n": len(acc), "mean": float(acc.mean()), "std": float(acc.std(ddof=1)), "min": float(acc.min()),
            "max": float(acc.max()), "per_run": [float(a) for a in acc]}


def subsets_exact(n: int, k: int, max_subsets: int = MAX_SUBSETS) -> bool:
    return math.comb(n, k) <= max_subsets


def wilson_ci(successes: float, total: int, z: float = 1.96) -> tuple[float, float]:
    if total == 0:
        return (0.0, 0.0)
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_ci(values: Sequence[float], n_boot: int = 1000, seed: int = 0,
                 alpha: float = 0.05) -> tuple[float, float]:
    x = np.asarray(values, dtype=np.float64)
    if len(x) == 0:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(n_boot, len(x)))].mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return (float(lo), float(hi))


def summarize(values: Sequence[float], *, binary: bool = False, n_boot: int = 1000, seed: int = 0) -> dict:
    """{'value', 'ci': [lo, hi], 'n'} for per-problem values (mean over problems)."""
    x = [float(v) for v in values]
    if not x:
        return {"value": None, "ci": None, "n": 0}
    mean = sum(x) / len(x)
    ci = wilson_ci(sum(x), len(x)) if binary else bootstrap_ci(x, n_boot=n_boot, seed=seed)
    return {"value": mean, "ci": [ci[0], ci[1]], "n": len(x)}


DEFINITIONS = {
    "greedy": "accuracy of one temperature-0 sample per problem; 95% Wilson CI over problems",
    "mean@n": "mean per-sample accuracy of the n samples (= pass@1 averaged over n, avg@n); 95% bootstrap CI "
              "over problems",
    "runs": "the n samples per problem read as n runs over the dataset (run j = every problem's j-th sample): "
            "each run's accuracy and their standard deviation across runs (ddof=1)",
    "pass@k": "unbiased 1 - C(n-c,k)/C(n,k) in product form; 95% bootstrap CI over problems",
    "maj@k": "expected accuracy of majority vote over equivalence classes of answers on a random k-subset "
             "(exact over all subsets when C(n,k) <= max_subsets, else Monte Carlo with a seed per problem); "
             "ties score 1/|tie set|; unanswered samples do not vote",
    "asc@k": "as maj@k, each vote weighted by the ranker score transform (asc_weight)",
}
