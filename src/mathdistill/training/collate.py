"""Batching: padding-free packing (position ids reset per example) or right padding.

Packed batches are one row of concatenated examples with no attention mask: transformers
detects the packed layout from the restarting position ids and builds a block-diagonal
causal mask (SDPA/eager) or varlen FlashAttention, so no token attends across an example.
The first label of every example is -100, so no token is predicted across a boundary
(methods.md 4.12). Each example carries a per-token CE weight and an unlikelihood weight,
which is how NT (signed weights) and UL share the one loss function: positives get (1, 0),
negatives their method's `negative_weights` (training.methods), and a per-token `negative` flag,
so that NT and UL can normalise positives and negatives separately (TDG's two expectations,
methods.md 3.7): L = sum_pos w CE / N_pos + sum_neg (w CE + w_ul UL) / N_neg, where N counts label
tokens of the accumulated batch (or, for sequence-level UL, negative sequences). With one joint
mean over all tokens instead, lambda would be scaled by the negatives' share of the tokens
(lambda 0.05 acts as 0.15 when negatives have three times the positives' tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mathdistill.training.data import IGNORE

POSITIVE_WEIGHTS = (1.0, 0.0)
# Batch keys the loss reads and the model must not see.
LOSS_KEYS = ("ce_weight", "ul_weight", "negative")


def pop_loss_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: inputs.pop(k) for k in LOSS_KEYS if k in inputs}


@dataclass
class Collator:
    pad_token_id: int
    packing: bool = True
    negative_weights: tuple[float, float] = POSITIVE_WEIGHTS  # (CE, unlikelihood) of a negative's tokens

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        w = [self.negative_weights if f["negative"] else POSITIVE_WEIGHTS for f in features]
        if self.packing:
            ids, labels, pos, cew, ulw, neg = [], [], [], [], [], []
            for f, (a, b) in zip(features, w, strict=True):
                n = len(f["input_ids"])
                ids += f["input_ids"]
                lab = list(f["labels"])
                lab[0] = IGNORE
                labels += lab
                pos += range(n)
                cew += [a] * n
                ulw += [b] * n
                neg += [bool(f["negative"])] * n
            return {"input_ids": torch.tensor([ids]), "labels": torch.tensor([labels]),
                    "position_ids": torch.tensor([pos]), "ce_weight": torch.tensor([cew]),
                    "ul_weight": torch.tensor([ulw]), "negative": torch.tensor([neg])}
        width = max(len(f["input_ids"]) for f in features)
        out: dict[str, list] = {k: [] for k in ("input_ids", "labels", "attention_mask", "ce_weight", "ul_weight",
                                                "negative")}
        for f, (a, b) in zip(features, w, strict=True):
            n, pad = len(f["input_ids"]), width - len(f["input_ids"])
            out["input_ids"].append(list(f["input_ids"]) + [self.pad_token_id] * pad)
            out["labels"].append(list(f["labels"]) + [IGNORE] * pad)
            out["attention_mask"].append([1] * n + [0] * pad)  # from lengths, never from ids == pad
            out["ce_weight"].append([a] * n + [0.0] * pad)
            out["ul_weight"].append([b] * n + [0.0] * pad)
            out["negative"].append([bool(f["negative"])] * n + [False] * pad)
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


# Full-vocabulary logits of a long packed row are the largest tensors of a step (8k label tokens x
# 49k vocabulary x 4 bytes = 1.6 GB, and cross-entropy keeps as much again for the backward pass): past
# LOSS_CHUNKS_FROM chunks' worth the loss runs on chunks of LOSS_CHUNK_BYTES of fp32 logits, each
# chunk's logits recomputed in the backward pass instead of kept (one more LM-head matmul, so small
# batches keep the whole logits; what Liger's fused kernel does on GPU, in plain torch).
LOSS_CHUNK_BYTES = 64 * 2**20
LOSS_CHUNKS_FROM = 4


def chunked_token_losses(hidden: Any, head: Any, tgt: Any, chunk_bytes: int = LOSS_CHUNK_BYTES) -> Any:
    """kept_token_losses' CE, from the LM head's input `hidden` (B, K, H) and `head` (an nn.Linear)
    instead of the logits: at most `chunk_bytes` of fp32 logits exist at a time, forward or backward.
    Positions whose target is ignored get 0 and cost nothing."""
    import torch
    from torch.utils.checkpoint import checkpoint

    flat_t = tgt.reshape(-1)
    at = (flat_t != IGNORE).nonzero().squeeze(-1)
    h = hidden.reshape(-1, hidden.size(-1)).index_select(0, at)
    t = flat_t.index_select(0, at)
    step = max(64, chunk_bytes // (4 * head.weight.size(0)))
    parts = [checkpoint(_chunk_ce, h[i:i + step], head.weight, head.bias, t[i:i + step], use_reentrant=False)
             for i in range(0, len(t), step)]
    ce = torch.cat(parts) if parts else h.new_zeros(0, dtype=torch.float32)
    return ce.new_zeros(flat_t.shape).index_copy(0, at, ce).view(tgt.shape)


def _chunk_ce(h: Any, weight: Any, bias: Any, t: Any) -> Any:
    import torch.nn.functional as F

    return F.cross_entropy(F.linear(h, weight, bias).float(), t, reduction="none")


def segment_ids(labels: Any, position_ids: Any | None) -> Any:
    """One id per sequence: rows of a padded batch, or examples of a packed row (position resets)."""
    import torch

    b, n = labels.shape
    rows = torch.arange(b, device=labels.device)[:, None].expand(b, n)
    if position_ids is None:
        return rows
    seg = (position_ids == 0).long().cumsum(-1) - 1
    return rows * n + seg


def loss_sums(ce: Any, tgt: Any, ce_weight: Any, ul_weight: Any, negative: Any, seg: Any,
              ul_level: str = "token") -> tuple[Any, Any, Any]:
    """(positive, negative, per-sequence) sums of the weighted loss; all tensors aligned with the targets.

    positive/negative: sum over label tokens of w_ce * CE (+ w_ul * -log(1 - p) for token-level UL);
    per-sequence: sum over negative sequences of w_ul * -log(1 - P(y|x)) for sequence-level UL."""
    import torch

    mask = tgt != IGNORE
    neg = negative.bool() & mask
    pos = ~negative.bool() & mask
    wce = ce_weight.float() * ce
    pos_sum, neg_sum = (wce * pos).sum(), (wce * neg).sum()
    seq_sum = ce.new_zeros(())
    wul = ul_weight.float() * mask
    if bool((wul != 0).any()):
        if ul_level == "token":
            # 1 - p(y) = -expm1(-CE); clamp so a fully confident token gives a finite penalty.
            one_minus_p = (-torch.expm1(-ce)).clamp_min(1e-5)
            pen = wul * -torch.log(one_minus_p)
            pos_sum, neg_sum = pos_sum + (pen * pos).sum(), neg_sum + (pen * neg).sum()
        else:
            sel = wul != 0
            uniq, inv = torch.unique(seg[sel], return_inverse=True)
            nll = ce.new_zeros(len(uniq)).index_add_(0, inv, ce[sel])  # -log P(y|x) per sequence
            w = ce.new_zeros(len(uniq)).index_add_(0, inv, wul[sel])
            w = w / torch.bincount(inv, minlength=len(uniq)).float()  # one weight per sequence
            seq_sum = (w * -torch.log((-torch.expm1(-nll)).clamp_min(1e-5))).sum()
    return pos_sum, neg_sum, seq_sum


def group_counts(labels: Any, negative: Any, seg: Any) -> Any:
    """[positive label tokens, negative label tokens, negative sequences] of one batch (targets labels[:, 1:])."""
    import torch

    mask = labels[:, 1:] != IGNORE
    neg = negative[:, 1:].bool() & mask
    pos = ~negative[:, 1:].bool() & mask
    n_seq = len(torch.unique(seg[:, 1:][neg]))
    return torch.tensor([int(pos.sum()), int(neg.sum()), n_seq], dtype=torch.float32)


def normalized_loss(sums: tuple[Any, Any, Any], counts: Any) -> Any:
    """Positives and negatives each a mean of their own (separate normalisation)."""
    pos_sum, neg_sum, seq_sum = sums
    c = counts.to(pos_sum.device).clamp_min(1)
    return pos_sum / c[0] + neg_sum / c[1] + seq_sum / c[2]
