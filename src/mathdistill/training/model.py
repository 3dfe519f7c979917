"""The student for training: precision, LoRA wrapping (PEFT), target-module checks.

Loading the base model and tokenizer from a folder is mathdistill.models.loading's."""

from __future__ import annotations

from typing import Any

from mathdistill._optional import require
from mathdistill.errors import ConfigError
from mathdistill.models.loading import load_base


def precision(cfg: Any) -> tuple[Any, bool]:
    """(dtype to load LoRA bases in, bf16 flag for TrainingArguments): bf16 on a GPU that has it, fp32 on CPU."""
    import torch

    gpu_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if cfg.bf16 and not gpu_bf16:
        raise ConfigError("bf16=true needs a GPU with bf16 support (this machine has none); drop --bf16")
    bf16 = gpu_bf16 if cfg.bf16 is None else bool(cfg.bf16)
    return (torch.bfloat16 if bf16 else torch.float32), bf16


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
