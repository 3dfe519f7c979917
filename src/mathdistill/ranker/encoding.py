"""Question + rationale -> encoder inputs with a mask over the rationale tokens only.

Pitfalls fixed against TDG (methods.md 4.17): every rationale token is kept (TDG drops the
first), and an over-length pair loses question tokens first, never the whole example (TDG
skips it, which gives the sample a mean-imputed score at vote time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# A question cut to nothing leaves the ranker guessing what was asked; keep at least this
# share of the budget for it when the rationale alone would fill the window.
MIN_QUESTION_SHARE = 0.25


@dataclass
class Encoded:
    input_ids: list[int]
    token_type_ids: list[int] | None
    rationale_mask: list[int]  # 1 on rationale tokens, 0 on question, special tokens and padding
    truncated: bool


def _budget_split(n_q: int, n_r: int, budget: int) -> tuple[int, int]:
    """Tokens kept of (question, rationale) so that they fit `budget`."""
    if n_q + n_r <= budget:
        return n_q, n_r
    keep_q = max(budget - n_r, min(n_q, int(budget * MIN_QUESTION_SHARE)))
    return keep_q, budget - keep_q


def encode_pairs(tokenizer: Any, pairs: Sequence[tuple[str, str]], max_length: int) -> list[Encoded]:
    """Tokenise (question, rationale) pairs as the tokenizer's own pair format, then truncate.

    Positions come from `sequence_ids` (fast tokenizers), so the special-token layout of any
    encoder (BERT's [CLS] q [SEP] r [SEP], T5's q </s> r </s>) is respected without knowing it.
    The question keeps its start (the tokenizer's truncation side decides); the rationale, when
    it alone is too long, keeps its end, where the final answer is.
    """
    if not pairs:
        return []
    n_special = tokenizer.num_special_tokens_to_add(pair=True)
    budget = max_length - n_special
    if budget < 2:
        from mathdistill.errors import ConfigError

        raise ConfigError(f"ranker.max_length={max_length} leaves no room for text ({n_special} special tokens)")
    enc = tokenizer([q for q, _ in pairs], [r for _, r in pairs], truncation=False, verbose=False)
    out = []
    left_q = getattr(tokenizer, "truncation_side", "right") == "left"
    for i in range(len(pairs)):
        ids = enc["input_ids"][i]
        types = enc["token_type_ids"][i] if "token_type_ids" in enc else None
        seq = enc.sequence_ids(i)
        q_pos = [j for j, s in enumerate(seq) if s == 0]
        r_pos = [j for j, s in enumerate(seq) if s == 1]
        keep_q, keep_r = _budget_split(len(q_pos), len(r_pos), budget)
        drop = set(q_pos[:len(q_pos) - keep_q] if left_q else q_pos[keep_q:]) | set(r_pos[:len(r_pos) - keep_r])
        keep = [j for j in range(len(ids)) if j not in drop]
        out.append(Encoded(
            input_ids=[ids[j] for j in keep],
            token_type_ids=None if types is None else [types[j] for j in keep],
            rationale_mask=[int(seq[j] == 1) for j in keep],
            truncated=bool(drop),
        ))
    return out


def pad_id(tokenizer: Any) -> int:
    for v in (tokenizer.pad_token_id, getattr(tokenizer, "eos_token_id", None)):
        if v is not None:
            return int(v)
    return 0


def collate(batch: Sequence[Encoded], pad: int, device: Any = None) -> dict[str, Any]:
    """Right-pad to the longest sequence; returns tensors for `RankerModel.forward`."""
    import torch

    n = max(len(e.input_ids) for e in batch)

    def padded(rows: list[list[int]], fill: int) -> Any:
        return torch.tensor([r + [fill] * (n - len(r)) for r in rows], dtype=torch.long, device=device)

    out = {
        "input_ids": padded([e.input_ids for e in batch], pad),
        "attention_mask": padded([[1] * len(e.input_ids) for e in batch], 0),
        "rationale_mask": padded([e.rationale_mask for e in batch], 0),
    }
    if batch[0].token_type_ids is not None:
        out["token_type_ids"] = padded([e.token_type_ids or [] for e in batch], 0)
    return out
