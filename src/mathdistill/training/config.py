"""TrainConfig: everything `mathdistill train` needs, loadable from YAML with --set overrides.

Field names follow transformers `TrainingArguments` / TRL / PEFT so a user can read a
config without a glossary. Method-specific knobs live in small nested groups
(`lora`, `nat`, `nce`, `ranker`, `pref`) so one YAML can hold them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mathdistill.config import knob
from mathdistill.errors import ConfigError
from mathdistill.training.methods import TABLE, method_spec

METHODS = tuple(TABLE)


@dataclass
class LoraArgs:
    """PEFT LoraConfig names. r == 0 means full fine-tuning (for sft/neg/mix/nt/ul)."""

    r: int = knob(0, "LoRA rank (0 = full fine-tuning).")
    lora_alpha: int = knob(16, "LoRA alpha.", flags="--lora-alpha")
    lora_dropout: float = knob(0.05, "LoRA dropout.", flags="--lora-dropout")
    target_modules: list[str] = knob(factory=lambda: ["q_proj", "v_proj"], help="Comma-separated PEFT target modules.")


@dataclass
class NatArgs:
    """NAT integration unit (methods.md 3.4)."""

    negative_adapter: str | None = knob(None, "nat: the --method neg output folder (a LoRA run).",
                                        flags="--negative-adapter")
    bottleneck: int = knob(128, "nat: width of W_Q/W_K/W_V1.")
    beta: float = knob(0.5, "nat: alpha_neg = 2*beta*p_neg - beta.")
    temperature: float = knob(1.0, "nat: softmax temperature of the integration unit's attention.")


@dataclass
class NceArgs:
    """NCE distillation (methods.md 3.5)."""

    teacher: str | None = knob(None, "nce: the --method nat output folder.", flags="--teacher")
    lambda_kd: float = knob(0.5, "nce: L = (1 - lambda) CE + lambda KD.")
    kd_temperature: float = knob(1.0, "nce: distillation temperature.")


@dataclass
class RankerArgs:
    """ASC ranker (methods.md 3.6). `model` of the TrainConfig names the encoder."""

    gamma: float = knob(3.0, "ranker: loss (1 - s+)^gamma + (s-)^gamma.")
    val_questions: int = knob(100, "ranker: held-out questions for pairwise validation accuracy.")
    max_length: int = knob(512, "ranker: max tokens of question + response.")


@dataclass
class PrefArgs:
    """TRL DPO/KTO knobs (TRL names)."""

    beta: float = knob(0.1, "dpo/kto: TRL beta.")
    loss_type: str = knob("sigmoid", "dpo: TRL loss_type.")
    desirable_weight: float = knob(1.0, "kto: weight of desirable examples.")
    undesirable_weight: float = knob(1.0, "kto: weight of undesirable examples.")


@dataclass
class TrainConfig:
    method: str = knob("sft", " | ".join(METHODS) + ".")
    model: str = knob("smollm2", "Student (ranker: encoder): 'smollm2', an HF dir, a trained model dir or a Hub id.")
    data: list[str] = knob(factory=list, help="Comma-separated JSONL: prompt/completion, messages, pairs, kto or "
                                              "ranker groups (curation's output).")
    negatives: list[str] = knob(factory=list, help="Extra JSONL of negatives (label=False rows) for mix/nt/ul, "
                                                   "comma-separated.")
    output_dir: str = knob("runs/train", "Output folder (checkpoints, final model).", flags=("--out", "--output-dir"))
    # Data handling.
    max_length: int = knob(1024, "Max tokens of prompt + completion.")
    truncation: str = knob("drop", "Over-length examples: drop | truncate (counted and reported).")
    packing: bool = knob(True, "Padding-free packing, position ids reset per example.")
    attn_implementation: str = knob("auto", "auto (flash_attention_2 for packed rows on CUDA with flash-attn, else "
                                            "per-example SDPA) or any transformers attn_implementation (sdpa, eager, "
                                            "flash_attention_2, ...).")
    prompt_format: str = knob("auto", "auto | chat | plain (auto: chat for messages rows, plain for prompt rows).")
    template: str | None = knob(None, "Prompt template recorded for eval (default: the data's, from its stats.json).")
    neg_lambda: float = knob(0.05, "nt: weight -lambda on negatives; ul: unlikelihood weight.")
    # TrainingArguments names.
    learning_rate: float = knob(2e-5, "Peak learning rate.")
    num_train_epochs: float = knob(1.0, "Epochs (ignored when --max-steps is set).")
    max_steps: int = knob(-1, "Optimizer steps (-1: use epochs).")
    per_device_train_batch_size: int = knob(8, "Examples per device per micro-batch.")
    gradient_accumulation_steps: int = knob(1, "Micro-batches per optimizer step.")
    warmup_ratio: float = knob(0.03, "Warmup as a fraction of total steps.")
    lr_scheduler_type: str = knob("cosine", "cosine | linear | constant | ...")
    weight_decay: float = knob(0.0, "AdamW weight decay.")
    max_grad_norm: float = knob(1.0, "Gradient clipping norm.")
    seed: int = knob(42, "Seed (model init, data order, dropout).")
    save_steps: int = knob(200, "Checkpoint every N steps.")
    save_total_limit: int | None = knob(2, "Checkpoints kept (none: all).")
    logging_steps: int = knob(10, "Log the loss every N steps.")
    report_to: list[str] = knob(factory=lambda: ["none"], help="none | tensorboard | wandb (comma-separated; "
                                                               "tensorboard works offline).")
    resume_from_checkpoint: str | None = knob(None, "auto (default: last complete checkpoint) | none | PATH.")
    gradient_checkpointing: bool = knob(False, "Recompute activations in the backward pass (less memory, slower).")
    bf16: bool | None = knob(None, "Default: bf16 on a GPU that supports it, fp32 on CPU.")
    dataloader_num_workers: int = knob(0, "DataLoader worker processes.")
    merge: bool = knob(False, "Also write a merged model (LoRA) under output_dir/merged.")
    lora: LoraArgs = knob(help="PEFT LoRA options.", factory=LoraArgs)
    nat: NatArgs = knob(help="NAT integration unit options.", factory=NatArgs)
    nce: NceArgs = knob(help="NCE distillation options.", factory=NceArgs)
    ranker: RankerArgs = knob(help="ASC ranker options.", factory=RankerArgs)
    pref: PrefArgs = knob(help="TRL DPO/KTO options.", factory=PrefArgs)
    extra_args: dict[str, Any] = knob(help="Passed through to TrainingArguments / the TRL config (a JSON mapping).",
                                      factory=dict)

    def __post_init__(self) -> None:
        spec = method_spec(self.method)
        if self.truncation not in ("drop", "truncate"):
            raise ConfigError(f"truncation must be 'drop' or 'truncate', got '{self.truncation}'")
        if self.prompt_format not in ("auto", "chat", "plain"):
            raise ConfigError(f"prompt_format must be auto, chat or plain, got '{self.prompt_format}'")
        for name in ("max_length", "per_device_train_batch_size", "gradient_accumulation_steps", "save_steps",
                     "logging_steps"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 < self.learning_rate < 1.0:
            raise ConfigError(f"learning_rate must be in (0, 1), got {self.learning_rate}")
        if self.max_steps == 0 or self.max_steps < -1:
            raise ConfigError(f"max_steps must be -1 (use num_train_epochs) or >= 1, got {self.max_steps}")
        if self.max_steps == -1 and self.num_train_epochs <= 0:
            raise ConfigError(f"num_train_epochs must be > 0, got {self.num_train_epochs}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ConfigError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        if self.lora.r < 0:
            raise ConfigError(f"lora.r must be >= 0, got {self.lora.r}")
        if self.lora.r == 0:
            self.lora.r = spec.lora_r
        for how in spec.missing(self):
            raise ConfigError(f"--method {self.method} needs {how}")
        if self.neg_lambda < 0:
            raise ConfigError(f"neg_lambda must be >= 0, got {self.neg_lambda}")
