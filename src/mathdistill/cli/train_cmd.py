"""`mathdistill train`: SFT/RFT (full or LoRA), LoRA-neg, MIX, NT, UL, DPO, KTO, NAT, NCE, ranker."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mathdistill.cli.common import ConfigOpt, SetOpt, console

Opt = typer.Option
OInt = Optional[int]  # noqa: UP045
OStr = Optional[str]  # noqa: UP045
OFloat = Optional[float]  # noqa: UP045
OBool = Optional[bool]  # noqa: UP045


def _csv(v: str | None) -> list[str] | None:
    return None if v is None else [x.strip() for x in v.split(",") if x.strip()]


def register(app: typer.Typer) -> None:
    @app.command("train")
    def train(
        config: ConfigOpt = None,
        set_: SetOpt = None,
        method: Annotated[OStr, Opt(help="sft | neg | mix | nt | ul | dpo | kto | nat | nce | ranker.")] = None,
        data: Annotated[OStr, Opt(help="Comma-separated JSONL: prompt/completion, messages, pairs, kto or "
                                       "ranker groups (curation's output).")] = None,
        negatives: Annotated[OStr, Opt(help="Extra JSONL of negatives for mix/nt/ul.")] = None,
        model: Annotated[OStr, Opt(help="Student: 'smollm2', an HF dir, a trained model dir or a Hub id.")] = None,
        out: Annotated[OStr, Opt("--out", "--output-dir", help="Output folder (checkpoints, final model).")] = None,
        lora_r: Annotated[OInt, Opt(help="LoRA rank (0 = full fine-tuning).")] = None,
        lora_alpha: Annotated[OInt, Opt(help="LoRA alpha.")] = None,
        lora_dropout: Annotated[OFloat, Opt(help="LoRA dropout.")] = None,
        lora_target_modules: Annotated[OStr, Opt(help="Comma-separated PEFT target modules.")] = None,
        learning_rate: Annotated[OFloat, Opt(help="Peak learning rate.")] = None,
        num_train_epochs: Annotated[OFloat, Opt(help="Epochs (ignored when --max-steps is set).")] = None,
        max_steps: Annotated[OInt, Opt(help="Optimizer steps (-1: use epochs).")] = None,
        per_device_train_batch_size: Annotated[OInt, Opt(help="Examples per device per micro-batch.")] = None,
        gradient_accumulation_steps: Annotated[OInt, Opt(help="Micro-batches per optimizer step.")] = None,
        warmup_ratio: Annotated[OFloat, Opt(help="Warmup as a fraction of total steps.")] = None,
        lr_scheduler_type: Annotated[OStr, Opt(help="cosine | linear | constant | ...")] = None,
        seed: Annotated[OInt, Opt(help="Seed (model init, data order, dropout).")] = None,
        save_steps: Annotated[OInt, Opt(help="Checkpoint every N steps.")] = None,
        logging_steps: Annotated[OInt, Opt(help="Log the loss every N steps.")] = None,
        report_to: Annotated[OStr, Opt(help="none | tensorboard | wandb (comma-separated).")] = None,
        resume_from_checkpoint: Annotated[OStr, Opt(help="auto (default: last complete checkpoint) | none | PATH.")]
        = None,
        max_length: Annotated[OInt, Opt(help="Max tokens of prompt + completion.")] = None,
        truncation: Annotated[OStr, Opt(help="Over-length examples: drop | truncate.")] = None,
        packing: Annotated[OBool, Opt("--packing/--no-packing", help="Padding-free packing.")] = None,
        gradient_checkpointing: Annotated[OBool, Opt("--gradient-checkpointing/--no-gradient-checkpointing")] = None,
        bf16: Annotated[OBool, Opt("--bf16/--no-bf16", help="Default: bf16 on a GPU with bf16, fp32 on CPU.")]
        = None,
        neg_lambda: Annotated[OFloat, Opt(help="nt: weight -lambda on negatives; ul: unlikelihood weight.")] = None,
        negative_adapter: Annotated[OStr, Opt(help="nat: the --method neg output folder.")] = None,
        teacher: Annotated[OStr, Opt(help="nce: the --method nat output folder.")] = None,
        template: Annotated[OStr, Opt(help="Prompt template recorded for eval (default: the data's).")] = None,
        merge: Annotated[OBool, Opt("--merge/--no-merge", help="Also write a merged model (LoRA).")] = None,
        progress: Annotated[bool, Opt("--progress/--no-progress", help="Progress bar.")] = True,
    ) -> None:
        """Train a student on curated data; rerun the same command to resume after a crash."""
        from mathdistill.config import load_config, save_resolved
        from mathdistill.training import run_training
        from mathdistill.training.config import TrainConfig

        flags = {"method": method, "model": model, "output_dir": out, "lora.r": lora_r, "lora.lora_alpha": lora_alpha,
                 "lora.lora_dropout": lora_dropout, "learning_rate": learning_rate, "num_train_epochs": num_train_epochs,
                 "max_steps": max_steps, "per_device_train_batch_size": per_device_train_batch_size,
                 "gradient_accumulation_steps": gradient_accumulation_steps, "warmup_ratio": warmup_ratio,
                 "lr_scheduler_type": lr_scheduler_type, "seed": seed, "save_steps": save_steps,
                 "logging_steps": logging_steps, "resume_from_checkpoint": resume_from_checkpoint,
                 "max_length": max_length, "truncation": truncation, "packing": packing,
                 "gradient_checkpointing": gradient_checkpointing, "bf16": bf16, "neg_lambda": neg_lambda,
                 "nat.negative_adapter": negative_adapter, "nce.teacher": teacher, "template": template,
                 "merge": merge, "data": _csv(data), "negatives": _csv(negatives),
                 "lora.target_modules": _csv(lora_target_modules), "report_to": _csv(report_to)}
        cfg = load_config(TrainConfig, config, set_, flags)
        save_resolved(cfg, cfg.output_dir)
        doc = run_training(cfg, progress=progress)
        m = doc.get("metrics") or {}
        bits = [f"{k}={m[k]:.4g}" if isinstance(m[k], float) else f"{k}={m[k]}"
                for k in ("global_step", "first_loss", "last_loss", "train_loss", "wall_s") if m.get(k) is not None]
        console.print(f"train {cfg.method}: {cfg.output_dir}  " + "  ".join(bits), highlight=False)
