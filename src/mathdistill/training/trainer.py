"""Our transformers Trainer: one weighted loss for sft/neg/mix/nt/ul, TrainingArguments from TrainConfig,
and checkpoint discovery that survives a kill -9 in the middle of a save."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from mathdistill._optional import require

transformers = require("transformers", "train")

from mathdistill.training.collate import (
    aligned_weighted_sum,
    kept_token_losses,
    label_positions,
    token_losses,
    weighted_loss_sum,
)


def accepts_logits_to_keep(model: Any) -> bool:
    """HF causal LMs (and PEFT wrappers around them) can skip the LM head on unneeded positions."""
    import inspect

    base = model
    while hasattr(base, "get_base_model") or hasattr(base, "module"):
        base = base.get_base_model() if hasattr(base, "get_base_model") else base.module
    try:
        return "logits_to_keep" in inspect.signature(base.forward).parameters
    except (TypeError, ValueError):
        return False


class WeightedLossTrainer(transformers.Trainer):
    """Token-sum of the weighted loss divided by the label-token count of the whole
    accumulated batch (`num_items_in_batch`), so gradient accumulation and packing give the
    same loss as one big padded batch."""

    loss_is_scaled_for_ga = True

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Our compute_loss always wants the token count of the accumulated batch.
        self.model_accepts_loss_kwargs = True
        self._loss_shifts_labels = True

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        labels = inputs.pop("labels")
        ce_w, ul_w = inputs.pop("ce_weight"), inputs.pop("ul_weight")
        if getattr(self, "_keep_ok", None) is None:  # signature inspection once, not every step
            self._keep_ok = accepts_logits_to_keep(model)
        keep = label_positions(labels) if self._keep_ok else None
        if keep is None:
            outputs = model(**inputs, use_cache=False)
            total = weighted_loss_sum(token_losses(outputs.logits, labels), labels, ce_w, ul_w)
        else:
            # The LM head (vocab x hidden) runs only where a label follows: prompts and pads cost no logits.
            outputs = model(**inputs, use_cache=False, logits_to_keep=keep)
            ce, tgt = kept_token_losses(outputs.logits, labels, keep)
            total = aligned_weighted_sum(ce, tgt, ce_w[:, keep + 1], ul_w[:, keep + 1])
        denom = num_items_in_batch if num_items_in_batch is not None else (labels[:, 1:] != -100).sum()
        loss = total / denom.clamp_min(1) if hasattr(denom, "clamp_min") else total / max(1, int(denom))
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            loss = loss * self.accelerator.num_processes  # denom was gathered over all processes
        return (loss, outputs) if return_outputs else loss


def training_arguments(cfg: Any, bf16: bool, progress: bool, **override: Any) -> Any:
    import torch

    kw: dict[str, Any] = dict(
        output_dir=cfg.output_dir, learning_rate=cfg.learning_rate, num_train_epochs=cfg.num_train_epochs,
        max_steps=cfg.max_steps, per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        warmup_steps=cfg.warmup_ratio,  # transformers 5: a float in [0, 1) is a ratio of total steps
        lr_scheduler_type=cfg.lr_scheduler_type, weight_decay=cfg.weight_decay, max_grad_norm=cfg.max_grad_norm,
        seed=cfg.seed, data_seed=cfg.seed, save_strategy="steps", save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit, logging_steps=cfg.logging_steps, logging_first_step=True,
        report_to=[r for r in cfg.report_to if r != "none"] or "none",
        gradient_checkpointing=cfg.gradient_checkpointing, bf16=bf16,
        dataloader_num_workers=cfg.dataloader_num_workers, remove_unused_columns=False,
        disable_tqdm=not progress, use_cpu=not torch.cuda.is_available(),
    )
    if cfg.gradient_checkpointing:
        kw["gradient_checkpointing_kwargs"] = {"use_reentrant": False}
    kw.update(override)
    kw.update(cfg.extra_args)
    return kw


def make_args(cls: Any, kw: dict[str, Any]) -> Any:
    from mathdistill.errors import ConfigError

    try:
        return cls(**kw)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"training arguments: {e}".splitlines()[0]) from None


def _complete(ckpt: Path) -> bool:
    """trainer_state.json is the last file a checkpoint save writes; a torn one does not parse."""
    try:
        state = json.loads((ckpt / "trainer_state.json").read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return "global_step" in state


def last_checkpoint(output_dir: str | Path) -> str | None:
    """The newest complete checkpoint-N; incomplete ones (killed mid-save) are removed."""
    out = Path(output_dir)
    if not out.is_dir():
        return None
    ckpts = sorted((p for p in out.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()),
                   key=lambda p: int(p.name.split("-")[-1]))
    for p in reversed(ckpts):
        if _complete(p):
            return str(p)
        shutil.rmtree(p, ignore_errors=True)
    return None


def resume_point(cfg: Any) -> str | None:
    spec = cfg.resume_from_checkpoint
    if spec in (None, "auto", "true", "True"):
        return last_checkpoint(cfg.output_dir)
    if spec in ("none", "false", "False"):
        return None
    from mathdistill.errors import ConfigError

    if not _complete(Path(spec)):
        raise ConfigError(f"--resume-from-checkpoint {spec}: not a complete checkpoint (no trainer_state.json)")
    return spec
