"""The methods table: every method's row, and the config validation and wiring that read it (no torch)."""

from __future__ import annotations

import pytest

from mathdistill.config import build
from mathdistill.curation.config import FORMATS
from mathdistill.errors import ConfigError
from mathdistill.training.config import METHODS, TrainConfig
from mathdistill.training.methods import TABLE, method_spec


def test_names_and_curated_formats():
    assert METHODS == tuple(TABLE) == ("sft", "neg", "mix", "nt", "ul", "dpo", "kto", "nat", "nce", "kd", "opd",
                                       "ranker")
    for m in TABLE.values():
        assert m.curated and all(f in FORMATS for c in m.curated for f in (*c.data, *c.negatives)), m.name
    with pytest.raises(ConfigError, match="unknown method 'rlhf'"):
        method_spec("rlhf")


def test_rows_and_token_weights():
    assert method_spec("sft").keeps(False) and not method_spec("sft").keeps(True)
    assert method_spec("neg").keeps(True) and not method_spec("neg").keeps(False)
    assert method_spec("neg").unlabeled_negative and not method_spec("mix").unlabeled_negative
    assert all(method_spec(m).keeps(True) and method_spec(m).keeps(False) for m in ("mix", "nt", "ul"))
    assert [method_spec(m).negative_weights(0.05) for m in ("mix", "nt", "ul")] == [(1.0, 0.0), (-0.05, 0.0),
                                                                                     (0.0, 0.05)]


def test_defaults_and_required_options_come_from_the_table():
    assert build(TrainConfig, {"method": "neg"}).lora.r == 8
    assert build(TrainConfig, {"method": "neg", "lora": {"r": 4}}).lora.r == 4
    assert build(TrainConfig, {"method": "sft"}).lora.r == 0
    with pytest.raises(ConfigError, match="--method nat needs --negative-adapter DIR"):
        build(TrainConfig, {"method": "nat"})
    with pytest.raises(ConfigError, match="--method nce needs --teacher DIR"):
        build(TrainConfig, {"method": "nce"})
    assert build(TrainConfig, {"method": "nce", "nce": {"teacher": "t"}}).lora.r == 8


def test_what_the_run_plan_reads():
    assert [m for m in METHODS if not TABLE[m].evaluated] == ["neg", "ranker"]
    assert [m for m in METHODS if TABLE[m].eval_backend] == ["nat"]
    assert [m for m in METHODS if not TABLE[m].student] == [m for m in METHODS if not TABLE[m].guarded] == ["ranker"]


def _resolved(d: dict) -> dict:
    c = build(TrainConfig, d)
    return {k: getattr(c, k) for k in ("learning_rate", "num_train_epochs", "per_device_train_batch_size",
                                       "gradient_accumulation_steps", "global_batch_size", "warmup_steps",
                                       "weight_decay", "max_chars", "references")}


def test_tdg_methods_default_to_tdg_hyperparameters():
    """`mathdistill train --method neg|nat|nce|ranker` without options trains as TDG did (methods.md 3.2-3.6)."""
    lora = {"learning_rate": 3e-4, "num_train_epochs": 20.0, "per_device_train_batch_size": 16,
            "gradient_accumulation_steps": 1, "global_batch_size": 128, "warmup_steps": 200, "weight_decay": 0.0,
            "max_chars": 0, "references": False}
    assert _resolved({"method": "neg"}) == lora
    assert _resolved({"method": "nat", "nat": {"negative_adapter": "n"}}) == lora
    assert _resolved({"method": "nce", "nce": {"teacher": "t"}}) == {
        **lora, "per_device_train_batch_size": 1, "global_batch_size": 0, "warmup_steps": 1000, "max_chars": 1200}
    assert _resolved({"method": "ranker"}) == {
        "learning_rate": 2e-5, "num_train_epochs": 5.0, "per_device_train_batch_size": 1,
        "gradient_accumulation_steps": 1, "global_batch_size": 0, "warmup_steps": 0, "weight_decay": 1e-5,
        "max_chars": 0, "references": True}
    # Methods without a paper keep the plain defaults.
    assert _resolved({"method": "sft"}) == {
        "learning_rate": 2e-5, "num_train_epochs": 1.0, "per_device_train_batch_size": 8,
        "gradient_accumulation_steps": 1, "global_batch_size": 0, "warmup_steps": 0, "weight_decay": 0.0,
        "max_chars": 0, "references": True}


def test_presets_and_explicit_values():
    tdg_sft = build(TrainConfig, {"method": "sft", "preset": "tdg"})
    assert (tdg_sft.learning_rate, tdg_sft.lora.r, tdg_sft.references, tdg_sft.global_batch_size) == (3e-4, 8, False,
                                                                                                        128)
    assert build(TrainConfig, {"method": "nt", "preset": "tdg"}).references is True  # NT's helper set
    assert build(TrainConfig, {"method": "ul", "preset": "tdg"}).ul_level == "sequence"
    rft = build(TrainConfig, {"method": "sft", "preset": "rft"})
    assert (rft.learning_rate, rft.num_train_epochs, rft.global_batch_size, rft.warmup_ratio) == (2e-5, 3.0, 128, 0.03)
    # Explicit values win over the method's and the preset's.
    c = build(TrainConfig, {"method": "nat", "nat": {"negative_adapter": "n"}, "learning_rate": 1e-4,
                            "warmup_ratio": 0.1, "lora": {"r": 4}})
    assert (c.learning_rate, c.warmup_ratio, c.warmup_steps, c.lora.r, c.num_train_epochs) == (1e-4, 0.1, 0, 4, 20.0)
    with pytest.raises(ConfigError, match="preset 'tdg' has no values for --method dpo"):
        build(TrainConfig, {"method": "dpo", "preset": "tdg"})
    with pytest.raises(ConfigError, match="not both"):
        build(TrainConfig, {"method": "sft", "warmup_ratio": 0.1, "warmup_steps": 10})
