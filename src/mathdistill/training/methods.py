"""The training methods: one row per method, read by everything that treats methods differently.

A row says which recipe trains the method, which curated files it trains on (how `run` wires
curate -> train), which rows of them it learns from and with what token weights, its defaults
and required options, and whether its output is a generator worth evaluating. Config
validation, the dispatcher, data loading, batching and the `run` plan read these fields instead
of testing method names, so a new method is one new row (plus its recipe).

Recipes are referenced through small functions that import their module on call: importing the
table (the CLI does, for validation) loads no torch. A recipe is called as
`recipe(cfg, method, progress)` with its own row, so the steps it shares with other recipes
get the row's fields without importing this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from mathdistill.errors import ConfigError

# TDG's adapters are LoRA r=8, alpha=16 (methods.md 3.2).
TDG_LORA_R = 8


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


def _ranker(cfg: Any, method: Method, progress: bool) -> dict[str, Any]:
    from mathdistill.ranker.train import train_ranker

    return train_ranker(cfg)


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
# Chat rows (sft_messages) for SFT so training matches the chat prompts used to sample and evaluate;
# the TDG chain (neg -> nat -> nce) and the negative-aware losses use plain prompt/completion files
# throughout, so every adapter of a chain sees one prompt format.
TABLE: dict[str, Method] = {m.name: m for m in (
    Method("sft", _mle, (Curated(("messages",)), Curated(("sft",)))),
    # TDG's negative adapter: only an ingredient of NAT, not a generator of its own.
    Method("neg", _mle, (Curated(("neg_sft",)), Curated(("kto",))), rows="negatives", lora_r=TDG_LORA_R,
           evaluated=False),
    Method("mix", _mle, _WITH_NEGATIVES, rows="all"),
    Method("nt", _mle, _WITH_NEGATIVES, rows="all", negative_weights=_nt_weights),
    Method("ul", _mle, _WITH_NEGATIVES, rows="all", negative_weights=_ul_weights),
    Method("dpo", _dpo, (Curated(("pairs",)),), rows="all"),
    Method("kto", _kto, (Curated(("kto",)),), rows="all"),
    # vLLM cannot run the NAT integration unit.
    Method("nat", _nat, (Curated(("sft",)),), lora_r=TDG_LORA_R, eval_backend="hf",
           requires=(("nat.negative_adapter", "--negative-adapter DIR (the output of --method neg)"),)),
    Method("nce", _nce, (Curated(("sft",)),), lora_r=TDG_LORA_R,
           requires=(("nce.teacher", "--teacher DIR (the output of --method nat)"),)),
    Method("ranker", _ranker, (Curated(("ranker",)),), rows="all", evaluated=False, student=False, guarded=False),
)}


def method_spec(name: str) -> Method:
    try:
        return TABLE[name]
    except KeyError:
        raise ConfigError(f"unknown method '{name}' (known: {', '.join(TABLE)})") from None
