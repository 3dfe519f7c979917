"""Per-sample filters for long traces: an absolute length cap, length outliers, repetition loops.

A reasoning model that loses its way often loops: the same sentence or block again and again
until the token budget runs out, and sometimes it still closes and answers. Such a trace
teaches the loop. `longest_repeat` counts, for every span of n tokens (words and punctuation
marks), how often it occurs, in one pass of hashing: a block of any length repeated K times
gives its spans a count of about K, a short stutter ("the the the ...") a count near the text
length. Linear in the text, unlike the quadratic comparison of suffixes.

Length outliers are judged against the problem's own median (over its complete samples,
right or wrong): a 20k-token trace is normal on an olympiad problem and an outlier on a
one-step sum.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable

import numpy as np

from mathdistill.curation.lengths import LengthMeter, full_text
from mathdistill.curation.reader import is_truncated
from mathdistill.records import Sample

_TOKEN = re.compile(r"\w+|[^\w\s]")
_BASE = np.uint64(1_000_003)

REASONS = ("over_max_length", "length_outlier", "repetition_loop")


def longest_repeat(text: str, n: int) -> int:
    """The largest number of times one span of `n` tokens occurs in `text` (overlaps counted);
    0 for a text shorter than `n` tokens."""
    toks = _TOKEN.findall(text)
    if len(toks) < n:
        return 0
    ids: dict[str, int] = {}
    seq = np.fromiter((ids.setdefault(t, len(ids) + 1) for t in toks), dtype=np.uint64, count=len(toks))
    # Polynomial hash of every window, wrapping modulo 2**64: one vector pass per position in the window.
    m = len(seq) - n + 1
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            h = h * _BASE + seq[k:k + m]
    return int(np.unique(h, return_counts=True)[1].max())


class TraceFilter:
    """The length and loop rules of one curation run (each off when its knob is None)."""

    def __init__(self, meter: LengthMeter, by_problem: dict[str, list[Sample]], *, max_length: int | None = None,
                 max_ratio: float | None = None, loop_repeats: int | None = None, loop_ngram: int = 20):
        self.meter, self.max_length, self.max_ratio = meter, max_length, max_ratio
        self.loop_repeats, self.loop_ngram = loop_repeats, loop_ngram
        self.medians: dict[str, float] = {}
        if max_ratio is not None:
            for pid, lst in by_problem.items():
                xs = [meter(s) for s in lst if not is_truncated(s)]
                if xs:
                    self.medians[pid] = statistics.median(xs)
        self._loops: dict[tuple[str, int], bool] = {}

    @property
    def active(self) -> bool:
        return self.max_length is not None or self.max_ratio is not None or self.loop_repeats is not None

    def reason(self, s: Sample) -> str | None:
        """Why `s` is dropped (one of REASONS), or None."""
        if self.max_length is not None and self.meter(s) > self.max_length:
            return "over_max_length"
        med = self.medians.get(s.problem_id)
        if self.max_ratio is not None and med is not None and self.meter(s) > self.max_ratio * med:
            return "length_outlier"
        if self.loop_repeats is not None and self.loops(s):
            return "repetition_loop"
        return None

    def loops(self, s: Sample) -> bool:
        if s.key not in self._loops:
            self._loops[s.key] = longest_repeat(full_text(s), self.loop_ngram) >= (self.loop_repeats or 0)
        return self._loops[s.key]

    def split(self, samples: Iterable[Sample], counts: dict[str, int]) -> list[Sample]:
        """The samples no rule drops; each drop counted under its reason."""
        if not self.active:
            return list(samples)
        kept = []
        for s in samples:
            why = self.reason(s)
            if why is None:
                kept.append(s)
            else:
                counts[why] += 1
        return kept
