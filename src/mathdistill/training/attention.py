"""Attention for packed rows without FlashAttention: SDPA per example instead of one block-diagonal mask.

transformers handles a packed row under `sdpa` by materialising a (T x T) block-diagonal mask over
the whole row, so attention costs T^2 for a row of T tokens although only the sum of the squared
example lengths is needed (on the benchmark's mixed lengths that cost most of packing's gain).
FlashAttention's varlen kernels do it right, but they need CUDA and the flash-attn package. This
implementation splits the row at the position-id restarts and runs causal SDPA on each example, so
its cost and its numbers are those of the examples run alone. Anything that is not a packed causal
training row (a padding mask, a KV cache, batch > 1) goes to transformers' own SDPA unchanged.
"""

from __future__ import annotations

import contextlib
from typing import Any

NAME = "mathdistill_packed_sdpa"


# Every layer of one forward gets the same position_ids object: find the example boundaries once per
# forward, not once per layer (each lookup is a device sync on GPU). Holding the tensor keeps its id unique.
_last: tuple[Any, list[tuple[int, int]]] | None = None


def _segments(position_ids: Any, length: int) -> list[tuple[int, int]]:
    global _last
    if _last is not None and _last[0] is position_ids:
        return _last[1]
    starts = (position_ids.reshape(-1) == 0).nonzero().flatten().tolist()
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    segs = list(zip(starts, [*starts[1:], length], strict=True))
    _last = (position_ids, segs)
    return segs


def packed_sdpa_attention(module: Any, query: Any, key: Any, value: Any, attention_mask: Any, dropout: float = 0.0,
                          scaling: float | None = None, **kwargs: Any) -> tuple[Any, None]:
    import torch
    import torch.nn.functional as F
    from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward

    pos = kwargs.get("position_ids")
    t = query.shape[2]
    if (attention_mask is not None or pos is None or query.shape[0] != 1 or key.shape[2] != t
            or not getattr(module, "is_causal", True) or pos.shape[-1] != t):
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    groups = query.shape[1] // key.shape[1]
    key, value = repeat_kv(key, groups), repeat_kv(value, groups)
    p = dropout if module.training else 0.0
    dtype = value.dtype
    cpu_fp32 = query.device.type == "cpu" and (torch.is_autocast_enabled("cpu") or dtype != torch.float32)
    if cpu_fp32:
        # The CPU flash kernel is ~2.4x slower in bf16 than in fp32 (forward + backward on SmolLM2's shapes: 0.45
        # vs 0.19 s of a 730-token step), and autocast would hand it bf16: on a CPU attention runs in fp32.
        query, key, value = query.float(), key.float(), value.float()
    with torch.autocast("cpu", enabled=False) if cpu_fp32 else contextlib.nullcontext():
        outs = [F.scaled_dot_product_attention(query[:, :, a:b], key[:, :, a:b], value[:, :, a:b], dropout_p=p,
                                               scale=scaling, is_causal=True)
                for a, b in _segments(pos, t)]
    out = outs[0] if len(outs) == 1 else torch.cat(outs, dim=2)
    return out.to(dtype).transpose(1, 2).contiguous(), None


def register() -> str:
    from transformers import AttentionInterface

    AttentionInterface.register(NAME, packed_sdpa_attention)
    return NAME


def choose(requested: str | None, packing: bool) -> str | None:
    """The attn_implementation to load the student with (None: transformers' default)."""
    if requested and requested != "auto":
        return requested
    if not packing:
        return None
    import importlib.util

    import torch

    if torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"  # varlen kernels read the packed layout from position_ids
    return register()
