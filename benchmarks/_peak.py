"""The machine's limits, measured in the same run as the figures they judge.

A speed only says how far it is from what the hardware can do next to a peak taken on the same
machine, under the same load, in the same process: `matmul_peak` (torch matmul, the operation
training and decoding spend their FLOPs in) and `copy_bandwidth` (a large tensor copy, what
decoding a small batch is bound by: every step reads all the weights once). Both are the best of
a few repeats, so a shared machine lowers them less than it lowers a single timing.
"""

from __future__ import annotations

import time
from typing import Any

_NAMES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _sync(dev: str) -> None:
    if dev == "cuda":
        import torch

        torch.cuda.synchronize()


def _best(fn: Any, dev: str, repeats: int, budget_s: float) -> float:
    """Fastest of `repeats` timed calls (one untimed call first), stopping early past `budget_s`."""
    fn()
    _sync(dev)
    best, start = float("inf"), time.perf_counter()
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        _sync(dev)
        best = min(best, time.perf_counter() - t0)
        if time.perf_counter() - start > budget_s:
            break
    return best


def matmul_peak(dtype: str = "fp32", sizes: tuple[int, ...] | None = None, repeats: int = 5,
                budget_s: float = 10.0) -> dict[str, Any]:
    """Best FLOP/s of square torch matmuls (2·n³ FLOPs each) over `sizes`, for dtype fp32 | bf16 | fp16.

    Several sizes because the fastest one differs by machine (cache sizes, tile shapes); the best is
    the peak that MFU divides by. `gflops` is None where the dtype is not computed natively
    (torch then emulates it, and a peak of an emulation is no limit of the hardware)."""
    import torch

    dev = device()
    dt = getattr(torch, _NAMES[dtype])
    sizes = sizes or ((2048, 4096, 8192) if dev == "cuda" else (512, 1024, 2048))
    by_size = {}
    for n in sizes:
        a = torch.randn(n, n, device=dev).to(dt)
        b = torch.randn(n, n, device=dev).to(dt)
        secs = _best(lambda a=a, b=b: torch.mm(a, b), dev, repeats, budget_s / len(sizes))
        by_size[n] = 2 * n**3 / secs / 1e9
    best = max(by_size.values())
    return {"dtype": dtype, "device": dev, "gflops": round(best, 1),
            "by_size": {n: round(v, 1) for n, v in by_size.items()}, "native": native(dtype)}


def native(dtype: str) -> bool:
    """Whether this machine computes `dtype` matmuls in hardware (CPU: AVX512-BF16 or AMX for bf16)."""
    import torch

    if dtype == "fp32":
        return True
    if torch.cuda.is_available():
        return dtype == "fp16" or torch.cuda.is_bf16_supported()
    if dtype != "bf16":
        return False
    caps = getattr(torch.backends.cpu, "get_cpu_capability", lambda: "")()
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        pass
    return "avx512_bf16" in flags or "amx_bf16" in flags or "AMX" in str(caps)


def copy_bandwidth(mib: int = 512, repeats: int = 5, budget_s: float = 10.0) -> dict[str, Any]:
    """Best GB/s of `dst.copy_(src)` on a `mib` MiB tensor, counting the bytes read and written.

    The tensor is far larger than any cache, so this is what streaming weights from memory costs."""
    import torch

    dev = device()
    n = mib * 2**20 // 4
    src = torch.ones(n, device=dev)
    dst = torch.empty_like(src)
    secs = _best(lambda: dst.copy_(src), dev, repeats, budget_s)
    return {"device": dev, "gbps": round(2 * n * 4 / secs / 1e9, 1), "mib": mib}


def load_note() -> str:
    """The machine's load, printed next to the figures: a peak measured while other jobs run is
    lower than the idle one, and so is the speed it judges."""
    import os

    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load unknown"
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} logical CPUs"


def model_flops_per_token(n_params: int, n_layers: int, d_model: int, context: float) -> float:
    """Training FLOPs per token: 6·N for the weights (forward 2N, backward 4N) plus 12·L·d·T for
    attention scores and their weighted sums over a context of T tokens (PaLM's accounting, which
    counts the whole T x T product, not the causal half)."""
    return 6 * n_params + 12 * n_layers * d_model * context


def model_shape(path: str) -> dict[str, int]:
    """Sizes of the model at `path` that bound its speed, built on the meta device (nothing is read
    but config.json): `params` = the weights that compute (an untied input embedding is a lookup
    and is left out; a tied one counts once, for the LM head), `layers`, `d_model`, and
    `kv_per_token` = K and V elements one token adds to the cache over all layers."""
    import torch
    import transformers

    cfg = transformers.AutoConfig.from_pretrained(path)
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(cfg)
    n = sum(p.numel() for p in model.parameters())
    if not getattr(cfg, "tie_word_embeddings", False):
        n -= model.get_input_embeddings().weight.numel()
    heads = cfg.num_attention_heads
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // heads
    kv_heads = getattr(cfg, "num_key_value_heads", None) or heads
    return {"params": n, "layers": cfg.num_hidden_layers, "d_model": cfg.hidden_size,
            "kv_per_token": 2 * cfg.num_hidden_layers * kv_heads * head_dim}


def decode_bound(shape: dict[str, int], batch: int, context: float, bytes_per_elem: int, gbps: float,
                 gflops: float) -> dict[str, float]:
    """The most decode tokens/s this machine allows for `batch` sequences of `context` tokens.

    Memory: each step reads every weight once and each sequence's KV cache, and yields `batch`
    tokens: batch x bandwidth / (weight bytes + batch x context x KV bytes per token).
    Compute: each token costs 2·N for the weights plus 4·L·d·context for attention.
    The lower of the two binds (memory for small batches, compute for large ones)."""
    weights = shape["params"] * bytes_per_elem
    kv = batch * context * shape["kv_per_token"] * bytes_per_elem
    memory = batch * gbps * 1e9 / (weights + kv)
    compute = gflops * 1e9 / (2 * shape["params"] + 4 * shape["layers"] * shape["d_model"] * context)
    return {"memory": memory, "compute": compute, "bound": min(memory, compute),
            "binding": "memory" if memory < compute else "compute"}
