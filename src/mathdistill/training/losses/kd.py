"""Top-K logit distillation (`train --method kd`), in the style of torchtune's `ForwardKLLoss`.

The teacher is known through its top-K log-probs per generated token (store.logprobs), so the two
distributions are compared on K + 1 buckets, the teacher's K tokens and one for the rest:

  P = (p_1, ..., p_K, 1 - sum_k p_k)              p_k = the teacher's probability of its k-th token t_k
  Q = (q(t_1), ..., q(t_K), 1 - sum_k q(t_k))     q = softmax(student logits), read at the teacher's tokens

A temperature T is applied to both bucket distributions alike, P_T ∝ P^(1/T) and Q_T ∝ Q^(1/T) (the
teacher's full logits are unknown, so the buckets are tempered rather than the logits; T = 1 gives P
and Q), and the divergence is multiplied by T^2 so its gradient keeps its size across T (Hinton et
al., and NCE here).

Divergences (per token):
  forward  KL(P || Q) = sum_b P_b (log P_b - log Q_b)        (default: the student covers the teacher)
  reverse  KL(Q || P)                                         (mode-seeking)
  jsd      beta KL(P || M) + (1 - beta) KL(Q || M), M = beta P + (1 - beta) Q   (TRL's generalised JSD)

Slots of a top list shorter than K (id < 0, log-prob -inf) are empty buckets on both sides; they hold
log-prob EMPTY (exp() is exactly 0 in float32 at any temperature) rather than -inf, whose gradients
through logsumexp and 0 * inf are NaN. The student's log-probs come from one logsumexp over the vocabulary and a gather: no [tokens, vocabulary]
log-softmax is kept beside the logits.
"""

from __future__ import annotations

import math
from typing import Any

from mathdistill._optional import require

torch = require("torch", "train")

IGNORE_INDEX = -100
DIVERGENCES = ("forward", "reverse", "jsd")
# Smallest tail bucket: a top-K that holds (after float16 rounding) all the mass leaves a finite log.
TAIL_FLOOR = 1e-10
EMPTY = -1e6


def _with_tail(logp: Any) -> Any:
    """[N, K] log-probs (EMPTY for empty slots) -> [N, K + 1] with log(1 - sum) appended."""
    total = torch.logsumexp(logp, -1, keepdim=True)
    tail = torch.log((-torch.expm1(total.clamp_max(0.0))).clamp_min(TAIL_FLOOR))
    return torch.cat([logp, tail], -1)


def bucket_logprobs(student_logits: Any, teacher_ids: Any, teacher_logprobs: Any, temperature: float = 1.0,
                    student_lse: Any = None) -> tuple[Any, Any]:
    """(log P_T, log Q_T), each [N, K + 1], from student logits [N, V], teacher ids [N, K] (id < 0: an
    empty slot) and teacher log-probs [N, K]. `student_lse` [N, 1]: logsumexp of the logits, when the
    caller has it (the CE of the same tokens needs it too)."""
    z = student_logits.float()
    lse = torch.logsumexp(z, -1, keepdim=True) if student_lse is None else student_lse
    valid = teacher_ids >= 0
    empty = torch.full((), EMPTY, device=z.device)
    log_q = torch.where(valid, z.gather(-1, teacher_ids.clamp_min(0).long()) - lse, empty)
    log_p = torch.where(valid, teacher_logprobs.float().clamp_min(EMPTY), empty)
    # log_softmax renormalises (float16 teacher log-probs may sum a hair over 1) and tempers alike.
    return (torch.log_softmax(_with_tail(log_p) / temperature, -1),
            torch.log_softmax(_with_tail(log_q) / temperature, -1))


def _kl(log_a: Any, log_b: Any) -> Any:
    """sum_b a_b (log a_b - log b_b) over the last dim; empty buckets of `a` (a_b == 0) add nothing."""
    return (log_a.exp() * (log_a - log_b)).sum(-1)


def token_divergence(student_logits: Any, teacher_ids: Any, teacher_logprobs: Any, *, divergence: str = "forward",
                     beta: float = 0.5, temperature: float = 1.0, student_lse: Any = None) -> Any:
    """Per-token divergence [N] (times T^2) between the teacher's and the student's K + 1 buckets."""
    if divergence not in DIVERGENCES:
        raise ValueError(f"divergence must be one of {DIVERGENCES}, got {divergence!r}")
    log_p, log_q = bucket_logprobs(student_logits, teacher_ids, teacher_logprobs, temperature, student_lse)
    if divergence == "forward":
        d = _kl(log_p, log_q)
    elif divergence == "reverse":
        d = _kl(log_q, log_p)
    else:
        if not 0.0 < beta < 1.0:
            raise ValueError(f"jsd beta must be in (0, 1), got {beta}")
        log_m = torch.logsumexp(torch.stack([log_p + math.log(beta), log_q + math.log(1 - beta)]), 0)
        d = beta * _kl(log_p, log_m) + (1 - beta) * _kl(log_q, log_m)
    return d * temperature ** 2


class TopKKLLoss(torch.nn.Module):
    """Divergence between the teacher's top-K (+ tail) distribution and the student's.

    Args:
        divergence: forward | reverse | jsd.
        beta: the jsd mixture weight of the teacher, in (0, 1).
        temperature: T > 0, applied to both bucket distributions; the loss is scaled by T^2.
        ignore_index: label value of positions without a target (prompt, padding, no teacher entry).
    """

    def __init__(self, divergence: str = "forward", beta: float = 0.5, temperature: float = 1.0,
                 ignore_index: int = IGNORE_INDEX):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.divergence, self.beta, self.temperature, self.ignore_index = divergence, beta, temperature, ignore_index

    def forward(self, student_logits: Any, teacher_ids: Any, teacher_logprobs: Any, labels: Any,
                normalize: bool = True) -> Any:
        """
        Args:
            student_logits: [B, T, V] (or [N, V]) logits predicting each position's label.
            teacher_ids: [B, T, K] (or [N, K]) the teacher's top-K token ids there, int; < 0: empty slot.
            teacher_logprobs: [B, T, K] (or [N, K]) their log-probs.
            labels: [B, T] (or [N]); positions equal to `ignore_index` are left out.
            normalize: the mean over the kept positions (True) or their sum.

        Returns:
            a scalar; 0 when no position is kept.
        """
        v, k = student_logits.shape[-1], teacher_ids.shape[-1]
        keep = (labels != self.ignore_index).reshape(-1)
        d = token_divergence(student_logits.reshape(-1, v)[keep], teacher_ids.reshape(-1, k)[keep],
                             teacher_logprobs.reshape(-1, k)[keep], divergence=self.divergence, beta=self.beta,
                             temperature=self.temperature)
        total = d.sum()
        return total / keep.sum().clamp_min(1) if normalize else total
