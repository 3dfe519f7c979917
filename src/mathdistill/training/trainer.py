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
    LOSS_CHUNK_BYTES,
    LOSS_CHUNKS_FROM,
    chunked_token_losses,
    group_counts,
    kept_token_losses,
    label_positions,
    loss_sums,
    normalized_loss,
    pop_loss_inputs,
    segment_ids,
    token_losses,
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


# Causal LMs whose logits are the LM head's output as is (no soft-capping or scaling after it), so the
# loss may be computed from the head's input in chunks (collate.chunked_token_losses).
PLAIN_HEAD_MODELS = frozenset({"llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "smollm3",
                               "phi3", "olmo2"})


def chunkable_head(model: Any, args: Any) -> Any:
    """The LM head (an nn.Linear) when the loss may run in chunks from its input, else None: a known
    plain-head model, the head not adapted (LoRA on lm_head), its weight whole on this process (not
    ZeRO-3 / FSDP sharded)."""
    import torch

    if getattr(args, "deepspeed", None) or getattr(args, "fsdp", None):
        return None
    base = model
    while hasattr(base, "get_base_model") or hasattr(base, "module"):
        base = base.get_base_model() if hasattr(base, "get_base_model") else base.module
    if getattr(getattr(base, "config", None), "model_type", None) not in PLAIN_HEAD_MODELS:
        return None
    head = base.get_output_embeddings() if hasattr(base, "get_output_embeddings") else None
    return head if type(head) is torch.nn.Linear else None


class WeightedLossTrainer(transformers.Trainer):
    """The weighted token loss (training.collate.loss_sums), normalised per the method's row:

    joint: token sum divided by the label-token count of the whole accumulated batch
    (`num_items_in_batch`), so gradient accumulation and packing give the same loss as one big
    padded batch; separate (NT, UL): positives and negatives each divided by their own count in
    the accumulated batch (counted in get_batch_samples)."""

    loss_is_scaled_for_ga = True

    def __init__(self, *args: Any, normalize: str = "joint", ul_level: str = "token",
                 liger: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.liger = liger or {"used": False}  # model.use_liger: the model computes a plain CE itself
        # Our compute_loss always wants the token count of the accumulated batch.
        self.model_accepts_loss_kwargs = True
        self._loss_shifts_labels = True
        self.normalize, self.ul_level = normalize, ul_level
        self._group_counts: Any = None  # of the accumulated batch being trained on
        self.loss_chunk_bytes = LOSS_CHUNK_BYTES
        self.loss_chunked_steps = 0  # steps whose loss ran in chunks (the manifest reports it)

    @staticmethod
    def _forward_to_head(model: Any, inputs: dict[str, Any], keep: Any, head: Any) -> tuple[Any, Any]:
        """The model's forward up to the LM head: the head's input is taken, and the head itself gets no
        positions (the model is still called whole, so DDP and PEFT wrappers see their forward)."""
        taken: list[Any] = []

        def take(module: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
            taken.append(args[0])
            return (args[0][..., :0, :], *args[1:])

        hook = head.register_forward_pre_hook(take)
        try:
            outputs = model(**inputs, use_cache=False, logits_to_keep=keep)
        finally:
            hook.remove()
        return outputs, taken[-1]

    def get_batch_samples(self, *args: Any, **kwargs: Any) -> Any:
        batch_samples, num_items = super().get_batch_samples(*args, **kwargs)
        if self.normalize == "separate" and batch_samples:
            counts = sum(group_counts(b["labels"], b["negative"], segment_ids(b["labels"], b.get("position_ids")))
                         for b in batch_samples)
            if self.args.average_tokens_across_devices and self.args.world_size > 1:
                counts = self.accelerator.gather(counts.to(self.args.device)).reshape(-1, 3).sum(0)
            self._group_counts = counts
        return batch_samples, num_items

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        labels = inputs.pop("labels")
        w = pop_loss_inputs(inputs)
        if self.liger["used"] and model.training:
            # Liger's forward: sum of CE over the label tokens / num_items_in_batch (mean without it),
            # shifted as ours, from the head's input in chunks; only for all-ones weights (use_liger).
            outputs = model(**inputs, labels=labels, use_cache=False, num_items_in_batch=num_items_in_batch)
            loss = outputs.loss
            if self.args.average_tokens_across_devices and num_items_in_batch is not None \
                    and self.args.world_size > 1:
                loss = loss * self.accelerator.num_processes
            return (loss, outputs) if return_outputs else loss
        seg = segment_ids(labels, inputs.get("position_ids"))
        if getattr(self, "_keep_ok", None) is None:  # signature inspection once, not every step
            self._keep_ok = accepts_logits_to_keep(model)
        keep = label_positions(labels) if self._keep_ok else None
        if keep is None:
            outputs = model(**inputs, use_cache=False)
            ce, tgt, at = token_losses(outputs.logits, labels), labels[:, 1:], slice(1, None)
        else:
            # The LM head (vocab x hidden) runs only where a label follows: prompts and pads cost no logits.
            if getattr(self, "_head", False) is False:
                self._head = chunkable_head(model, self.args)
            head, tgt = self._head, labels[:, keep + 1]
            logit_bytes = tgt.numel() * head.weight.size(0) * 4 if head is not None else 0
            if self.loss_chunk_bytes and logit_bytes > LOSS_CHUNKS_FROM * self.loss_chunk_bytes:
                outputs, hidden = self._forward_to_head(model, inputs, keep, head)
                ce = chunked_token_losses(hidden, head, tgt, self.loss_chunk_bytes)
                self.loss_chunked_steps += 1
            else:
                outputs = model(**inputs, use_cache=False, logits_to_keep=keep)
                ce, tgt = kept_token_losses(outputs.logits, labels, keep)
            at = keep + 1
        sums = loss_sums(ce, tgt, w["ce_weight"][:, at], w["ul_weight"][:, at], w["negative"][:, at], seg[:, at],
                         self.ul_level)
        if self.normalize == "separate":
            counts = self._group_counts if model.training and self._group_counts is not None \
                else group_counts(labels, w["negative"], seg)
            loss = normalized_loss(sums, counts)
            gathered = model.training and self._group_counts is not None
        else:
            denom = num_items_in_batch if num_items_in_batch is not None else (labels[:, 1:] != -100).sum()
            total = sums[0] + sums[1] + sums[2]
            loss = total / denom.clamp_min(1) if hasattr(denom, "clamp_min") else total / max(1, int(denom))
            gathered = num_items_in_batch is not None
        if self.args.average_tokens_across_devices and gathered and self.args.world_size > 1:
            loss = loss * self.accelerator.num_processes  # the counts were gathered over all processes
        return (loss, outputs) if return_outputs else loss


def world_size() -> int:
    """Processes of this training run (torchrun / accelerate set WORLD_SIZE)."""
    import os

    return max(1, int(os.environ.get("WORLD_SIZE", "1")))


def accumulation_steps(cfg: Any, world: int | None = None) -> int:
    """Micro-batches per optimizer step: from global_batch_size when set, whatever the number of devices."""
    from mathdistill.errors import ConfigError

    if not cfg.global_batch_size:
        return int(cfg.gradient_accumulation_steps)
    world = world or world_size()
    per_step = cfg.per_device_train_batch_size * world
    if cfg.global_batch_size % per_step:
        raise ConfigError(f"global_batch_size {cfg.global_batch_size} is not a multiple of per_device_train_batch_size "
                          f"{cfg.per_device_train_batch_size} x {world} device(s)")
    return cfg.global_batch_size // per_step


def warmup_kwargs(cfg: Any, args_cls: Any) -> dict[str, Any]:
    """Warmup as this transformers version reads it. 4.x has `warmup_ratio` and an integer
    `warmup_steps`; 5.x dropped `warmup_ratio` and reads a float `warmup_steps` < 1 as a ratio."""
    import dataclasses

    if cfg.warmup_steps:
        return {"warmup_steps": int(cfg.warmup_steps)}
    if "warmup_ratio" in {f.name for f in dataclasses.fields(args_cls)}:
        return {"warmup_ratio": float(cfg.warmup_ratio), "warmup_steps": 0}
    return {"warmup_steps": float(cfg.warmup_ratio)}


def training_arguments(cfg: Any, bf16: bool, progress: bool, **override: Any) -> Any:
    import torch

    kw: dict[str, Any] = dict(
        output_dir=cfg.output_dir, learning_rate=cfg.learning_rate, num_train_epochs=cfg.num_train_epochs,
        max_steps=cfg.max_steps, per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=accumulation_steps(cfg),
        **warmup_kwargs(cfg, transformers.TrainingArguments),
        lr_scheduler_type=cfg.lr_scheduler_type, weight_decay=cfg.weight_decay, max_grad_norm=cfg.max_grad_norm,
        seed=cfg.seed, data_seed=cfg.seed, save_strategy="steps", save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit, logging_steps=cfg.logging_steps, logging_first_step=True,
        report_to=[r for r in cfg.report_to if r != "none"] or "none",
        gradient_checkpointing=bool(cfg.gradient_checkpointing), bf16=bf16,
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
