"""Test-set decontamination by word n-gram overlap.

A training question's overlap with a benchmark is the fraction of its word n-grams that
occur in any question of that benchmark's test split (lower-cased \\w+ tokens, so LaTeX
markup such as `$` and `\\frac` braces is ignored but words and numbers count). Questions
shorter than n words use their whole token sequence as one n-gram, which then must occur
verbatim inside a test question. A question is dropped when its overlap with some benchmark
is above `threshold`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mathdistill.records import Problem

_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def ngrams(toks: list[str], n: int) -> set[tuple[str, ...]]:
    if len(toks) < n:
        return {tuple(toks)} if toks else set()
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


@dataclass
class Benchmark:
    name: str
    grams: set[tuple[str, ...]]  # every n-gram of every test question
    short: list[str]  # test questions joined, for whole-sequence matches of short questions

    @classmethod
    def build(cls, name: str, questions: Iterable[str], n: int) -> Benchmark:
        grams: set[tuple[str, ...]] = set()
        short = []
        for q in questions:
            t = tokens(q)
            grams |= ngrams(t, n) if len(t) >= n else set()
            short.append(" " + " ".join(t) + " ")
        return cls(name, grams, short)

    def overlap(self, question: str, n: int) -> float:
        t = tokens(question)
        if not t:
            return 0.0
        if len(t) < n:
            needle = " " + " ".join(t) + " "
            return 1.0 if any(needle in s for s in self.short) else 0.0
        g = ngrams(t, n)
        return len(g & self.grams) / len(g)


def parse_benchmarks(specs: list[str]) -> list[tuple[str, str]]:
    """['math500', 'gsm8k:test', 'path.jsonl'] -> [(source, split)] (default split: test)."""
    out = []
    for spec in specs:
        src, _, split = spec.partition(":") if not spec.endswith((".jsonl", ".gz")) else (spec, "", "")
        out.append((src, split or "test"))
    return out


def load_benchmarks(specs: list[str], n: int, data_dir: str | None = None) -> list[Benchmark]:
    from mathdistill.data.sources import load_problems

    out = []
    for src, split in parse_benchmarks(specs):
        probs = load_problems(src, split, data_dir=data_dir)
        out.append(Benchmark.build(f"{src}:{split}", (p.question for p in probs), n))
    return out


def contaminated(
    problems: Iterable[Problem], benchmarks: list[Benchmark], n: int, threshold: float
) -> dict[str, dict]:
    """{problem_id: {"benchmark", "overlap"}} for problems whose overlap is above threshold."""
    out = {}
    for p in problems:
        best = max(((b.overlap(p.question, n), b.name) for b in benchmarks), default=(0.0, ""))
        if best[0] > threshold:
            out[p.id] = {"benchmark": best[1], "overlap": round(best[0], 4)}
    return out
