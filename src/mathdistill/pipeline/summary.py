"""Before/after accuracy of every evaluated model against the base student, with significance.

Each eval folder's results.json gives the accuracy and its 95% CI (Wilson for greedy,
bootstrap over problems otherwise). The difference to the base student is tested with a
*paired* bootstrap over the test problems both runs answered (same problems, same eval
settings): resample problems with replacement, take the mean per-problem difference; the
difference is significant when its 95% percentile interval excludes 0. Pairing matters:
two overlapping CIs can still hide a significant paired difference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mathdistill.io.atomic import write_json_atomic
from mathdistill.pipeline.plan import Stage

TEST = ("paired bootstrap over the same test problems ({n_boot} resamples); significant when the 95% "
        "percentile CI of the per-problem difference excludes 0")


def per_problem(eval_dir: Path, metric: str) -> dict[str, dict[str, float]]:
    """dataset -> problem_id -> value of `metric` (greedy: 1.0/0.0 correctness)."""
    out: dict[str, dict[str, float]] = {}
    p = eval_dir / "per_problem.jsonl"
    if not p.exists():
        return out
    from mathdistill.io.jsonl import read_jsonl

    for _, row in read_jsonl(p):
        if metric == "greedy":
            v = row.get("greedy_correct")
        else:
            v = (row.get("metrics") or {}).get(metric)
        if v is not None:
            out.setdefault(str(row.get("dataset")), {})[str(row["problem_id"])] = float(v)
    return out


def paired_bootstrap(a: list[float], b: list[float], n_boot: int, seed: int = 0) -> dict[str, Any]:
    """Mean of b - a with a 95% percentile CI and a two-sided bootstrap p-value."""
    import numpy as np

    d = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    if len(d) == 0:
        return {"diff": None, "ci": None, "p_value": None, "significant": False, "n": 0}
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(axis=1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    p = min(1.0, 2 * min(float((means <= 0).mean()), float((means >= 0).mean())))
    return {"diff": float(d.mean()), "ci": [float(lo), float(hi)], "p_value": p,
            "significant": bool(lo > 0 or hi < 0), "n": len(d)}


def _headline(eval_dir: Path, metric: str) -> dict[str, dict[str, Any]]:
    p = eval_dir / "results.json"
    if not p.exists():
        return {}
    metrics = json.loads(p.read_text()).get("metrics", {})
    return {ds: {k: (m.get(metric) or {}).get(k) for k in ("value", "ci", "n")} for ds, m in metrics.items()}


def build_summary(evals: list[Stage], metric: str, n_boot: int, seed: int = 0,
                  compare_to: list[str] | None = None) -> dict[str, Any]:
    """Every model's headline; `comparisons`: each trained model vs the base student; `versus`: every
    other model vs each label of `compare_to` (a trained step, e.g. RFT as the baseline of KD)."""
    models = []
    for s in evals:
        head = _headline(s.path, metric)
        if head:
            models.append({"label": s.label, "stage": s.id, "round": s.round, "dir": str(s.path), "datasets": head})
    comps = _against(evals, "base", metric, n_boot, seed)
    versus = [c for ref in (compare_to or []) for c in _against(evals, ref, metric, n_boot, seed)]
    doc = {"metric": metric, "test": TEST.format(n_boot=n_boot), "models": models, "comparisons": comps}
    if compare_to:
        doc["versus"] = versus
    return doc


def _against(evals: list[Stage], ref_label: str, metric: str, n_boot: int, seed: int) -> list[dict[str, Any]]:
    ref = next((s for s in evals if s.label == ref_label), None)
    if ref is None:
        return []
    ref_pp, ref_head = per_problem(ref.path, metric), _headline(ref.path, metric)
    out = []
    for s in evals:
        if s is ref or (ref_label != "base" and s.label == "base"):
            continue
        head = _headline(s.path, metric)
        for ds, vals in per_problem(s.path, metric).items():
            common = sorted(set(vals) & set(ref_pp.get(ds, {})))
            t = paired_bootstrap([ref_pp[ds][i] for i in common], [vals[i] for i in common], n_boot, seed)
            row = {"label": s.label, "round": s.round, "dataset": ds, "base": ref_head.get(ds), "model": head.get(ds),
                   **t}
            if ref_label != "base":
                row["against"] = ref_label
            out.append(row)
    return out


def write_summary(doc: dict[str, Any], path: Path) -> None:
    write_json_atomic(path, doc)


def verdict(doc: dict[str, Any]) -> list[str]:
    """Plain sentences: did each trained model beat the base student, and is it significant?"""
    out = []
    for c in doc["comparisons"] + doc.get("versus", []):
        if c["diff"] is None:
            continue
        b, m = (c.get("base") or {}).get("value"), (c.get("model") or {}).get("value")
        move = f"{100 * (b or 0):.1f}% -> {100 * (m or 0):.1f}% ({100 * c['diff']:+.1f} points, 95% CI " \
               f"[{100 * c['ci'][0]:+.1f}, {100 * c['ci'][1]:+.1f}], p={c['p_value']:.3f}, {c['n']} problems)"
        if c["significant"]:
            word = "improved significantly" if c["diff"] > 0 else "got significantly worse"
        elif c["diff"] > 0:
            word = "improved, but not significantly"
        elif c["diff"] < 0:
            word = "did not improve (lower, not significantly)"
        else:
            word = "did not change"
        out.append(f"{c['label']} vs {c.get('against', 'base')} on {c['dataset']} ({doc['metric']}): {word}: {move}")
    return out
