"""How long a sample is, for the length rules of curation and the length statistics.

A sample's length counts everything the student is trained on: for a reasoning model the
reasoning and the answer. In tokens that is `num_tokens` (what the backend generated, the
reasoning included, as vLLM's output and OpenAI's `completion_tokens` count it); in characters
it is len(reasoning) + len(response). Imported samples often carry no token count, so the
unit is chosen once per run (`auto`: tokens when every sample has one), never per sample:
mixing units would compare a token count with a character count.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from mathdistill.errors import ConfigError
from mathdistill.records import Sample

log = logging.getLogger(__name__)


def full_text(s: Sample) -> str:
    """Reasoning and answer, for the text rules (dedup, loops); formats render the training text."""
    return s.response if s.reasoning is None else s.reasoning + "\n" + s.response


def chars(s: Sample) -> int:
    return len(s.reasoning or "") + len(s.response)


class LengthMeter:
    """The length of a sample in one unit (`tokens` or `chars`)."""

    def __init__(self, unit: str):
        if unit not in ("tokens", "chars"):
            raise ValueError(f"unknown length unit {unit!r}")
        self.unit = unit

    def __call__(self, s: Sample) -> int:
        if self.unit == "chars":
            return chars(s)
        if s.num_tokens is None:  # resolve_unit let no such sample through
            raise ValueError(f"sample {s.key} has no num_tokens")
        return s.num_tokens


def resolve_unit(unit: str, samples: Sequence[Sample], *, needed: bool) -> LengthMeter:
    """The run's meter. `tokens` with samples that record no token count is an error when a
    length rule needs it (`needed`); `auto` then falls back to characters, with a warning."""
    missing = sum(s.num_tokens is None for s in samples)
    if unit == "tokens" and missing and needed:
        raise ConfigError(f"length_unit tokens: {missing} of {len(samples)} samples record no num_tokens; "
                          "use --length-unit chars (or auto)")
    if unit == "auto":
        unit = "tokens" if samples and not missing else "chars"
        if needed and missing and missing < len(samples):
            log.warning("%d of %d samples record no num_tokens: the length rules count characters",
                        missing, len(samples))
    return LengthMeter(unit)


def summary(xs: Iterable[int]) -> dict[str, float] | None:
    """n / mean / median / p90 / max of some lengths; None when there are none."""
    s = sorted(xs)
    if not s:
        return None
    return {
        "n": len(s),
        "mean": round(statistics.fmean(s), 1),
        "median": statistics.median(s),
        "p90": s[min(len(s) - 1, int(0.9 * len(s)))],
        "max": s[-1],
    }


def token_summaries(samples: Iterable[Sample]) -> dict[str, Any]:
    """`tokens` (num_tokens) and `reasoning_tokens` summaries of the samples that record them."""
    lst = list(samples)
    return {
        "tokens": summary(s.num_tokens for s in lst if s.num_tokens is not None),
        "reasoning_tokens": summary(s.reasoning_tokens for s in lst if s.reasoning_tokens is not None),
    }
