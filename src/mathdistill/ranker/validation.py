"""Held-out validation of the ranker after every epoch, and which epoch is kept.

Two accuracies of the same ranking are reported: over every (positive, negative) pair of a held-out
question (all_pairs, the lower-variance estimate), and over one seeded random pair per question,
as TDG's validation draws it (random_pair, methods.md 3.6). `ranker.val_metric` says which one
picks the best epoch; the pairs of random_pair are the same in every epoch.
"""

from __future__ import annotations

import random
from typing import Any

from mathdistill.ranker.data import pairwise_accuracy

METRIC_KEYS = {"all_pairs": "val_pairwise_accuracy", "random_pair": "val_random_pair_accuracy"}


def validate(model: Any, tokenizer: Any, groups: list, gamma: float, max_length: int,
             seed: int = 0) -> dict[str, float | None]:
    """Mean over held-out questions of the share of (r+, r-) pairs ranked right, the same for one seeded
    random pair per question, and the mean loss."""
    from mathdistill.ranker.scorer import score_pairs_with

    if not groups:
        return {"val_pairwise_accuracy": None, "val_random_pair_accuracy": None, "val_loss": None}
    pairs = [(g.question, r) for g in groups for r in (*g.positives, *g.negatives)]
    scores = score_pairs_with(model, tokenizer, pairs, max_length)
    rng = random.Random(f"val:{seed}")
    accs, one, losses, i = [], [], [], 0
    for g in groups:
        pos = scores[i:i + len(g.positives)]
        neg = scores[i + len(g.positives):i + len(g.positives) + len(g.negatives)]
        i += len(g.positives) + len(g.negatives)
        accs.append(pairwise_accuracy(pos, neg))
        one.append(float(rng.choice(pos) > rng.choice(neg)))
        losses.append(sum((1 - p) ** gamma + n ** gamma for p in pos for n in neg) / (len(pos) * len(neg)))
    return {"val_pairwise_accuracy": sum(accs) / len(accs), "val_random_pair_accuracy": sum(one) / len(one),
            "val_loss": sum(losses) / len(losses)}


def best_epoch(epochs: list[dict[str, Any]], metric: str = "all_pairs") -> int:
    """1-based best epoch: highest validation accuracy (`metric`), then lowest validation loss, then earliest."""
    key = METRIC_KEYS[metric]
    if not epochs or epochs[0].get(key) is None:
        return len(epochs)
    return max(epochs, key=lambda e: (e[key], -e["val_loss"], -e["epoch"]))["epoch"]
