"""Near-duplicate paths by MinHash LSH (the `datasketch` library), for traces too long for RFT's rule.

RFT's farthest-path rule sums character Levenshtein distances, O(len_a * len_b) per pair:
nothing on 300-character GSM8K answers, about a second per pair of 100k-character reasoning
traces. Here a path is the set of its word n-grams (shingles); a MinHash signature estimates the
Jaccard similarity of two such sets in time linear in the text, and LSH finds the candidates
without comparing all pairs. Paths are visited in the given order and one is dropped when a
path kept before it reaches `threshold` (the candidates LSH proposes are checked on the
signatures, so a kept pair is never above the threshold by the estimate; LSH may miss a pair
just above it, the price of not comparing all pairs).

Deterministic: the permutations come from `seed` and shingles are hashed with CRC-32, so the
same input and settings drop the same paths on every machine (for one datasketch version,
recorded in stats.json).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from mathdistill._optional import require

T = TypeVar("T")


_BASE = np.uint64(1_000_003)


def shingle_hashes(text: str, n: int) -> list[int]:
    """32-bit hashes of the distinct word n-grams of `text` (one shingle, the whole text, when it is
    shorter than n words). Words are hashed with CRC-32 and windows with a polynomial over them in
    numpy: SHA-1 of every joined n-gram (datasketch's default) costs ten times more on long traces,
    and CRC-32 is the same in every process (Python's str hash is salted per process)."""
    w = np.fromiter((zlib.crc32(x.encode()) for x in text.split()), dtype=np.uint64)
    n = max(1, min(n, len(w)))
    m = len(w) - n + 1
    if m <= 0:
        return [0]
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            h = h * _BASE + w[k:k + m]
    return np.unique((h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).tolist()


def _same(x: int) -> int:
    return x


def signature(text: str, *, num_perm: int, ngram: int, seed: int) -> Any:
    ds = require("datasketch", "longcot")
    m = ds.MinHash(num_perm=num_perm, seed=seed, hashfunc=_same)
    m.update_batch(shingle_hashes(text, ngram))
    return m


@functools.lru_cache(maxsize=8)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int] | None:
    """datasketch's (bands, rows) for the threshold, computed once (an integration, not free); None
    where no banding of `num_perm` has two bands (a threshold near 1)."""
    ds = require("datasketch", "longcot")
    try:
        lsh = ds.MinHashLSH(threshold=threshold, num_perm=num_perm)
    except ValueError:
        return None
    return lsh.b, lsh.r


def minhash_dedup(paths: Sequence[T], text: Callable[[T], str], *, threshold: float = 0.8, num_perm: int = 128,
                  ngram: int = 5, seed: int = 1) -> tuple[list[T], int]:
    """Keep each path unless one kept before it is a near-duplicate; return (kept, n_dropped)."""
    if len(paths) < 2:
        return list(paths), 0
    ds = require("datasketch", "longcot")
    params = lsh_params(threshold, num_perm)
    # Without a banding (threshold near 1) every kept signature is a candidate: exact on the estimates.
    lsh = ds.MinHashLSH(threshold=threshold, num_perm=num_perm, params=params) if params else None
    kept: list[T] = []
    sigs: list[Any] = []
    for p in paths:
        m = signature(text(p), num_perm=num_perm, ngram=ngram, seed=seed)
        cands = (int(j) for j in lsh.query(m)) if lsh is not None else range(len(sigs))
        if any(sigs[j].jaccard(m) >= threshold for j in cands):
            continue
        if lsh is not None:
            lsh.insert(str(len(kept)), m)
        kept.append(p)
        sigs.append(m)
    return kept, len(paths) - len(kept)


def version() -> str | None:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as v

    try:
        return v("datasketch")
    except PackageNotFoundError:
        return None
