"""From graded samples to per-problem rows and per-dataset metrics (no model, no I/O).

Voting rules: a sample votes with its extracted answer unless it was truncated
(finish_reason length/abort: the answer is from an unfinished solution) or has none.
An answer class counts as correct when its representative's sample was graded correct:
the vote outputs the representative, so that is the answer being scored. Equivalence is
not guaranteed transitive, so a member may grade differently from its representative; then
maj@1 differs slightly from pass@1 (which counts each sample's own verdict).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mathdistill.eval import metrics as M
from mathdistill.inference.voting import AnswerClasses, asc_weights, group_answers
from mathdistill.records import Sample

Equiv = Callable[[str, str], bool]


@dataclass
class MetricOptions:
    max_subsets: int = M.MAX_SUBSETS
    mc_samples: int = M.MC_SAMPLES
    n_boot: int = 1000
    seed: int = 0
    asc_variants: list[str] = field(default_factory=list)  # first one is reported as asc@k


def vote_answer(s: Sample) -> str | None:
    return None if s.truncated or s.pred is None or not s.pred.strip() else s.pred


def asc_key(variant: str, primary: str) -> str:
    return "asc" if variant == primary else f"asc({variant})"


def classes_for(samples: Sequence[Sample], equiv: Equiv) -> tuple[AnswerClasses, list[int]]:
    """Answer classes of one problem's samples and the ids of the correct classes."""
    answers = [vote_answer(s) for s in samples]
    cl = group_answers(answers, equiv)
    correct = []
    for c, rep in enumerate(cl.reps):
        src = next(s for s, a in zip(samples, answers, strict=True) if a is not None and a.strip() == rep)
        if src.correct:
            correct.append(c)
    return cl, correct


def problem_row(samples: Sequence[Sample], greedy: Sample | None, equiv: Equiv,
                scores: Sequence[float | None] | None, opts: MetricOptions) -> dict[str, Any]:
    """Everything about one problem: counts, classes, vote, and per-problem metric values."""
    ref = samples[0] if samples else greedy
    assert ref is not None
    meta = ref.meta
    row: dict[str, Any] = {
        "dataset": meta.get("dataset"), "problem_id": ref.problem_id, "gold": ref.answer,
        "subject": meta.get("subject"), "level": meta.get("level"), "difficulty": meta.get("difficulty"),
        "difficulty_kind": meta.get("difficulty_kind"),
    }
    if greedy is not None:
        row.update(greedy_correct=bool(greedy.correct), greedy_pred=greedy.pred,
                   greedy_extract_failed=greedy.pred is None)
    n = len(samples)
    if n == 0:
        return row
    c = sum(bool(s.correct) for s in samples)
    cl, good = classes_for(samples, equiv)
    counts = [cl.labels.count(i) for i in range(len(cl.reps))]
    row.update(n=n, n_correct=c, n_answered=sum(lab >= 0 for lab in cl.labels),
               n_truncated=sum(s.truncated for s in samples), n_extract_failed=sum(s.pred is None for s in samples),
               **_token_counts(samples),
               labels=cl.labels, correct=[bool(s.correct) for s in samples],
               classes=[{"answer": r, "count": k, "correct": i in good} for i, (r, k) in
                        enumerate(zip(cl.reps, counts, strict=True))])
    kw = {"max_subsets": opts.max_subsets, "mc_samples": opts.mc_samples,
          "seed": M.problem_seed(opts.seed, ref.problem_id)}
    vals: dict[str, float] = {"mean@n": c / n}
    for k in M.k_values(n):
        vals[f"pass@{k}"] = M.pass_at_k(n, c, k)
        vals[f"maj@{k}"] = M.vote_at_k(cl.labels, good, k, **kw)
    if scores is not None and opts.asc_variants:
        row["scores"] = list(scores)
        for v in opts.asc_variants:
            w = asc_weights(scores, v)
            name = asc_key(v, opts.asc_variants[0])
            for k in M.k_values(n):
                vals[f"{name}@{k}"] = M.vote_at_k(cl.labels, good, k, w, **kw)
    row["metrics"] = vals
    return row


def summarize_rows(rows: Sequence[dict[str, Any]], opts: MetricOptions) -> dict[str, Any]:
    """Mean and 95% CI over problems of every per-problem metric, plus failure rates."""
    out: dict[str, Any] = {"n_problems": len(rows)}
    g = [r["greedy_correct"] for r in rows if "greedy_correct" in r]
    if g:
        out["greedy"] = M.summarize([float(x) for x in g], binary=True)
        out["greedy_extraction_failure_rate"] = sum(r["greedy_extract_failed"] for r in rows
                                                    if "greedy_correct" in r) / len(g)
    sampled = [r for r in rows if "metrics" in r]
    if sampled:
        ns = {r["n"] for r in sampled}
        out["n"] = max(ns)
        keys = sorted((k for k in sampled[0]["metrics"] if all(k in r["metrics"] for r in sampled)),
                      key=metric_order)
        for k in keys:
            out[k] = M.summarize([r["metrics"][k] for r in sampled], n_boot=opts.n_boot, seed=opts.seed)
        spread = M.run_spread([r["correct"] for r in sampled if "correct" in r])
        if spread is not None:
            out["runs"] = spread
        total = sum(r["n"] for r in sampled)
        out["extraction_failure_rate"] = sum(r["n_extract_failed"] for r in sampled) / total
        out["truncation_rate"] = sum(r["n_truncated"] for r in sampled) / total
        out.update(_token_means(sampled))
    return out


def _token_counts(samples: Sequence[Sample]) -> dict[str, int]:
    """Sums and counts of generated tokens (reasoning included) and of reasoning tokens, over the
    samples that record them; the reasoning pair only when some sample has a reasoning part."""
    tok = [s.num_tokens for s in samples if s.num_tokens is not None]
    out = {"tokens_sum": sum(tok), "tokens_n": len(tok)}
    rtok = [s.reasoning_tokens for s in samples if s.reasoning_tokens is not None]
    if rtok:
        out.update(reasoning_tokens_sum=sum(rtok), reasoning_tokens_n=len(rtok))
    return out


def _token_means(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """mean_response_tokens: tokens generated per sample (reasoning and answer); mean_reasoning_tokens:
    those of the reasoning part, over the samples that record it (long chain of thought)."""
    out = {}
    for name, key in (("mean_response_tokens", "tokens"), ("mean_reasoning_tokens", "reasoning_tokens")):
        n = sum(r.get(f"{key}_n", 0) for r in rows)
        if n:
            out[name] = sum(r.get(f"{key}_sum", 0) for r in rows) / n
    return out


def metric_order(name: str) -> tuple:
    """mean@n, then pass@k, maj@k, asc@k, asc(v)@k families, each by k."""
    fam, _, k = name.partition("@")
    rank = {"mean": 0, "pass": 1, "maj": 2, "asc": 3, "asc(s)": 4, "asc(1+s)": 5, "asc(1+2s)": 6}.get(fam, 7)
    return (rank, fam, int(k) if k.isdigit() else 0)


def _groups(rows: Sequence[dict[str, Any]], field_name: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r.get(field_name) is not None:
            out[str(r[field_name])].append(r)
    return dict(sorted(out.items(), key=lambda kv: _natural(kv[0])))


def _natural(s: str) -> tuple:
    return (0, int(s), "") if s.lstrip("-").isdigit() else (1, 0, s)


def dataset_metrics(rows: Sequence[dict[str, Any]], opts: MetricOptions) -> dict[str, Any]:
    out = summarize_rows(rows, opts)
    for name, fld in (("per_subject", "subject"), ("per_level", "level")):
        groups = _groups(rows, fld)
        if groups:
            out[name] = {k: summarize_rows(v, opts) for k, v in groups.items()}
    return out


def build_rows(samples: Sequence[Sample], equiv: Equiv, scorer_scores: dict | None,
               opts: MetricOptions) -> list[dict[str, Any]]:
    """Per-problem rows for one dataset from its greedy and sampled samples (any order)."""
    sampled: dict[str, list[Sample]] = defaultdict(list)
    greedy: dict[str, Sample] = {}
    order: list[str] = []
    for s in samples:
        if s.problem_id not in sampled and s.problem_id not in greedy:
            order.append(s.problem_id)
        if s.meta.get("mode") == "greedy":
            greedy[s.problem_id] = s
        else:
            sampled[s.problem_id].append(s)
    rows = []
    for pid in order:
        ss = sorted(sampled.get(pid, []), key=lambda s: s.sample_idx)
        sc = None if scorer_scores is None else scorer_scores.get(pid, [None] * len(ss))
        rows.append(problem_row(ss, greedy.get(pid), equiv, sc, opts))
    return rows
