"""CurateConfig: every knob of `mathdistill curate`, loadable from YAML with --set overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from mathdistill.config import load_config as _load_config

FORMATS = ("sft", "messages", "neg_sft", "neg_messages", "pairs", "kto", "ranker")


@dataclass
class CurateConfig:
    """How graded samples become training sets.

    Defaults follow methods.md section 4: truncated samples never become positives, and
    neither truncated samples nor extraction failures (no final answer found) are fed to
    negative-data formats unless asked (`drop_truncated=false`, `drop_no_answer=false`).
    """

    # DARS selection of correct samples per problem (methods.md 1.2).
    select: Literal["all", "uniform", "prop2diff"] = "all"
    k_correct: int | None = None  # uniform: keep at most this many correct samples per problem
    k_max: int | None = None  # prop2diff: target max(1, ceil(k_max * fail_rate)) per problem
    budget: int | None = None  # prop2diff without k_max: the smallest k_max keeping >= budget samples
    # Where fail rates come from: "samples" (count the graded samples), "stats" (the samples
    # dir's stats.jsonl), or a path to a JSONL with problem_id/query_id and pass_rate.
    fail_rate_from: str = "samples"
    # De-duplication of positives: exact + whitespace-normalised always; "rft" adds the RFT
    # equation-signature / farthest-Levenshtein selection (methods.md 2.2).
    dedup: Literal["exact", "rft"] = "exact"
    rft_check_equations: bool = True  # RFT drops paths whose arithmetic equations do not hold
    include_reference: bool = False  # add the problem's reference solution as a positive
    drop_truncated: bool = True  # keep truncated samples out of negatives
    drop_no_answer: bool = True  # keep extraction failures out of negatives
    max_negatives_per_problem: int | None = None
    max_chars: int | None = None  # drop samples with len(question + "\n" + response) >= max_chars (TDG: 1600)
    # Output formats (TRL dataset conventions).
    formats: list[str] = field(default_factory=lambda: list(FORMATS))
    template: str = "boxed_cot"  # prompt template for SFT/pair/KTO prompts (mathdistill.data.prompts)
    pairing: Literal["zip", "product"] = "zip"
    max_pairs_per_problem: int | None = None
    # Test-set decontamination: benchmark names (or JSONL paths) as `name` or `name:split`.
    decontaminate: list[str] = field(default_factory=list)
    ngram: int = 13
    threshold: float = 0.5  # drop a training problem whose n-gram overlap exceeds this fraction
    data_dir: str | None = None
    # Where problem text comes from when the samples dir has no problems.jsonl: a source
    # name or JSONL path for load_problems (else the question is recovered from the prompt).
    problems: str | None = None
    problems_split: str = "train"
    plots: bool = True
    push_to_hub: str | None = None
    private: bool = True

    def __post_init__(self) -> None:
        if self.select == "uniform" and (self.k_correct is None or self.k_correct < 1):
            raise ValueError("select=uniform needs k_correct >= 1 (--k-correct K)")
        if self.select == "prop2diff" and (self.k_max is None or self.k_max < 1) and not self.budget:
            raise ValueError("select=prop2diff needs k_max >= 1 (--k-max K) or a budget (--budget N)")
        bad = [f for f in self.formats if f not in FORMATS]
        if bad:
            raise ValueError(f"unknown format(s) {bad} (known: {', '.join(FORMATS)})")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {self.threshold}")
        if self.ngram < 1:
            raise ValueError(f"ngram must be >= 1, got {self.ngram}")
        for name in ("max_negatives_per_problem", "max_pairs_per_problem", "max_chars"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ValueError(f"{name} must be >= 1, got {v}")


def load_config(
    config_path: str | None = None, overrides: list[str] | None = None, cli: dict | None = None
) -> CurateConfig:
    return _load_config(CurateConfig, config_path, overrides, cli)
