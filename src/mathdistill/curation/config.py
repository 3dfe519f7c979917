"""CurateConfig: every knob of `mathdistill curate`, loadable from YAML with --set overrides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mathdistill.config import check_fields, knob
from mathdistill.sampling.config import template_names

FORMATS = ("sft", "messages", "neg_sft", "neg_messages", "pairs", "kto", "ranker", "think_messages")
FORMAT_FILES = {"sft": "sft.jsonl", "messages": "sft_messages.jsonl", "neg_sft": "neg_sft.jsonl",
                "neg_messages": "neg_messages.jsonl", "pairs": "pairs.jsonl", "kto": "kto.jsonl",
                "ranker": "ranker.jsonl", "think_messages": "think_messages.jsonl"}
# Written only when asked for: the default set is what the training methods read.
DEFAULT_FORMATS = FORMATS[:-1]


@dataclass
class CurateConfig:
    """How graded samples become training sets.

    Defaults follow methods.md section 4: truncated samples never become positives, and
    neither truncated samples nor extraction failures (no final answer found) are fed to
    negative-data formats unless asked (`drop_truncated=false`, `drop_no_answer=false`).
    """

    # DARS selection of correct samples per problem (methods.md 1.2).
    select: Literal["all", "uniform", "prop2diff"] = knob("all", "all | uniform | prop2diff (DARS).")
    k_correct: int | None = knob(None, "uniform: keep at most this many correct samples per problem.", ge=1)
    k_max: int | None = knob(None, "prop2diff: keep max(1, ceil(K * fail_rate / largest fail rate)) correct "
                                   "samples per problem (the hardest keeps K).", ge=1)
    budget: int | None = knob(None, "prop2diff without --k-max: the smallest K keeping at least this many "
                                    "positives.", ge=1)
    fail_rate_from: str = knob("auto", "Where fail rates come from: auto (the sampler's recorded estimate in "
                                       "stats.jsonl where it made one, else counted from the samples) | samples "
                                       "(count the graded samples) | stats (the samples dir's stats.jsonl) | a "
                                       "JSONL with problem_id/query_id and fail_rate or pass_rate.")
    # De-duplication of positives (methods.md 2.2).
    dedup: Literal["none", "exact", "rft", "minhash"] = knob(
        "exact", "none (keep duplicate correct answers, as DART's VRT and Uniform) | exact (whitespace-normalised) | "
                 "rft (exact, then the RFT equation signature + farthest edit distance; quadratic in text length) | "
                 "minhash (exact, then MinHash LSH near-duplicates, linear in text length: long traces; needs "
                 "the `longcot` extra).")
    rft_check_equations: bool = knob(True, "dedup rft: drop paths whose arithmetic equations do not hold.")
    minhash_threshold: float = knob(0.8, "dedup minhash: drop a path whose estimated Jaccard similarity (word "
                                         "n-gram sets) to a path kept before it reaches this.", gt=0, le=1)
    minhash_num_perm: int = knob(128, "dedup minhash: permutations per signature (more: a finer estimate).", ge=16)
    minhash_ngram: int = knob(5, "dedup minhash: words per shingle.", ge=1)
    minhash_seed: int = knob(1, "dedup minhash: seed of the permutations (the result is deterministic).")
    # Long chain of thought (docs/curation_longcot.md): lengths, selection by length, loops, unverified traces.
    unverified: bool = knob(False, "Positives: every complete (not truncated) trace whatever its answer, as "
                                   "OpenThoughts3 compared; pairs, KTO and the ranker still take only the correct "
                                   "ones as positives.", flags="--unverified/--verified")
    length_unit: Literal["auto", "tokens", "chars"] = knob(
        "auto", "What the length rules below count: tokens (the sample's num_tokens, reasoning included) | chars "
                "(reasoning + response) | auto (tokens when every sample records num_tokens, else chars).")
    prefer: Literal["first", "shortest"] = knob(
        "first", "Which paths the per-problem caps keep: first (by sample_idx) | shortest (shortest-k with "
                 "select uniform).")
    token_budget: int | None = knob(None, "Positives: per-problem length budget; correct paths are kept shortest "
                                          "first while their total fits (the shortest is always kept).", ge=1)
    max_trace_tokens: int | None = knob(None, "Drop samples longer than this (in length_unit).", ge=1)
    max_length_ratio: float | None = knob(None, "Drop samples longer than this many times the median length of "
                                                "their problem's complete samples (length outliers).", gt=1)
    loop_repeats: int | None = knob(None, "Drop samples in which one span of loop_ngram tokens occurs this many "
                                          "times or more (a repetition loop).", ge=2)
    loop_ngram: int = knob(20, "Span length (words and punctuation marks) of the repetition-loop filter.", ge=1)
    include_reference: bool = knob(False, "Add the problem's reference solution as a positive.",
                                   flags="--include-reference/--no-reference")
    drop_truncated: bool = knob(True, "Negatives: drop truncated samples (length-cut, or a reasoning that never "
                                      "closed); they are never positives.", flags="--drop-truncated/--keep-truncated")
    drop_no_answer: bool = knob(True, "Negatives: drop extraction failures (no final answer found).",
                                flags="--drop-no-answer/--keep-no-answer")
    weak_negatives: bool = knob(False, "Negatives: keep wrong samples whose answer only a weak extraction rule "
                                       "found (statement / last_math / last_number); by default they count as "
                                       "extraction failures (docs/grading.md).",
                                flags="--weak-negatives/--no-weak-negatives")
    max_negatives_per_problem: int | None = knob(None, "Cap negatives per problem.", ge=1)
    max_chars: int | None = knob(None, "Drop samples with len(question + newline + response) >= N (TDG: 1600).",
                                 ge=1)
    # Output formats (TRL dataset conventions).
    formats: list[str] = knob(factory=lambda: list(DEFAULT_FORMATS), help="Comma list of outputs: " + ",".join(FORMATS) + ".",
                              choices=FORMATS)
    template: str = knob("boxed_cot", "Prompt template of the SFT/pair/KTO prompts (mathdistill.data.prompts).",
                         choices=template_names)
    pairing: Literal["zip", "product"] = knob("zip", "Pairs of positives and negatives: zip | product.")
    max_pairs_per_problem: int | None = knob(None, "Cap pairs per problem.", ge=1)
    # Test-set decontamination.
    decontaminate: list[str] = knob(factory=list, help="Benchmarks (or JSONL paths) as name or name:split, e.g. "
                                                       "math500,gsm8k:test.")
    ngram: int = knob(13, "Decontamination n-gram size.", ge=1)
    threshold: float = knob(0.5, "Drop a training problem whose n-gram overlap exceeds this fraction.", ge=0, le=1)
    data_dir: str | None = knob(None, "Folder with local dataset files (default: $MATHDISTILL_DATA, else the HF Hub).")
    problems: str | None = knob(None, "Problem source (name or JSONL path) when the samples dir has no "
                                      "problems.jsonl (else the question is recovered from the prompt).")
    problems_split: str = knob("train", "Split of --problems.")
    plots: bool = knob(True, "Write PNG plots.")
    push_to_hub: str | None = knob(None, "Upload to this HF dataset repo (off by default).")
    private: bool = knob(True, "--push-to-hub: make the dataset repo private.")

    def __post_init__(self) -> None:
        check_fields(self)
        if self.select == "uniform" and (self.k_correct is None or self.k_correct < 1):
            raise ValueError("select=uniform needs k_correct >= 1 (--k-correct K)")
        if self.select == "prop2diff" and (self.k_max is None or self.k_max < 1) and not self.budget:
            raise ValueError("select=prop2diff needs k_max >= 1 (--k-max K) or a budget (--budget N)")

