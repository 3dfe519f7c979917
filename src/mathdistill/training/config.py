"""TrainConfig: everything `mathdistill train` needs, loadable from YAML with --set overrides.

Field names follow transformers `TrainingArguments` / TRL / PEFT so a user can read a
config without a glossary. Method-specific knobs live in small nested groups
(`lora`, `nat`, `nce`, `ranker`, `pref`) so one YAML can hold them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mathdistill.config import check_fields, knob
from mathdistill.errors import ConfigError
from mathdistill.sampling.config import template_names
from mathdistill.training.methods import PRESETS, TABLE, method_spec

METHODS = tuple(TABLE)
# From this max_length on, activations are recomputed in the backward pass unless the config says
# otherwise: a packed micro-batch of long traces otherwise keeps every layer's activations of every
# token (docs/longcot.md, Training).
GRADIENT_CHECKPOINTING_FROM = 4096
_M = " (default: the method's, see methods.md / the methods table)"
# transformers' SchedulerType values and report_to integrations, refused here rather than by
# TrainingArguments once the model has loaded (tests/test_config.py checks them against transformers).
LR_SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
                 "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr",
                 "warmup_stable_decay")
REPORT_TO = ("none", "all", "tensorboard", "wandb", "mlflow", "comet_ml", "clearml", "azure_ml", "neptune",
             "codecarbon", "dagshub", "dvclive", "flyte", "swanlab", "trackio")


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
    val_metric: str = knob("all_pairs", "ranker: validation accuracy that picks the best epoch: all_pairs (every "
                                        "positive/negative pair of a question) | random_pair (TDG's: one seeded "
                                        "pair per question).")
    max_length: int = knob(512, "ranker: max tokens of question + response.")


@dataclass
class PrefArgs:
    """TRL DPO/KTO knobs (TRL names)."""

    beta: float = knob(0.1, "dpo/kto: TRL beta.")
    loss_type: str = knob("sigmoid", "dpo: TRL loss_type.")
    desirable_weight: float = knob(1.0, "kto: weight of desirable examples.")
    undesirable_weight: float = knob(1.0, "kto: weight of undesirable examples.")


@dataclass
class KdArgs:
    """Offline top-K logit distillation (docs/distillation.md)."""

    samples: str | None = knob(None, "kd: the samples folder whose token log-probs (sample --logprobs K) are the "
                                     "teacher's (default: the one the curated data came from, per its stats.json).")
    lambda_kd: float = knob(0.5, "kd: L = (1 - lambda) CE + lambda KL (0: plain SFT).", flags="--kd-lambda", ge=0,
                            le=1)
    divergence: str = knob("forward", "kd: forward (KL(teacher || student)) | reverse | jsd.",
                           choices=("forward", "reverse", "jsd"))
    beta: float = knob(0.5, "kd: jsd's teacher weight in the mixture, in (0, 1).", gt=0, lt=1)
    temperature: float = knob(1.0, "kd: temperature of both top-K distributions (the loss is scaled by T^2).",
                              gt=0)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class OpdArgs:
    """On-policy distillation through TRL's DistillationTrainer (docs/distillation.md)."""

    teacher: str | None = knob(None, "opd: the teacher ('smollm2', a trained folder or an HF dir), sharing the "
                                     "student's vocabulary.", flags="--opd-teacher")
    beta: float = knob(1.0, "opd: TRL's generalised JSD: 0 forward KL, 0.5 JSD, 1 reverse KL (the default).", ge=0,
                       le=1)
    temperature: float = knob(1.0, "opd: the student's sampling temperature, also the loss's.", gt=0)
    max_new_tokens: int = knob(256, "opd: tokens the student generates per prompt.", ge=1)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class TrainConfig:
    method: str = knob("sft", " | ".join(METHODS) + ".")
    preset: str | None = knob(None, "Hyperparameters of a paper for the fields left unset: " + " | ".join(PRESETS)
                                    + " (explicit values win).")
    model: str = knob("smollm2", "Student (ranker: encoder): 'smollm2', an HF dir, a trained model dir or a Hub id.")
    data: list[str] = knob(factory=list, help="Comma-separated JSONL: prompt/completion, messages, pairs, kto or "
                                              "ranker groups (curation's output).")
    negatives: list[str] = knob(factory=list, help="Extra JSONL of negatives (label=False rows) for mix/nt/ul, "
                                                   "comma-separated.")
    output_dir: str = knob("runs/train", "Output folder (checkpoints, final model).", flags=("--out", "--output-dir"),
                           folder=True)
    # Data handling.
    max_length: int = knob(1024, "Max tokens of prompt + completion.")
    truncation: str = knob("drop", "Over-length examples: drop | truncate (counted and reported).")
    packing: bool = knob(True, "Padding-free packing, position ids reset per example.")
    attn_implementation: str = knob("auto", "auto (flash_attention_2 for packed rows on CUDA with flash-attn, else "
                                            "per-example SDPA) or any transformers attn_implementation (sdpa, eager, "
                                            "flash_attention_2, ...).")
    prompt_format: str = knob("auto", "auto | chat | plain (auto: chat for messages rows, plain for prompt rows).")
    template: str | None = knob(None, "Prompt template recorded for eval (default: the data's, from its stats.json).",
                                choices=template_names)
    neg_lambda: float = knob(0.05, "nt: weight -lambda on negatives; ul: unlikelihood weight.")
    ul_level: str | None = knob(None, "ul: token (-log(1 - p) per token, Welleck et al.) | sequence (-log(1 - P(y|x)) "
                                      "per negative, TDG's baseline)" + _M + ".")
    references: bool | None = knob(None, "Train on reference solutions in the data (curated rows with sample_idx "
                                         "-1); TDG's NAT/NCE: false" + _M + ".")
    max_chars: int | None = knob(None, "Drop rows with len(question + newline + completion) >= N, 0: no limit "
                                       "(TDG's NCE: 1200)" + _M + ".")
    # TrainingArguments names.
    learning_rate: float | None = knob(None, "Peak learning rate" + _M + ".")
    num_train_epochs: float | None = knob(None, "Epochs, ignored when --max-steps is set" + _M + ".")
    max_steps: int = knob(-1, "Optimizer steps (-1: use epochs).")
    per_device_train_batch_size: int | None = knob(None, "Examples per device per micro-batch" + _M + ".")
    gradient_accumulation_steps: int | None = knob(None, "Micro-batches per optimizer step" + _M + ".")
    global_batch_size: int | None = knob(None, "Examples per optimizer step on all devices together: gradient "
                                               "accumulation = this / (micro-batch x devices), 0: off" + _M + ".")
    warmup_ratio: float | None = knob(None, "Warmup as a fraction of total steps" + _M + ".")
    warmup_steps: int | None = knob(None, "Warmup steps (> 0 wins over warmup_ratio)" + _M + ".")
    lr_scheduler_type: str = knob("cosine", "cosine | linear | constant | ...", choices=LR_SCHEDULERS)
    weight_decay: float | None = knob(None, "AdamW weight decay" + _M + ".")
    max_grad_norm: float = knob(1.0, "Gradient clipping norm.")
    seed: int = knob(42, "Seed (model init, data order, dropout).")
    save_steps: int = knob(200, "Checkpoint every N steps.")
    save_total_limit: int | None = knob(2, "Checkpoints kept (none: all).")
    logging_steps: int = knob(10, "Log the loss every N steps.")
    report_to: list[str] = knob(factory=lambda: ["none"], help="none | tensorboard | wandb (comma-separated; "
                                                               "tensorboard works offline).", choices=REPORT_TO)
    resume_from_checkpoint: str | None = knob(None, "auto (default: last complete checkpoint) | none | PATH.")
    gradient_checkpointing: bool | None = knob(None, "Recompute activations in the backward pass (less memory; "
                                                     "~25% slower on a GPU, 4-19% on a CPU); default: on from "
                                                     f"max_length {GRADIENT_CHECKPOINTING_FROM} (long traces), and on "
                                                     "a CPU from 2,048 tokens a micro-batch.")
    bf16: bool | None = knob(None, "bf16 autocast over fp32 master weights; default (auto): on where the hardware "
                                   "has native bf16 (a GPU, a CPU with AMX / AVX512-BF16), else fp32.")
    use_liger_kernel: bool | None = knob(None, "GPU: Liger's fused linear cross-entropy (pip install "
                                               "'mathdistill[liger]'), for methods whose loss is plain CE; default: on "
                                               "when a GPU and liger-kernel are there; never on CPU.")
    dataloader_num_workers: int = knob(0, "DataLoader worker processes.")
    merge: bool = knob(False, "Also write a merged model (LoRA) under output_dir/merged.")
    lora: LoraArgs = knob(help="PEFT LoRA options.", factory=LoraArgs)
    nat: NatArgs = knob(help="NAT integration unit options.", factory=NatArgs)
    nce: NceArgs = knob(help="NCE distillation options.", factory=NceArgs)
    ranker: RankerArgs = knob(help="ASC ranker options.", factory=RankerArgs)
    pref: PrefArgs = knob(help="TRL DPO/KTO options.", factory=PrefArgs)
    kd: KdArgs = knob(help="Offline top-K logit distillation options.", factory=KdArgs)
    opd: OpdArgs = knob(help="On-policy distillation options.", factory=OpdArgs)
    extra_args: dict[str, Any] = knob(help="Passed through to TrainingArguments / the TRL config (a JSON mapping).",
                                      factory=dict)

    def __post_init__(self) -> None:
        check_fields(self)
        spec = method_spec(self.method)
        self._resolve_defaults(spec)
        if self.gradient_checkpointing is None and self.max_length >= GRADIENT_CHECKPOINTING_FROM:
            self.gradient_checkpointing = True  # else None until the device is known (training.model.precision)
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
        for name in ("warmup_steps", "global_batch_size", "max_chars"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.ul_level not in ("token", "sequence"):
            raise ConfigError(f"ul_level must be token or sequence, got '{self.ul_level}'")
        if self.ranker.val_metric not in ("all_pairs", "random_pair"):
            raise ConfigError(f"ranker.val_metric must be all_pairs or random_pair, got '{self.ranker.val_metric}'")
        if self.lora.r < 0:
            raise ConfigError(f"lora.r must be >= 0, got {self.lora.r}")
        for how in spec.missing(self):
            raise ConfigError(f"--method {self.method} needs {how}")
        if self.neg_lambda < 0:
            raise ConfigError(f"neg_lambda must be >= 0, got {self.neg_lambda}")

    def _resolve_defaults(self, spec: Any) -> None:
        """Unset fields take the method's (and preset's) values; an explicit accumulation or warmup
        ratio switches off the global batch or warmup steps the method would have set."""
        given = {k for k in ("gradient_accumulation_steps", "global_batch_size", "warmup_ratio", "warmup_steps")
                 if getattr(self, k) is not None}
        if {"gradient_accumulation_steps", "global_batch_size"} <= given and self.global_batch_size:
            raise ConfigError("give gradient_accumulation_steps or global_batch_size, not both")
        if {"warmup_ratio", "warmup_steps"} <= given and self.warmup_ratio and self.warmup_steps:
            raise ConfigError("give warmup_ratio or warmup_steps, not both")
        values = spec.defaults_for(self.preset)
        if "gradient_accumulation_steps" in given and "global_batch_size" not in given:
            values["global_batch_size"] = 0
        if "warmup_ratio" in given and "warmup_steps" not in given:
            values["warmup_steps"] = 0
        for name, v in values.items():
            if name != "lora_r" and getattr(self, name) is None:
                setattr(self, name, v)
        if self.lora.r == 0:
            self.lora.r = values["lora_r"]
