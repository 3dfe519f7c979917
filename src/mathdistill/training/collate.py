"""Batching: padding-free packing (position ids reset per example) or right padding.

Packed batches are one row of concatenated examples with no attention mask: transformers
detects the packed layout from the restarting position ids and builds a block-diagonal
causal mask (SDPA/eager) or varlen FlashAttention, so no token attends across an example.
The first label of every example is -100, so no token is predicted across a boundary
(methods.md 4.12). Each example carries a per-token CE weight and an unlikelihood weight,
which is how NT (signed weights) and UL share the one loss function: positives get (1, 0),
negatives their method's `negative_weights` (training.methods).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mathdistill.training.data import IGNORE

POSITIVE_WEIGHTS = (1.0, 0.0)


@dataclass
class Collator:
    pad_token_id: int
    packing: bool = True
    negative_weights: tuple[float, float] = POSITIVE_WEIGHTS  # (CE, unlikelihood) of a negative's tokens

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        w = [self.negative_weights if f["negative"] else POSITIVE_WEIGHTS for f in features]
        if self.packing:
            ids, labels, pos, cew, ulw = [], [], [], [], []
            for f, (a, b) in zip(features, w, strict=True):
                n = len(f["input_ids"])
                ids += f["input_ids"]
                lab = list(f["labels"])
                lab[0] = IGNORE
                labels += lab
                pos += range(n)
                cew += [a] * n
                ulw += [b] * n
            return {"input_ids": torch.tensor([ids]), "labels": torch.tensor([labels]),
                    "position_ids": torch.tensor([pos]), "ce_weight": torch.tensor([cew]),
                    "ul_weight": torch.tensor([ulw])}
        width = max(len(f["input_ids"]) for f in features)
        out: dict[str, list] = {k: [] for k in ("input_ids", "labels", "attention_mask", "ce_weight", "ul_weight")}
        for f, (a, b) in zip(features, w, strict=True):
            n, pad = len(f["input_ids"]), width - len(f["input_ids"])
            out["input_ids"].append(list(f["input_ids"]) + [self.pad_token_id] * pad)
            out["labels"].append(list(f["labels"]) + [IGNORE] * pad)
            out["attention_mask"].append([1] * n + [0] * pad)  # from lengths, never from ids == pad
            out["ce_weight"].append([a] * n + [0.0] * pad)
            out["ul_weight"].append([b] * n + [0.0] * pad)
        return {k: torch.tensor(v) for k, v in out.items()}


def token_losses(logits: Any, labels: Any) -> Any:
    """Per-token CE of next-token prediction, aligned with labels[:, 1:] (0 where ignored)."""
    import torch.nn.functional as F

    lg = logits[:, :-1, :].float()
    tgt = labels[:, 1:]
    ce = F.cross_entropy(lg.reshape(-1, lg.size(-1)), tgt.reshape(-1), ignore_index=IGNORE, reduction="none")
    return ce.view(tgt.shape)


def label_positions(labels: Any) -> Any:
    """Positions t whose next token is a label in some row: the only logits the loss needs."""
    return (labels[:, 1:] != IGNORE).any(0).nonzero().squeeze(-1)


def kept_token_losses(logits: Any, labels: Any, keep: Any) -> tuple[Any, Any]:
    """CE of logits computed only at `keep` (model(..., logits_to_keep=keep)); returns (ce, targets)."""
    import torch.nn.functional as F

    tgt = labels[:, keep + 1]
    ce = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), tgt.reshape(-1), ignore_index=IGNORE,
                         reduction="none")
    return ce.view(tgt.shape), tgt


def aligned_weighted_sum(ce: Any, tgt: Any, ce_weight: Any, ul_weight: Any) -> Any:
    """Sum over label tokens of w_ce * CE + w_ul * (-log(1 - p)): MLE, NT and token-level UL.
    All tensors are aligned with the targets."""
    import torch

    mask = (tgt != IGNORE).float()
    wce, wul = ce_weight.float() * mask, ul_weight.float() * mask
    total = (wce * ce).sum()
    if bool((wul != 0).any()):
        # 1 - p(y) = -expm1(-CE); clamp so a fully confident token gives a finite penalty.
        one_minus_p = (-torch.expm1(-ce)).clamp_min(1e-5)
        total = total + (wul * -torch.log(one_minus_p)).sum()
    return total


def weighted_loss_sum(ce: Any, labels: Any, ce_weight: Any, ul_weight: Any) -> Any:
    """aligned_weighted_sum for full-sequence CE (token_losses)."""
    return aligned_weighted_sum(ce, labels[:, 1:], ce_weight[:, 1:], ul_weight[:, 1:])
