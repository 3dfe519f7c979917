"""Held-out validation of the ranker after every epoch, and which epoch is kept."""

from __future__ import annotations

from typing import Any

from mathdistill.ranker.data import pairwise_accuracy


def validate(model: Any, tokenizer: Any, groups: list, gamma: float, max_length: int) -> dict[str, float | None]:
    """Mean over held-out questions of the share of (r+, r-) pairs ranked right, and the mean loss."""
    from mathdistill.ranker.scorer import score_pairs_with

    if not groups:
        return {"val_pairwise_accuracy": None, "val_loss": None}
    pairs = [(g.question, r) for g in groups for r in (*g.positives, *g.negatives)]
    scores = score_pairs_with(model, tokenizer, pairs, max_length)
    accs, losses, i = [], [], 0
    for g in groups:
        pos = scores[i:i + len(g.positives)]
        neg = scores[i + len(g.positives):i + len(g.positives) + len(g.negatives)]
        i += len(g.positives) + len(g.negatives)
        accs.append(pairwise_accuracy(pos, neg))
        losses.append(sum((1 - p) ** gamma + n ** gamma for p in pos for n in neg) / (len(pos) * len(neg)))
    return {"val_pairwise_accuracy": sum(accs) / len(accs), "val_loss": sum(losses) / len(losses)}


def best_epoch(epochs: list[dict[str, Any]]) -> int:
    """1-based best epoch: highest validation accuracy, then lowest validation loss, then earliest."""
    if not epochs or epochs[0]["val_pairwise_accuracy"] is None:
        return len(epochs)
    return max(epochs, key=lambda e: (e["val_pairwise_accuracy"], -e["val_loss"], -e["epoch"]))["epoch"]
