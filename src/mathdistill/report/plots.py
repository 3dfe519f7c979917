"""Report figures: matplotlib (Agg) rendered to base64 PNG data URIs for embedding."""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from mathdistill.eval.aggregate import metric_order
from mathdistill.report.loaders import EvalRun, TrainRun


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def to_data_uri(fig: Any) -> str:
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _k_series(metrics: dict[str, Any], family: str) -> tuple[list[int], list[float], list[float], list[float]]:
    pts = []
    for key, v in metrics.items():
        fam, _, k = key.partition("@")
        if fam == family and k.isdigit() and isinstance(v, dict) and v.get("value") is not None:
            pts.append((int(k), v["value"], v["ci"][0], v["ci"][1]))
    pts.sort()
    return [p[0] for p in pts], [p[1] for p in pts], [p[2] for p in pts], [p[3] for p in pts]


def accuracy_vs_k(runs: Sequence[EvalRun], dataset: str) -> str | None:
    """maj@k (solid) and pass@k (dashed) against k, one colour per run, 95% CI bands."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    drew, top = False, 0.0
    for i, run in enumerate(runs):
        m = run.results["metrics"].get(dataset)
        if not m:
            continue
        color = f"C{i % 10}"
        families = [("maj", "-", "o"), ("pass", "--", "s")]
        asc = {k.split("@")[0] for k in m if k.startswith("asc")}
        families += [(f, ":", "^") for f in sorted(asc, key=lambda f: metric_order(f + "@0"))]
        for fam, ls, mk in families:
            ks, vals, lo, hi = _k_series(m, fam)
            if len(ks) < 2:  # one k is one point, not a curve: the tables hold it
                continue
            drew = True
            top = max(top, 100 * max(hi))
            ax.plot(ks, [100 * v for v in vals], ls, marker=mk, color=color, label=f"{run.label} {fam}@k")
            if fam in ("maj", "pass"):  # more bands would hide the curves
                ax.fill_between(ks, [100 * v for v in lo], [100 * v for v in hi], color=color, alpha=0.08)
        if m.get("greedy"):
            top = max(top, 100 * m["greedy"]["value"])
            ax.axhline(100 * m["greedy"]["value"], color=color, lw=0.8, ls="-.", label=f"{run.label} greedy")
    if not drew:
        plt.close(fig)
        return None
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:g}")
    ax.set_ylim(0, min(102, max(10.0, 1.1 * top)))
    ax.set_xlabel("k (samples)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"{dataset}: accuracy vs k")
    ax.grid(alpha=0.3)
    _legend(ax)
    return to_data_uri(fig)


def _legend(ax: Any) -> None:
    """Inside the axes when short; below them in two columns when it would cover the curves."""
    n = len(ax.get_legend_handles_labels()[1])
    if n <= 4:
        ax.legend(fontsize=7, loc="best")
    else:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)


def _headline(m: dict[str, Any]) -> str | None:
    n = m.get("n")
    for key in (f"maj@{n}", "greedy", "mean@n"):
        if isinstance(m.get(key), dict):
            return key
    return None


def breakdown_bars(runs: Sequence[EvalRun], dataset: str, kind: str) -> str | None:
    """Grouped bars per subject/level (kind = per_subject | per_level) of greedy and maj@n."""
    plt = _plt()
    groups: list[str] = []
    for run in runs:
        for g in (run.results["metrics"].get(dataset, {}).get(kind) or {}):
            if g not in groups:
                groups.append(g)
    if len(groups) < 2:  # one bar per run says what the tables say
        return None
    series = []
    for run in runs:
        m = run.results["metrics"].get(dataset, {})
        br = m.get(kind) or {}
        for key in ("greedy", f"maj@{m.get('n')}"):
            if any(isinstance(br.get(g, {}).get(key), dict) for g in groups):
                vals = [100 * (br.get(g, {}).get(key) or {}).get("value", 0.0) for g in groups]
                series.append((f"{run.label} {key}", vals))
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(max(6.4, 0.9 * len(groups) * max(1, len(series)) / 2), 4.0))
    w = 0.8 / len(series)
    for j, (label, vals) in enumerate(series):
        ax.bar([i + (j - (len(series) - 1) / 2) * w for i in range(len(groups))], vals, w, label=label)
    crowded = sum(len(g) for g in groups) > 36  # long names side by side would overlap
    ax.set_xticks(range(len(groups)), [g.replace("_", " ") for g in groups], rotation=25 if crowded else 0,
                  ha="right" if crowded else "center", fontsize=8)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, min(102, max(10.0, 1.15 * max(max(v) for _, v in series))))
    ax.set_title(f"{dataset}: accuracy per {kind.removeprefix('per_')}")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    return to_data_uri(fig)


def accuracy_vs_difficulty(runs: Sequence[EvalRun], dataset: str) -> str | None:
    """Greedy and maj@n per difficulty (MATH level, or GSM8K solution steps), with problem counts."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    drew, kinds = False, set()
    counts: dict[Any, int] = {}
    for i, run in enumerate(runs):
        rows = [r for r in run.per_problem if r.get("dataset") == dataset and r.get("difficulty") is not None]
        if not rows:
            continue
        kinds |= {r.get("difficulty_kind") for r in rows} - {None}
        by: dict[Any, list[dict]] = defaultdict(list)
        for r in rows:
            by[r["difficulty"]].append(r)
        if len(by) < 2:  # one level: nothing to compare across difficulty
            continue
        numeric = all(isinstance(x, int | float) for x in by)
        xs = sorted(by) if numeric else sorted(by, key=str)
        pos = xs if numeric else list(range(len(xs)))
        color = f"C{i % 10}"
        if any("greedy_correct" in r for r in rows):
            ax.plot(pos, [100 * _mean(r.get("greedy_correct") for r in by[x]) for x in xs],
                    "-.", marker="o", color=color, label=f"{run.label} greedy")
            drew = True
        if any("metrics" in r for r in rows):
            nmax = max(r.get("n", 0) for r in rows)
            ax.plot(pos, [100 * _mean((r.get("metrics") or {}).get(f"maj@{nmax}") for r in by[x]) for x in xs],
                    "-", marker="s", color=color, label=f"{run.label} maj@{nmax}")
            drew = True
        if not counts:
            counts = {p: len(by[x]) for p, x in zip(pos, xs, strict=True)}
            ax.set_xticks(pos, [str(x) for x in xs])
    if not drew:
        plt.close(fig)
        return None
    for p, c in counts.items():
        ax.annotate(str(c), (p, 101), fontsize=6, ha="center", va="bottom", color="gray", annotation_clip=False)
    kind = next(iter(kinds)) if len(kinds) == 1 else "difficulty"
    ax.set_xlabel({"level": "MATH level", "steps": "steps in the reference solution"}.get(kind, kind)
                  + "  (grey: problems per point)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(-2, 108)
    ax.set_title(f"{dataset}: accuracy vs problem difficulty", pad=14)
    ax.grid(alpha=0.3)
    _legend(ax)
    return to_data_uri(fig)


def _mean(xs: Any) -> float:
    v = [float(x) for x in xs if x is not None]
    return sum(v) / len(v) if v else float("nan")


def loss_curves(runs: Sequence[TrainRun]) -> str | None:
    """Training loss (and eval loss when logged) against optimizer step."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    drew = False
    for i, run in enumerate(runs):
        color = f"C{i % 10}"
        for key, ls in (("loss", "-"), ("eval_loss", "--")):
            pts = [(h["step"], h[key]) for h in run.log_history if key in h and "step" in h]
            if pts:
                ax.plot(*zip(*pts, strict=True), ls, color=color, label=f"{run.label} {key}",
                        marker="o" if len(pts) < 30 else None, ms=3)
                drew = True
    if not drew:
        plt.close(fig)
        return None
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title("training loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return to_data_uri(fig)


def png_file_uri(path: Any) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
