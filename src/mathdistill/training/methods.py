"""The training methods: one row per method, read by everything that treats methods differently.

A row says which recipe trains the method, which curated files it trains on (how `run` wires
curate -> train), which rows of them it learns from and with what token weights, how its loss is
normalised, its hyperparameter defaults (and those of each preset), its required options, and
whether its output is a generator worth evaluating. Config
validation, the dispatcher, data loading, batching and the `run` plan read these fields instead
of testing method names, so a new method is one new row (plus its recipe).

Recipes are referenced through small functions that import their module on call: importing the
table (the CLI does, for validation) loads no torch. A recipe is called as
`recipe(cfg, method, progress)` with its own row, so the steps it shares with other recipes
get the row's fields without importing this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mathdistill.errors import ConfigError

# TDG's adapters are LoRA r=8, alpha=16 (methods.md 3.2).
TDG_LORA_R = 8

# TrainConfig fields left unset (None) take the method's value, else these (methods without a paper
# of their own: plain SFT-style settings).
BASE_DEFAULTS: dict[str, Any] = {
    "learning_rate": 2e-5, "num_train_epochs": 1.0, "per_device_train_batch_size": 8,
    "gradient_accumulation_steps": 1, "global_batch_size": 0, "warmup_ratio": 0.03, "warmup_steps": 0,
    "weight_decay": 0.0, "max_chars": 0, "references": True, "ul_level": "token",
}
# TDG's LoRA steps (finetune.py, methods.md 3.2): lr 3e-4, 20 epochs, global batch 128 of micro-batches
# of 16, 200 warmup steps; positives are the teacher's samples only (no reference solutions).
TDG_LORA: dict[str, Any] = {
    "learning_rate": 3e-4, "num_train_epochs": 20.0, "per_device_train_batch_size": 16, "global_batch_size": 128,
    "warmup_steps": 200, "references": False, "lora_r": TDG_LORA_R,
}
# distill_NCE.py (methods.md 3.5): micro-batch 1, no accumulation, 1,000 warmup steps, data < 1,200 chars.
TDG_NCE: dict[str, Any] = {**TDG_LORA, "per_device_train_batch_size": 1, "global_batch_size": 0,
                           "gradient_accumulation_steps": 1, "warmup_steps": 1000, "max_chars": 1200}
# code/RM (methods.md 3.6): AdamW lr 2e-5, weight decay 1e-5, 5 epochs, one question per step.
TDG_RANKER: dict[str, Any] = {"learning_rate": 2e-5, "num_train_epochs": 5.0, "per_device_train_batch_size": 1,
                              "weight_decay": 1e-5}
# RFT's train.py / train_*.sh (methods.md 2.3): lr 2e-5, 3 epochs, global batch 128, warmup ratio 0.03.
RFT_SFT: dict[str, Any] = {"learning_rate": 2e-5, "num_train_epochs": 3.0, "per_device_train_batch_size": 4,
                           "global_batch_size": 128, "warmup_ratio": 0.03, "weight_decay": 0.0}


class Curated(NamedTuple):
    """Curation formats (curate.formats) a method trains on: its data files and extra negatives files."""

    data: tuple[str, ...]
    negatives: tuple[str, ...] = ()


def _mle_weights(neg_lambda: float) -> tuple[float, float]:
    return 1.0, 0.0  # plain MLE on negatives (neg, mix)


def _nt_weights(neg_lambda: float) -> tuple[float, float]:
    return -neg_lambda, 0.0


def _ul_weights(neg_lambda: float) -> tuple[float, float]:
    return 0.0, neg_lambda


def _mle(cfg: Any, method: Method, progress: bool) -> dict[str, Any]:
    from mathdistill.training.mle import train_mle

    return train_mle(cfg, method, progress)


def _dpo(cfg: Any, method: Method, progress: bool) -> dict[str, Any]:
    from mathdistill.training.prefs import train_dpo

    return train_dpo(cfg, progress)


def _kto(cfg: Any, method: Method, progress: bool) -> dict[str, Any]:
    from mathdistill.training.prefs import train_kto

    return train_kto(cfg, progress)


def _nat(cfg: Any, method: Method, progress: bool) -> dict[str, Any]:
    from mathdistill.training.nat_train import train_nat

    return train_nat(cfg, method, progress)


def _nce(cfg: Any, method: Method, progress: bool) -> dict[str, Any]:
    from mathdistill.training.nce import train_nce

    return train_nce(cfg, method, progress)


def _kd(cfg: Any, method: Method, progress: bool) -> dict[str, Any]:
    from mathdistill.training.kd import train_kd

    return train_kd(cfg, method, progress)


def _opd(cfg: Any, method: Method, progress: bool) -> dict[str, Any]:
    from mathdistill.training.opd import train_opd

    return train_opd(cfg, method, progress)


def _ranker(cfg: Any, method: Method, progress: bool) -> dict[str, Any]:
    from mathdistill.ranker.train import train_ranker

    return train_ranker(cfg, progress)


@dataclass(frozen=True)
class Method:
    name: str
    recipe: Callable[[Any, Method, bool], dict[str, Any]]
    # Choices of curated files, the first whose formats were curated wins.
    curated: tuple[Curated, ...]
    rows: str = "positives"  # which rows it learns from: positives | negatives | all
    # (CE weight, unlikelihood weight) of a negative example's tokens, from neg_lambda; positives get (1, 0).
    negative_weights: Callable[[float], tuple[float, float]] = _mle_weights
    lora_r: int = 0  # the LoRA rank when lora.r is left at 0 (0: full fine-tuning)
    requires: tuple[tuple[str, str], ...] = ()  # (config field, how to give it) that must be set
    evaluated: bool = True  # its output is a generator worth evaluating after training
    eval_backend: str | None = None  # the one backend that can run its output (NAT: hf), None: any
    student: bool = True  # `model` is the student LM (the ranker's is its encoder)
    guarded: bool = True  # a finished folder is checked against train_guard.json (the ranker keeps its own)
    # joint: one token mean over the batch (MLE); separate: positives and negatives each a mean of
    # their own, so lambda weighs the negatives' mean whatever their share of the tokens (NT, UL).
    normalize: str = "joint"
    defaults: dict[str, Any] = field(default_factory=dict)  # over BASE_DEFAULTS
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)  # preset name -> values over defaults

    def defaults_for(self, preset: str | None) -> dict[str, Any]:
        """Values of the TrainConfig fields left unset: base < method < preset ("lora_r": LoRA rank)."""
        out = {**BASE_DEFAULTS, "lora_r": self.lora_r, **self.defaults}
        if preset:
            if preset not in self.presets:
                known = sorted({p for m in TABLE.values() for p in m.presets})
                have = sorted(self.presets)
                raise ConfigError(f"preset '{preset}' has no values for --method {self.name} (presets: "
                                  f"{', '.join(known)}; for {self.name}: {', '.join(have) or 'none'})")
            out.update(self.presets[preset])
        return out

    def train(self, cfg: Any, progress: bool = True) -> dict[str, Any]:
        return self.recipe(cfg, self, progress)

    def keeps(self, negative: bool) -> bool:
        return self.rows == "all" or negative == (self.rows == "negatives")

    @property
    def unlabeled_negative(self) -> bool:
        """Rows without a label in its data files are negatives (a negatives-only method's data)."""
        return self.rows == "negatives"

    def missing(self, cfg: Any) -> list[str]:
        """How to give each required option that `cfg` leaves unset."""
        out = []
        for path, how in self.requires:
            value = cfg
            for part in path.split("."):
                value = getattr(value, part)
            if not value:
                out.append(how)
        return out


_WITH_NEGATIVES = (Curated(("sft",), ("neg_sft",)), Curated(("kto",)))
# TDG's baselines under `preset: tdg` (methods.md 3.7): its LoRA steps' settings; NT's helper set adds
# the reference solution to the positives, UL is written at sequence level.
_TDG_BASELINE = {"tdg": TDG_LORA}
# Chat rows (sft_messages) for SFT so training matches the chat prompts used to sample and evaluate;
# the TDG chain (neg -> nat -> nce) and the negative-aware losses use plain prompt/completion files
# throughout, so every adapter of a chain sees one prompt format.
TABLE: dict[str, Method] = {m.name: m for m in (
    Method("sft", _mle, (Curated(("messages",)), Curated(("sft",))), presets={**_TDG_BASELINE, "rft": RFT_SFT}),
    # TDG's negative adapter: only an ingredient of NAT, not a generator of its own.
    Method("neg", _mle, (Curated(("neg_sft",)), Curated(("kto",))), rows="negatives", lora_r=TDG_LORA_R,
           evaluated=False, defaults=TDG_LORA, presets={"tdg": TDG_LORA}),
    Method("mix", _mle, _WITH_NEGATIVES, rows="all", presets=_TDG_BASELINE),
    Method("nt", _mle, _WITH_NEGATIVES, rows="all", negative_weights=_nt_weights, normalize="separate",
           presets={"tdg": {**TDG_LORA, "references": True}}),
    Method("ul", _mle, _WITH_NEGATIVES, rows="all", negative_weights=_ul_weights, normalize="separate",
           presets={"tdg": {**TDG_LORA, "ul_level": "sequence"}}),
    Method("dpo", _dpo, (Curated(("pairs",)),), rows="all"),
    Method("kto", _kto, (Curated(("kto",)),), rows="all"),
    # vLLM cannot run the NAT integration unit.
    Method("nat", _nat, (Curated(("sft",)),), lora_r=TDG_LORA_R, eval_backend="hf", defaults=TDG_LORA,
           presets={"tdg": TDG_LORA},
           requires=(("nat.negative_adapter", "--negative-adapter DIR (the output of --method neg)"),)),
    Method("nce", _nce, (Curated(("sft",)),), lora_r=TDG_LORA_R, defaults=TDG_NCE, presets={"tdg": TDG_NCE},
           requires=(("nce.teacher", "--teacher DIR (the output of --method nat)"),)),
    # Logit distillation (docs/distillation.md): kd learns SFT's rows plus the teacher's top-K log-probs
    # (sample --logprobs K); opd samples from the student and learns the teacher's scores of those tokens.
    Method("kd", _kd, (Curated(("messages",)), Curated(("sft",))), presets={"rft": RFT_SFT}),
    Method("opd", _opd, (Curated(("messages",)), Curated(("sft",))), presets={"rft": RFT_SFT},
           requires=(("opd.teacher", "--opd-teacher MODEL (the teacher, sharing the student's vocabulary)"),)),
    Method("ranker", _ranker, (Curated(("ranker",)),), rows="all", evaluated=False, student=False, guarded=False,
           defaults=TDG_RANKER, presets={"tdg": TDG_RANKER}),
)}
PRESETS = tuple(sorted({p for m in TABLE.values() for p in m.presets}))


def method_spec(name: str) -> Method:
    try:
        return TABLE[name]
    except KeyError:
        raise ConfigError(f"unknown method '{name}' (known: {', '.join(TABLE)})") from None
