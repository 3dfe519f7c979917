"""stats.json content and PNG plots of a curated set (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mathdistill.curation import minhash
from mathdistill.curation.lengths import chars, summary, token_summaries
from mathdistill.curation.reader import is_truncated
from mathdistill.records import Sample

BINS = [(0.0, 0.0), (0.0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.0), (1.0, 1.0)]
BIN_NAMES = ["0 (all correct)", "(0,.25]", "(.25,.5]", "(.5,.75]", "(.75,1)", "1 (none correct)"]
PLOT_FILES = ("difficulty.png", "by_subject_level.png", "selection_lengths.png")


def _bin(f: float) -> str:
    if f <= 0:
        return BIN_NAMES[0]
    if f >= 1:
        return BIN_NAMES[-1]
    for (lo, hi), name in zip(BINS[1:-1], BIN_NAMES[1:-1], strict=True):
        if lo < f <= hi:
            return name
    return BIN_NAMES[-2]


def token_lengths(samples: list[Sample], by: dict, pos_list: list[Sample], neg_list: list[Sample]) -> dict[str, Any]:
    """Token lengths (num_tokens, reasoning_tokens where recorded) overall, by verdict and kept set,
    the spread of the per-problem medians, and the truncations by cause."""
    complete = [s for s in samples if not is_truncated(s)]
    medians = [r["tokens"]["median"] for r in (token_summaries(v) for v in by.values()) if r["tokens"]]
    unclosed = sum(s.reasoning_closed is False for s in samples)
    cut = sum(is_truncated(s) for s in samples)
    return {
        "samples_without_tokens": sum(s.num_tokens is None for s in samples),
        "samples_with_reasoning": sum(s.reasoning is not None for s in samples),
        "overall": {
            "all": token_summaries(samples),
            "correct": token_summaries(s for s in complete if s.correct),
            "incorrect": token_summaries(s for s in complete if not s.correct),
            "truncated": token_summaries(s for s in samples if is_truncated(s)),
            "positives": token_summaries(pos_list),
            "negatives": token_summaries(neg_list),
        },
        "per_problem_median": summary(medians),
        "truncated": {
            "samples": cut,
            "rate": round(cut / len(samples), 4) if samples else None,
            "unclosed_reasoning": unclosed,
            "length_or_abort": cut - unclosed,
        },
    }


def compute_stats(
    sd: Any,
    samples: list[Sample],
    by: dict,
    pos: dict,
    neg: dict,
    fail: dict,
    pos_counts: dict,
    neg_counts: dict,
    dropped: dict,
    cfg: Any,
    *,
    length_unit: str | None = None,
) -> dict[str, Any]:
    targets = pos_counts.pop("targets")
    pids = sorted(by)
    n_correct = {p: sum(bool(s.correct) for s in by[p]) for p in pids}
    n_trials = {p: len(by[p]) for p in pids}
    groups: dict[str, dict[str, dict[str, Any]]] = {"subject": {}, "level": {}, "fail_rate_bin": {}}
    for p in pids:
        prob = sd.problems[p]
        keys = {
            "subject": str(prob.meta.get("subject")),
            "level": str(prob.meta.get("level")),
            "fail_rate_bin": _bin(float(fail.get(p, 1 - n_correct[p] / n_trials[p]))),
        }
        for g, k in keys.items():
            row = groups[g].setdefault(
                k,
                {
                    "problems": 0,
                    "samples": 0,
                    "correct": 0,
                    "positives_kept": 0,
                    "negatives_kept": 0,
                    "problems_covered": 0,
                },
            )
            row["problems"] += 1
            row["samples"] += n_trials[p]
            row["correct"] += n_correct[p]
            row["positives_kept"] += len(pos.get(p, []))
            row["negatives_kept"] += len(neg.get(p, []))
            row["problems_covered"] += bool(pos.get(p))
    groups["fail_rate_bin"] = {
        k: groups["fail_rate_bin"][k] for k in BIN_NAMES if k in groups["fail_rate_bin"]
    }
    max_trials = max(n_trials.values(), default=0)
    per_problem = [
        {
            "problem_id": p,
            "trials": n_trials[p],
            "correct": n_correct[p],
            "fail_rate": round(float(fail.get(p, 0.0)), 4),
            "target": targets.get(p),
            "positives_kept": len(pos.get(p, [])),
            "negatives_kept": len(neg.get(p, [])),
            **token_summaries(by[p]),
        }
        for p in pids
    ]
    pos_list = [s for v in pos.values() for s in v]
    neg_list = [s for v in neg.values() for s in v]
    return {
        "input": {
            "samples_dir": str(sd.path),
            "samples": len(sd.samples),
            "problems": len({s.problem_id for s in sd.samples}),
            "question_from": sd.question_from,
            "duplicate_keys_skipped": sd.duplicate_keys,
            "teachers": sorted({s.teacher for s in sd.samples}),
            "grader": sd.run.get("grader"),
        },
        "selection": {
            "rule": cfg.select,
            "k_correct": cfg.k_correct,
            "k_max": pos_counts.pop("k_max"),
            "budget": cfg.budget,
            "fail_rate_from": cfg.fail_rate_from,
            "dedup": cfg.dedup,
            "target_total": sum(t for t in targets.values() if t is not None)
            if cfg.select != "all"
            else None,
            "unverified": cfg.unverified,
            "prefer": cfg.prefer,
            "token_budget": cfg.token_budget,
            "length_unit": length_unit,
            "filters": {"max_trace_tokens": cfg.max_trace_tokens, "max_length_ratio": cfg.max_length_ratio,
                        "loop_repeats": cfg.loop_repeats, "loop_ngram": cfg.loop_ngram},
            **({"minhash": {"threshold": cfg.minhash_threshold, "num_perm": cfg.minhash_num_perm,
                            "ngram": cfg.minhash_ngram, "seed": cfg.minhash_seed, "datasketch": minhash.version()}}
               if cfg.dedup == "minhash" else {}),
        },
        "problems": {
            "total": len(pids),
            "zero_correct": sum(n_correct[p] == 0 for p in pids),
            "all_correct": sum(n_correct[p] == n_trials[p] for p in pids),
            "all_correct_at_max_trials": sum(n_correct[p] == n_trials[p] == max_trials for p in pids),
            "with_positives": len(pos),
            "with_negatives": len(neg),
            "with_both": len(set(pos) & set(neg)),
        },
        "positives": pos_counts,
        "negatives": neg_counts,
        "decontamination": {
            "benchmarks": cfg.decontaminate,
            "ngram": cfg.ngram,
            "threshold": cfg.threshold,
            "dropped_problems": len(dropped),
            "dropped_samples": sum(1 for s in sd.samples if s.problem_id in dropped),
            "dropped": [{"problem_id": k, **v} for k, v in sorted(dropped.items())],
        },
        "by_subject": groups["subject"],
        "by_level": groups["level"],
        "by_fail_rate": groups["fail_rate_bin"],
        "lengths_chars": {
            "positives": summary(chars(s) for s in pos_list),
            "negatives": summary(chars(s) for s in neg_list),
        },
        "lengths_tokens": {
            "positives": summary(s.num_tokens for s in pos_list if s.num_tokens is not None),
            "negatives": summary(s.num_tokens for s in neg_list if s.num_tokens is not None),
        },
        "token_lengths": token_lengths(samples, by, pos_list, neg_list),
        "per_problem": per_problem,
        "_lengths_raw": {
            "positives": [chars(s) for s in pos_list],
            "negatives": [chars(s) for s in neg_list],
        },
    }


def plot_all(stats: dict[str, Any], out: Path) -> list[str]:
    """Write the PNGs; return their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    pp = stats["per_problem"]

    # 1. samples / correct / kept per problem against difficulty.
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    by_bin = stats["by_fail_rate"]
    names = list(by_bin)
    x = range(len(names))
    w = 0.27
    for i, (key, label) in enumerate(
        [("samples", "samples"), ("correct", "correct"), ("positives_kept", "positives kept")]
    ):
        vals = [by_bin[n][key] / max(1, by_bin[n]["problems"]) for n in names]
        axes[0].bar([j + (i - 1) * w for j in x], vals, w, label=label)
    axes[0].set_xticks(list(x), names, rotation=20, fontsize=8)
    axes[0].set_xlabel("fail rate")
    axes[0].set_ylabel("per problem (mean)")
    axes[0].legend(fontsize=8)
    axes[0].set_title("samples per problem vs difficulty")
    axes[1].bar(names, [by_bin[n]["problems"] for n in names], color="gray")
    axes[1].set_xticks(list(x), names, rotation=20, fontsize=8)
    axes[1].set_title("problems per fail-rate bin")
    fig.tight_layout()
    files.append(_save(fig, out / PLOT_FILES[0]))

    # 2. per subject / level.
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for ax, key in zip(axes, ("by_subject", "by_level"), strict=True):
        g = stats[key]
        ks = sorted(g)
        ax.bar([k for k in ks], [g[k]["positives_kept"] for k in ks], label="positives kept")
        ax.bar(
            [k for k in ks],
            [g[k]["negatives_kept"] for k in ks],
            bottom=[g[k]["positives_kept"] for k in ks],
            label="negatives kept",
        )
        ax.set_xticks(range(len(ks)), ks, rotation=30, ha="right", fontsize=8)
        ax.set_title(key.replace("_", " "))
        ax.legend(fontsize=8)
    fig.tight_layout()
    files.append(_save(fig, out / PLOT_FILES[1]))

    # 3. kept positives vs fail rate (each dot a problem), and response lengths.
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].scatter([r["fail_rate"] for r in pp], [r["positives_kept"] for r in pp], s=6, alpha=0.3)
    axes[0].set_xlabel("fail rate")
    axes[0].set_ylabel("positives kept")
    axes[0].set_title("selection vs difficulty")
    lens = stats.get("_lengths_raw") or {}
    for name, vals in lens.items():
        axes[1].hist(vals, bins=50, alpha=0.5, label=name)
    axes[1].set_xlabel("response length (chars)")
    axes[1].set_title("lengths")
    if lens:
        axes[1].legend(fontsize=8)
    fig.tight_layout()
    files.append(_save(fig, out / PLOT_FILES[2]))
    stats.pop("_lengths_raw", None)
    return files


def _save(fig: Any, path: Path) -> str:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name
