"""CurateConfig: every knob of `mathdistill curate`, loadable from YAML with --set overrides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mathdistill.config import knob

FORMATS = ("sft", "messages", "neg_sft", "neg_messages", "pairs", "kto", "ranker")


@dataclass
class CurateConfig:
    """How graded samples become training sets.

    Defaults follow methods.md section 4: truncated samples never become positives, and
    neither truncated samples nor extraction failures (no final answer found) are fed to
    negative-data formats unless asked (`drop_truncated=false`, `drop_no_answer=false`).
    """

    # DARS selection of correct samples per problem (methods.md 1.2).
    select: Literal["all", "uniform", "prop2diff"] = knob("all", "all | uniform | prop2diff (DARS).")
    k_correct: int | None = knob(None, "uniform: keep at most this many correct samples per problem.")
    k_max: int | None = knob(None, "prop2diff: keep max(1, ceil(K * fail_rate)) correct samples per problem.")
    budget: int | None = knob(None, "prop2diff without --k-max: the smallest K keeping at least this many "
                                    "positives.")
    fail_rate_from: str = knob("samples", "Where fail rates come from: samples (count the graded samples) | "
                                          "stats (the samples dir's stats.jsonl) | a JSONL with "
                                          "problem_id/query_id and pass_rate.")
    # De-duplication of positives (methods.md 2.2).
    dedup: Literal["exact", "rft"] = knob("exact", "exact (always on, whitespace-normalised) | rft (adds the RFT "
                                                   "equation signature + farthest edit distance).")
    rft_check_equations: bool = knob(True, "dedup rft: drop paths whose arithmetic equations do not hold.")
    include_reference: bool = knob(False, "Add the problem's reference solution as a positive.",
                                   flags="--include-reference/--no-reference")
    drop_truncated: bool = knob(True, "Negatives: drop truncated samples.", flags="--drop-truncated/--keep-truncated")
    drop_no_answer: bool = knob(True, "Negatives: drop extraction failures (no final answer found).",
                                flags="--drop-no-answer/--keep-no-answer")
    max_negatives_per_problem: int | None = knob(None, "Cap negatives per problem.")
    max_chars: int | None = knob(None, "Drop samples with len(question + newline + response) >= N (TDG: 1600).")
    # Output formats (TRL dataset conventions).
    formats: list[str] = knob(factory=lambda: list(FORMATS), help="Comma list of outputs: " + ",".join(FORMATS) + ".")
    template: str = knob("boxed_cot", "Prompt template of the SFT/pair/KTO prompts (mathdistill.data.prompts).")
    pairing: Literal["zip", "product"] = knob("zip", "Pairs of positives and negatives: zip | product.")
    max_pairs_per_problem: int | None = knob(None, "Cap pairs per problem.")
    # Test-set decontamination.
    decontaminate: list[str] = knob(factory=list, help="Benchmarks (or JSONL paths) as name or name:split, e.g. "
                                                       "math500,gsm8k:test.")
    ngram: int = knob(13, "Decontamination n-gram size.")
    threshold: float = knob(0.5, "Drop a training problem whose n-gram overlap exceeds this fraction.")
    data_dir: str | None = knob(None, "Folder with local dataset files (default: $MATHDISTILL_DATA, else the HF Hub).")
    problems: str | None = knob(None, "Problem source (name or JSONL path) when the samples dir has no "
                                      "problems.jsonl (else the question is recovered from the prompt).")
    problems_split: str = knob("train", "Split of --problems.")
    plots: bool = knob(True, "Write PNG plots.")
    push_to_hub: str | None = knob(None, "Upload to this HF dataset repo (off by default).")
    private: bool = knob(True, "--push-to-hub: make the dataset repo private.")

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

