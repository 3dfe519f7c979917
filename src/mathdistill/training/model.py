"""The student for training: precision, LoRA wrapping (PEFT), target-module checks.

Loading the base model and tokenizer from a folder is mathdistill.models.loading's."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mathdistill._optional import require
from mathdistill.errors import ConfigError
from mathdistill.models.loading import load_base

log = logging.getLogger(__name__)


def cpu_bf16() -> str | None:
    """What gives this CPU native bf16 matmuls (AMX, AVX512-BF16), or None: without it bf16 is emulated,
    slower than fp32."""
    import torch

    for probe, name in (("_is_amx_tile_supported", "AMX"), ("_is_avx512_bf16_supported", "AVX512-BF16")):
        try:
            if getattr(torch.cpu, probe)():
                return name
        except (AttributeError, RuntimeError):
            pass
    try:
        flags = set(next(line for line in Path("/proc/cpuinfo").read_text().splitlines()
                         if line.startswith("flags")).split(":", 1)[1].split())
    except (OSError, StopIteration):
        return None
    return "AMX" if "amx_bf16" in flags else "AVX512-BF16" if "avx512_bf16" in flags else None


def precision_info(cfg: Any) -> dict[str, Any]:
    """How the student trains, recorded in the manifest: bf16 autocast over fp32 master weights where
    the hardware computes bf16 natively (a GPU with bf16, a CPU with AMX / AVX512-BF16), fp32
    elsewhere; `bf16: true|false` in the config overrides the detection."""
    import torch

    if torch.cuda.is_available():
        device, native = "cuda", ("GPU" if torch.cuda.is_bf16_supported() else None)
        if cfg.bf16 and not native:
            raise ConfigError("bf16=true needs a GPU with bf16 support (this one has none); drop --bf16")
    else:
        device, native = "cpu", cpu_bf16()
        if cfg.bf16 and not native:
            log.warning("bf16 on a CPU without native bf16 (no AMX / AVX512-BF16): emulated, slower than fp32")
    bf16 = bool(native) if cfg.bf16 is None else bool(cfg.bf16)
    why = ("config" if cfg.bf16 is not None else
           f"auto: {native} has native bf16" if native else f"auto: no native bf16 on this {device.upper()}")
    return {"dtype": "bf16" if bf16 else "fp32", "autocast": bf16, "master_weights": "fp32", "device": device,
            "native_bf16": native, "why": why}


# Tokens a micro-batch holds on average from which a CPU run checkpoints by default. Measured on SmolLM2-135M
# at batch 8 (benchmarks/README.md): teacher rows, ~2,400 tokens a step, -44% peak RSS for -4% tokens/s;
# synthetic rows, ~730 tokens a step, -23% for -19%: worth it only where the activations dominate.
CPU_CHECKPOINTING_TOKENS = 2048


def default_checkpointing(tokens_per_step: float | None) -> bool:
    """Gradient checkpointing when the config leaves it unset (and max_length is below
    GRADIENT_CHECKPOINTING_FROM): off on a GPU, where it costs ~25% for memory short rows do not need; on a
    CPU, on from CPU_CHECKPOINTING_TOKENS tokens a micro-batch (or always, when that is not known)."""
    import torch

    if torch.cuda.is_available():
        return False
    return tokens_per_step is None or tokens_per_step >= CPU_CHECKPOINTING_TOKENS


def precision(cfg: Any) -> tuple[Any, bool]:
    """(dtype to load LoRA bases and frozen teachers in, bf16 autocast flag for TrainingArguments).

    Trained weights stay fp32 (master weights) and autocast runs the matmuls in bf16. Frozen weights
    are stored in bf16 on a GPU (half the memory); on a CPU they stay fp32 (autocast casts them per
    matmul, and every other op keeps fp32's accuracy)."""
    import torch

    info = precision_info(cfg)
    bf16 = info["autocast"]
    if cfg.gradient_checkpointing is None:  # a method that does not tokenize examples (DPO, KTO)
        cfg.gradient_checkpointing = default_checkpointing(None)
    return (torch.bfloat16 if bf16 and info["device"] == "cuda" else torch.float32), bf16


def use_liger(cfg: Any, model: Any, plain_ce: bool) -> dict[str, Any]:
    """Liger's fused linear cross-entropy (the `liger` extra) on `model` when the config and the machine
    allow it; what was decided, for the manifest. The kernel computes the loss from the LM head's input
    in chunks on the GPU and never builds the logits; it is Triton (GPU only) and computes a plain mean
    cross-entropy, so methods that weigh tokens (nt) or add unlikelihood (ul) keep our loss."""
    import importlib.util

    import torch

    want = cfg.use_liger_kernel
    if want is False:
        return {"used": False, "why": "config"}
    why = None
    if not torch.cuda.is_available():
        why = "no GPU (Liger's kernels are Triton)"
    elif importlib.util.find_spec("liger_kernel") is None:
        why = "liger-kernel is not installed (pip install 'mathdistill[liger]')"
    elif not plain_ce:
        why = f"--method {cfg.method} weighs tokens: its loss is not a plain cross-entropy"
    if why is None:
        from liger_kernel.transformers import _apply_liger_kernel_to_instance
        from liger_kernel.transformers.monkey_patch import MODEL_TYPE_TO_APPLY_LIGER_FN

        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        model_type = getattr(base.config, "model_type", None)
        if model_type not in MODEL_TYPE_TO_APPLY_LIGER_FN:
            why = f"Liger has no kernels for model type {model_type!r}"
        else:
            # Only the loss changes: norms, RoPE and MLP keep transformers' kernels (and numbers).
            _apply_liger_kernel_to_instance(model=base, fused_linear_cross_entropy=True, cross_entropy=False,
                                            rope=False, rms_norm=False, swiglu=False, geglu=False, layer_norm=False)
            from importlib.metadata import PackageNotFoundError, version

            try:
                got = version("liger-kernel")
            except PackageNotFoundError:
                got = None
            return {"used": True, "kernel": "fused_linear_cross_entropy", "version": got}
    if want:
        raise ConfigError(f"use_liger_kernel=true: {why}")
    return {"used": False, "why": why}


def module_suffixes(model: Any) -> set[str]:
    return {name.rsplit(".", 1)[-1] for name, _ in model.named_modules() if name}


def check_targets(model: Any, targets: list[str], path: str) -> None:
    have = module_suffixes(model)
    missing = [t for t in targets if t not in have]
    if missing:
        linear = sorted(n.rsplit(".", 1)[-1] for n, m in model.named_modules()
                        if type(m).__name__ == "Linear" and n)
        raise ConfigError(f"--lora-target-modules {','.join(missing)}: not in {path} "
                          f"(its linear layers: {', '.join(sorted(set(linear)))})")


def lora_config(cfg: Any) -> Any:
    peft = require("peft", "train")
    return peft.LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.lora_alpha, lora_dropout=cfg.lora.lora_dropout,
                           target_modules=list(cfg.lora.target_modules), bias="none", task_type="CAUSAL_LM")


def student_attention(cfg: Any) -> str | None:
    from mathdistill.training.attention import choose

    return choose(cfg.attn_implementation, cfg.packing)


def load_student(cfg: Any, path: str) -> Any:
    """The base model, LoRA-wrapped when lora.r > 0. Full fine-tuning keeps fp32 master weights."""
    import torch

    dtype, _ = precision(cfg)
    model = load_base(path, dtype if cfg.lora.r > 0 else torch.float32, student_attention(cfg))
    n_pos = getattr(model.config, "max_position_embeddings", None)
    if isinstance(n_pos, int) and cfg.max_length > n_pos:
        log.warning("max_length %s is longer than %s's %s positions: rows past them train on positions the "
                    "model never saw", cfg.max_length, path, n_pos)
    if cfg.gradient_checkpointing:
        model.config.use_cache = False
    if cfg.lora.r > 0:
        peft = require("peft", "train")
        check_targets(model, cfg.lora.target_modules, path)
        model = peft.get_peft_model(model, lora_config(cfg))
        if cfg.gradient_checkpointing:
            model.enable_input_require_grads()  # checkpointed blocks need a grad-requiring input under LoRA
    return model


def count_parameters(model: Any) -> dict[str, int]:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"total": total, "trainable": trainable}
