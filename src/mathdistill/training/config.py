"""TrainConfig: everything `mathdistill train` needs, loadable from YAML with --set overrides.

Field names follow transformers `TrainingArguments` / TRL / PEFT so a user can read a
config without a glossary. Method-specific knobs live in small nested groups
(`lora`, `nat`, `nce`, `ranker`, `pref`) so one YAML can hold them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mathdistill.errors import ConfigError

# MLE-family methods run on our Trainer; dpo/kto on TRL's; nat/nce/ranker are TDG's (methods.md 3.3-3.6).
METHODS = ("sft", "neg", "mix", "nt", "ul", "dpo", "kto", "nat", "nce", "ranker")


@dataclass
class LoraArgs:
    """PEFT LoraConfig names. r == 0 means full fine-tuning (for sft/neg/mix/nt/ul)."""

    r: int = 0
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: ["q_proj", "v_proj"])


@dataclass
class NatArgs:
    """NAT integration unit (methods.md 3.4)."""

    negative_adapter: str | None = None  # output_dir of a `--method neg` LoRA run
    bottleneck: int = 128  # width of W_Q/W_K/W_V1
    beta: float = 0.5  # alpha_neg = 2*beta*p_neg - beta
    temperature: float = 1.0


@dataclass
class NceArgs:
    """NCE distillation (methods.md 3.5)."""

    teacher: str | None = None  # output_dir of a `--method nat` run
    lambda_kd: float = 0.5  # L = (1 - lambda) CE + lambda KD
    kd_temperature: float = 1.0


@dataclass
class RankerArgs:
    """ASC ranker (methods.md 3.6). `model` of the TrainConfig names the encoder."""

    gamma: float = 3.0
    val_questions: int = 100  # held-out questions for pairwise validation accuracy
    max_length: int = 512


@dataclass
class PrefArgs:
    """TRL DPO/KTO knobs (TRL names)."""

    beta: float = 0.1
    loss_type: str = "sigmoid"  # DPO loss_type
    desirable_weight: float = 1.0  # KTO
    undesirable_weight: float = 1.0  # KTO


@dataclass
class TrainConfig:
    method: str = "sft"
    model: str = "smollm2"  # alias, HF checkpoint dir, PEFT adapter dir or Hub id (the student / encoder)
    data: list[str] = field(default_factory=list)  # JSONL files: prompt/completion, messages, pairs, kto, ranker
    negatives: list[str] = field(default_factory=list)  # extra JSONL of negatives for mix/nt/ul (label=False rows)
    output_dir: str = "runs/train"
    # Data handling.
    max_length: int = 1024  # tokens of prompt + completion
    truncation: str = "drop"  # drop | truncate (over-length examples; counted and reported)
    packing: bool = True  # padding-free packing, position ids reset per example
    # auto: flash_attention_2 for packed rows on CUDA with flash-attn, else per-example SDPA (training/attention.py);
    # or any transformers attn_implementation (sdpa, eager, flash_attention_2, ...).
    attn_implementation: str = "auto"
    prompt_format: str = "auto"  # auto | chat | plain (auto: chat for messages rows, plain for prompt rows)
    template: str | None = None  # prompt template name recorded for eval (default: from the data's stats.json)
    neg_lambda: float = 0.05  # nt: weight -lambda on negatives; ul: unlikelihood weight
    # TrainingArguments names.
    learning_rate: float = 2e-5
    num_train_epochs: float = 1.0
    max_steps: int = -1
    per_device_train_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    warmup_ratio: float = 0.03
    lr_scheduler_type: str = "cosine"
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 42
    save_steps: int = 200
    save_total_limit: int | None = 2
    logging_steps: int = 10
    report_to: list[str] = field(default_factory=lambda: ["none"])  # e.g. tensorboard (works offline)
    resume_from_checkpoint: str | None = None  # "auto" (default behaviour: last complete checkpoint), a path, or "none"
    gradient_checkpointing: bool = False
    bf16: bool | None = None  # None: bf16 on a GPU that supports it, fp32 on CPU
    dataloader_num_workers: int = 0
    merge: bool = False  # also write a merged model (LoRA) under output_dir/merged
    lora: LoraArgs = field(default_factory=LoraArgs)
    nat: NatArgs = field(default_factory=NatArgs)
    nce: NceArgs = field(default_factory=NceArgs)
    ranker: RankerArgs = field(default_factory=RankerArgs)
    pref: PrefArgs = field(default_factory=PrefArgs)
    extra_args: dict[str, Any] = field(default_factory=dict)  # passed through to TrainingArguments / TRL config

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"unknown method '{self.method}' (known: {', '.join(METHODS)})")
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
        if self.method in ("neg", "nat", "nce") and self.lora.r == 0:
            self.lora.r = 8  # TDG's adapters are LoRA r=8, alpha=16 (methods.md 3.2)
        if self.method == "nat" and not self.nat.negative_adapter:
            raise ConfigError("--method nat needs --negative-adapter DIR (the output of --method neg)")
        if self.method == "nce" and not self.nce.teacher:
            raise ConfigError("--method nce needs --teacher DIR (the output of --method nat)")
        if self.neg_lambda < 0:
            raise ConfigError(f"neg_lambda must be >= 0, got {self.neg_lambda}")
